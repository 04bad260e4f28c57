"""``/favicon.ico``: browsers ask for it at the site's root whatever the page links (Swagger UI, a PDF, a JSON
answer opened in a tab), so it is served from our static files there too, instead of a 404 on every visit."""

from __future__ import annotations

from pathlib import Path

from litestar import get
from litestar.datastructures import CacheControlHeader
from litestar.response import File

ICON = Path(__file__).parent / "static" / "favicon.ico"


@get("/favicon.ico", include_in_schema=False, cache_control=CacheControlHeader(max_age=86400, public=True))
async def favicon() -> File:
    return File(path=ICON, media_type="image/x-icon", content_disposition_type="inline")
