"""Refuses cross-site state changes, the cookie-authenticated API included, and non-JSON bodies on JSON routes.

The session cookie is SameSite=Lax, which stops other *sites* but not another port of the same host or a sibling
subdomain (the same site), and a form or a ``no-cors`` fetch is a "simple" request that needs no CORS preflight:
such a page could post ``text/plain`` "JSON" with the organizer's cookie. So every unsafe request is judged by
what the browser says about where it came from (``Sec-Fetch-Site``, else ``Origin``):

- pages: a form from another origin (even the same site) is refused, 403 ``csrf_failed``; without a verdict,
  Litestar's own CSRF token check (``csrf_config``) decides, as it always did;
- /api/ with the session cookie and no bearer token: needs a same-origin verdict, or no verdict and the CSRF
  token (the ``x-csrftoken`` header matching the ``podium_csrf`` cookie, which the pages' scripts send);
- /api/ with a bearer token, or anonymous (no cookie): carries no ambient authority of a browser, so it is let
  through: other sites' API clients still place orders.

Separately, a handler whose ``data`` is a JSON
body accepts only ``application/json`` (or ``+json``): 415 otherwise, so no form can smuggle JSON in.
"""

from __future__ import annotations

from hmac import compare_digest
from typing import Any, Literal
from urllib.parse import urlsplit

from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.enums import RequestEncodingType, ScopeType
from litestar.handlers import BaseRouteHandler
from litestar.middleware import ASGIMiddleware

# Litestar's own token signer, so a token its CSRF middleware set is checked here the same way (not in __all__,
# but a plain module-level function of its public middleware module).
from litestar.middleware.csrf import CSRF_SECRET_LENGTH, generate_csrf_hash
from litestar.params import BodyKwarg
from litestar.types import ASGIApp, Receive, Scope, Send

from podium.auth.middleware import SESSION_COOKIE, bearer_token
from podium.errors import DomainError
from podium.i18n import N_, gettext
from podium.settings import Settings

CSRF_COOKIE = "podium_csrf"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_PORTS = {"http": 80, "https": 443}

Verdict = Literal["same", "foreign", "unknown"]


class CrossSiteRequest(DomainError):
    status_code = 403
    code = "csrf_failed"
    title = "Forbidden"


class UnsupportedMediaType(DomainError):
    status_code = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


def csrf_config(settings: Settings) -> CSRFConfig:
    """Litestar's token check for the pages; the API is judged by ``CrossSiteGuard`` instead."""
    return CSRFConfig(
        secret=settings.secret_key,
        cookie_name=CSRF_COOKIE,
        cookie_secure=settings.secure_cookies,
        cookie_samesite="strict",
        exclude=["^/api/", "^/health$", "^/schema", "^/static/"],
    )


def normalise_origin(url: str) -> str | None:
    """``scheme://host:port`` with the default port spelled out, or None for ``null`` and anything unparsable."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return f"{scheme}://{parts.hostname.lower()}:{port or _DEFAULT_PORTS[scheme]}"


def origin_verdict(connection: ASGIConnection[Any, Any, Any, Any], own_origins: frozenset[str]) -> Verdict:
    """Where the browser says the request came from. ``Sec-Fetch-Site`` (set by the browser, never by a page)
    wins; else ``Origin``. ``Origin: null`` is no verdict: under ``Referrer-Policy: no-referrer`` browsers send it
    even for our own forms, so those fall back to the token."""
    site = connection.headers.get("sec-fetch-site")
    if site:
        return "same" if site.strip().lower() in {"same-origin", "none"} else "foreign"
    origin = connection.headers.get("origin")
    if origin is None or origin.strip() == "null":
        return "unknown"
    own = own_origins | {normalise_origin(f"{connection.scope['scheme']}://{connection.headers.get('host', '')}")}
    return "same" if normalise_origin(origin) in own else "foreign"


def csrf_token_matches(connection: ASGIConnection[Any, Any, Any, Any], config: CSRFConfig) -> bool:
    """The header's token and the cookie's carry the same secret, both signed with our key (as Litestar checks)."""
    sent = connection.headers.get(config.header_name) or ""
    cookie = connection.cookies.get(config.cookie_name) or ""

    def secret_of(token: str) -> str | None:
        secret, signature = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
        if len(secret) < CSRF_SECRET_LENGTH or not signature:
            return None
        expected = generate_csrf_hash(secret, config.secret)
        # As bytes: a header may carry any Latin-1 text, and compare_digest refuses non-ASCII str.
        return secret if compare_digest(signature.encode(), expected.encode()) else None

    sent_secret, cookie_secret = secret_of(sent), secret_of(cookie)
    if sent_secret is None or cookie_secret is None:
        return False
    return compare_digest(sent_secret.encode(), cookie_secret.encode())


def takes_json_body(handler: BaseRouteHandler) -> bool:
    """The handler declares ``data`` read as JSON (Litestar's default for ``data`` without ``Body(media_type=…)``).
    Handlers reading the raw body (the CSV import, the Stripe webhook) declare no ``data`` and are left alone."""
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is None:
        return False
    kwarg = data.kwarg_definition
    media_type = kwarg.media_type if isinstance(kwarg, BodyKwarg) else RequestEncodingType.JSON
    return media_type == RequestEncodingType.JSON


def is_json_media_type(media_type: str) -> bool:
    media_type = media_type.strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def has_body(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    headers = connection.headers
    return "transfer-encoding" in headers or headers.get("content-length", "0").strip() not in {"", "0"}


class CrossSiteGuard(ASGIMiddleware):
    """Runs after routing (it needs the route handler) and before authentication, on unsafe methods only."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, settings: Settings) -> None:
        self.config = csrf_config(settings)
        base = normalise_origin(settings.base_url)
        self.own_origins = frozenset({base} if base else set())

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        # Only HTTP scopes get here (``scopes``); the type check says so to the type checker too.
        if scope["type"] == ScopeType.HTTP and scope["method"] in UNSAFE_METHODS:
            connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
            self.check_origin(connection)
            self.check_body_type(connection, scope["route_handler"])
        await next_app(scope, receive, send)

    def check_origin(self, connection: ASGIConnection[Any, Any, Any, Any]) -> None:
        verdict = origin_verdict(connection, self.own_origins)
        if not connection.scope["path"].startswith("/api/"):
            if verdict == "foreign":  # a page's form posted from elsewhere; the token check follows
                raise CrossSiteRequest(N_("This form was sent from another site's page; it was refused."))
            return
        if bearer_token(connection) is not None or not connection.cookies.get(SESSION_COOKIE):
            return  # no ambient authority: the API is open to other sites' clients
        if verdict == "same" or (verdict == "unknown" and csrf_token_matches(connection, self.config)):
            return
        raise CrossSiteRequest(
            N_(
                "A change made with the session cookie must come from this site's own pages: send the CSRF token "
                "(the x-csrftoken header matching the podium_csrf cookie) or use a bearer token instead."
            ),
            field=self.config.header_name,
        )

    def check_body_type(self, connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        content_type = connection.headers.get("content-type")
        if not takes_json_body(handler) or (content_type is None and not has_body(connection)):
            return
        if content_type is None or not is_json_media_type(content_type.split(";", 1)[0]):
            sent = content_type or gettext("none")
            raise UnsupportedMediaType(
                gettext("This route takes a JSON body: send Content-Type: application/json, not %(sent)s.")
                % {"sent": sent},
                field="Content-Type",
            )
