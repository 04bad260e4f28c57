"""Security headers on every response, error pages and 404s included (a ``before_send`` hook sees them all).

Pages get a Content-Security-Policy with no inline script or style (the templates keep scripts in
podium/static/js and draw track colours as SVG ``fill``, which CSP does not govern); Stripe's origins are added
only when Stripe is configured. Other responses get a policy that allows nothing, except PDFs: Chromium's PDF viewer
draws its page with inline styles under the PDF's own policy and shows a sliver of the document under
``default-src 'none'``. ``Referrer-Policy: no-referrer`` everywhere keeps secret links (``?secret=``, feed tokens)
out of other sites' logs.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from litestar.datastructures import MutableScopeHeaders
from litestar.types import BeforeMessageSendHookHandler, Message, Scope

from podium.settings import Settings

# Stripe.js talks to its API and opens 3-D Secure frames on these, wherever Stripe.js itself is served from.
STRIPE_API_ORIGIN = "https://api.stripe.com"
STRIPE_HOOKS_ORIGIN = "https://hooks.stripe.com"
NOTHING_POLICY = "default-src 'none'; frame-ancestors 'none'"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def page_policy(settings: Settings) -> str:
    """The pages' CSP: our own scripts, styles and images; Stripe.js and its frames only with Stripe on."""
    scripts, connect, frames = ["'self'"], ["'self'"], ["'none'"]
    if settings.stripe_secret_key:
        stripe_js = _origin(settings.stripe_js_url)
        scripts.append(stripe_js)
        connect.append(STRIPE_API_ORIGIN)
        frames = [stripe_js, STRIPE_HOOKS_ORIGIN]
    directives = {
        "default-src": ["'self'"],
        "script-src": scripts,
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],  # Swagger UI's icons are data: URIs
        "connect-src": connect,
        "frame-src": frames,
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def security_headers(settings: Settings) -> BeforeMessageSendHookHandler:
    """The hook for ``Litestar(before_send=[...])``; a header a handler set itself is left as it is."""
    pages = page_policy(settings)

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        media_type = (headers.get("content-type") or "").split(";", 1)[0].strip().lower()
        wanted = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
        if media_type != "application/pdf":
            wanted["X-Frame-Options"] = "DENY"
            wanted["Content-Security-Policy"] = pages if media_type == "text/html" else NOTHING_POLICY
        for name, value in wanted.items():
            if name not in headers:
                headers[name] = value

    return add_headers
