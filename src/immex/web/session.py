"""Who is logged in to the web pages and the CSRF token of their forms.

The session cookie holds a token issued by the API's own token store (so a disabled user
is logged out at once, as with bearer tokens); the cookie is HttpOnly, SameSite=Lax and
Secure over HTTPS. A form's CSRF token is an HMAC of the session token: nothing to store,
and a page from another site cannot know it. Before login, a random cookie is echoed by
the login form (double submit).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request, Response
from sqlalchemy import delete

from immex.api import users
from immex.api.deps import Caller, store_of
from immex.api.orm import TokenRow
from immex.api.security import token_digest

SESSION_COOKIE = "immex_session"
LOGIN_COOKIE = "immex_login_csrf"


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def current(request: Request) -> Caller | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with store_of(request).reading() as session:
        user = users.user_for_token(session, token)
        return None if user is None else Caller(user.id, users.access_of(session, user))


def csrf_token(request: Request) -> str:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        return hmac.new(token.encode(), b"immex-web-form", hashlib.sha256).hexdigest()
    return request.cookies.get(LOGIN_COOKIE) or ""


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_ok(request: Request, sent: object) -> bool:
    expected = csrf_token(request)
    return bool(expected) and isinstance(sent, str) and hmac.compare_digest(expected, sent)


def log_out(request: Request) -> None:
    """Forget the session's token in the store, so a copied cookie stops working too."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with store_of(request).writing() as session:
            session.execute(delete(TokenRow).where(TokenRow.token_hash == token_digest(token)))
