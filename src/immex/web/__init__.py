"""The web application of ``immex serve``: server-rendered pages (Jinja2 + htmx) on the API's
store, users, roles and jobs. See docs/web.md."""

from immex.web.app import install

__all__ = ["install"]
