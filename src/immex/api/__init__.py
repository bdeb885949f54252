"""The REST API of ``immex serve``: users, roles, companies, jobs over the features' use cases.

Nothing below ``immex.api`` imports this package; it only parses requests, checks who may
do what, calls one use case and renders its result (see ``docs/api.md``).
"""
