"""The scanner page carries its script's texts in its own language, as JSON data (never inline script: the
page's policy forbids it), so the answers at the door read in the language the staff member chose."""

from __future__ import annotations

import json
import re
from typing import Any

from podium.locale_choice import COOKIE
from tests.asgi_client import Client
from tests.badges.factories import BadgeEvent

_BLOCK = re.compile(r'<script type="application/json" id="scanner-texts">(.*?)</script>', re.S)


async def _texts(client: Client, staff: dict[str, str], slug: str, locale: str) -> dict[str, Any]:
    client.cookies.set(COOKIE, locale)
    page = await client.get(f"/staff/events/{slug}/scanner", headers={**staff, "Accept": "text/html"})
    client.cookies.clear()
    assert page.status_code == 200, page.text
    block = _BLOCK.search(page.text)
    assert block is not None
    return dict(json.loads(block.group(1)))


async def test_the_scanner_page_carries_its_scripts_texts_in_its_language(
    client: Client, staff: dict[str, str], badge_event: BadgeEvent
) -> None:
    spanish = await _texts(client, staff, badge_event.slug, "es")
    chinese = await _texts(client, staff, badge_event.slug, "zh_Hans")
    english = await _texts(client, staff, badge_event.slug, "en")

    assert (spanish["online"], spanish["reasons"]["already_admitted"]) == ("En línea", "ya admitido")
    assert (spanish["queue_one"], spanish["queue_other"]) == (
        "%(count)s escaneo pendiente de subir",
        "%(count)s escaneos pendientes de subir",
    )
    assert spanish["offline_meanings"]["invalid"] == "Código desconocido o alterado"
    assert chinese["check_in_person"] == "为 %(name)s 签到"
    assert (english["online"], english["reasons"]["already_admitted"]) == ("Online", "already admitted")
    assert english["queue_other"] == "%(count)s scans waiting to upload"
    assert spanish.keys() == english.keys()
