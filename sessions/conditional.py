"""Answers a client may cache: an ETag fingerprinting everything shown, 304 when the copy is current, and the
encoded bodies kept per fingerprint so every visitor doesn't cost a re-read."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.status_codes import HTTP_304_NOT_MODIFIED

from podium.lru import Lru
from podium.translated import content_headers


def not_modified(request: Request[Any, Any, Any], etag: str, last_modified: dt.datetime) -> bool:
    """If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2)."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return etag in tags or "*" in tags
    since = request.headers.get("if-modified-since")
    if since:
        try:
            moment = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        if moment.tzinfo is None:
            return False
        return last_modified.replace(microsecond=0) <= moment
    return False


def etag_of(source: str) -> str:
    return '"' + hashlib.sha256(source.encode()).hexdigest()[:32] + '"'


# Encoded bodies by ETag source, in this worker's memory (``podium.lru``). The ETag fingerprints everything the
# answer shows (``public.program_head``/``session_head``: the event's program version, moved by database
# triggers), so an entry can never be stale: a change makes a new key and the old one ages out. Saves
# re-reading and re-encoding hundreds of sessions for every visitor.
LIST_BODIES: Lru[bytes] = Lru(size=256)
# Session bodies are small and there is one per session: a 600-session meeting's all fit.
SESSION_BODIES: Lru[bytes] = Lru(size=1024)


def conditional(
    request: Request[Any, Any, Any],
    etag_source: str,
    last_modified: dt.datetime,
    body: Callable[[], Any],
    locale: str,
) -> Response[Any]:
    """A cacheable JSON response: 304 with no body when the client's copy is current, otherwise the body
    (``body`` returns bytes already encoded, or something to encode). Its content is in ``locale``, which
    ``etag_source`` must name: the ETag differs per language, and ``Vary`` names what picks it."""
    etag = etag_of(etag_source)
    headers = {
        **content_headers(locale),
        "ETag": etag,
        "Last-Modified": format_datetime(last_modified.astimezone(dt.UTC), usegmt=True),
        "Cache-Control": "public, no-cache",
    }
    if not_modified(request, etag, last_modified):
        return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
    content = body()
    encoded = content if isinstance(content, bytes) else msgspec.json.encode(content)
    return Response(encoded, media_type=MediaType.JSON, headers=headers)
