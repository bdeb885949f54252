"""Mount the web pages and their static files on the API's FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from immex.web import duty_pages, pages, report_pages
from immex.web.i18n import HERE


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(pages.router)
    app.include_router(duty_pages.router)
    app.include_router(report_pages.router)
