"""Who may use the Studio: a random token in the printed URL (as Jupyter does), then a cookie.

* Every request must carry the token: ``?token=`` (first visit; the page then keeps it in an HttpOnly,
  ``SameSite=Strict`` cookie), the cookie, or the ``X-Studio-Token`` header. Without it: 401.
* A request that changes anything (any method but GET/HEAD) must carry the header: a page on another site
  can make a browser send the cookie in a form post, but it can neither read the token nor set a custom
  header without a CORS preflight, which the Studio never grants. Its ``Origin``, when sent, must be this
  server's own. Either failing: 403.
* The ``Host`` header must name the address the server was bound to (blocks DNS rebinding), unless the
  person bound it to every interface (``--host 0.0.0.0``) on purpose.
"""

from __future__ import annotations

import secrets

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp

COOKIE = "showrunner_studio"
HEADER = "x-studio-token"
SAFE = ("GET", "HEAD")


def new_token() -> str:
    """A fresh random token (192 bits, URL-safe)."""
    return secrets.token_urlsafe(24)


def url_with_token(host: str, port: int, token: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/?token={token}"


class TokenGuard(BaseHTTPMiddleware):
    """Refuse every request without the token; refuse cross-site writes."""

    def __init__(self, app: ASGIApp, token: str, hosts: frozenset[str] | None = None) -> None:
        super().__init__(app)
        self.token = token
        self.hosts = hosts  # None: any Host header (bound to every interface on purpose)

    def _ok(self, value: str | None) -> bool:
        return bool(value) and secrets.compare_digest(str(value).encode(), self.token.encode())

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        host = request.headers.get("host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if self.hosts is not None and name.strip("[]") not in self.hosts:
            return PlainTextResponse("unknown Host header; open the URL 'showrunner studio' printed", 403)
        from_query = self._ok(request.query_params.get("token"))
        if request.method not in SAFE:
            origin = request.headers.get("origin")
            if origin is not None and origin != f"{request.url.scheme}://{host}":
                return PlainTextResponse("cross-site request refused", 403)
            if not self._ok(request.headers.get(HEADER)):
                return PlainTextResponse("this action needs the Studio token header; use the Studio page", 403)
            return await call_next(request)
        if not (from_query or self._ok(request.cookies.get(COOKIE)) or self._ok(request.headers.get(HEADER))):
            return PlainTextResponse("missing or wrong token: open the URL that 'showrunner studio' printed", 401)
        response = await call_next(request)
        if from_query:
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="strict", path="/")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response
