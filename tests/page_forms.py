"""Posting our pages' forms as a browser does: open the page, then send its CSRF field with the form."""

from __future__ import annotations

import re

import httpx

from tests.asgi_client import Client

HTML = {"Accept": "text/html"}


def csrf_of(page: str) -> str:
    """The CSRF field of the (first) form on the page."""
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert token is not None, page[:500]
    return token.group(1)


async def form_post(
    client: Client, action: str, fields: dict[str, str], headers: dict[str, str], *, page: str | None = None
) -> httpx.Response:
    """Open ``page`` (the form's own address by default), then post the form to ``action`` with its CSRF field."""
    opened = await client.get(page or action, headers={**HTML, **headers})
    assert opened.status_code == 200, opened.text
    return await client.post(action, data={**fields, "_csrf_token": csrf_of(opened.text)}, headers={**HTML, **headers})
