"""Swagger UI at /schema from our own static files, with no inline script or style, so the pages' CSP holds there too.

Litestar's SwaggerRenderPlugin inlines the whole spec and the start-up code in a ``<script>`` (and a CDN favicon and
a ``<style>``); this page names the spec's URL instead and /static/js/swagger-init.js starts Swagger UI from it.
"""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request
from litestar.openapi.plugins import SwaggerRenderPlugin

SWAGGER_STATIC = "/static/vendor/swagger-ui"


class SwaggerPage(SwaggerRenderPlugin):
    def __init__(self) -> None:
        super().__init__(
            path="/",
            js_url=f"{SWAGGER_STATIC}/swagger-ui-bundle.js",
            css_url=f"{SWAGGER_STATIC}/swagger-ui.css",
            standalone_preset_js_url=f"{SWAGGER_STATIC}/swagger-ui-standalone-preset.js",
        )

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = escape(str(openapi_schema["info"]["title"]))
        spec_url = escape(self.get_openapi_json_route(request))
        return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
  <link rel="icon" href="/favicon.ico" sizes="16x16 32x32 48x48">
  <link rel="stylesheet" href="{escape(self.css_url)}">
  <script src="{escape(self.js_url)}" defer></script>
  <script src="{escape(self.standalone_preset_js_url)}" defer></script>
  <script src="/static/js/swagger-init.js" defer></script>
</head>
<body>
  <div id="swagger-container" data-spec-url="{spec_url}"></div>
</body>
</html>""".encode()
