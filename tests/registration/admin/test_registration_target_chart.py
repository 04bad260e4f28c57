"""The registrations page's running total: this edition's paid registrations so far against the target and the
previous edition's curve, on one axis of days before the start."""

from __future__ import annotations

import re

from podium.settings import Settings
from tests.asgi_client import Client
from tests.registration.factories import attendee, build_catalog, db_session_for, order_body


async def _paid(client: Client, slug: str, count: int) -> None:
    for _ in range(count):
        order = (await client.post(f"/api/events/{slug}/orders", json=order_body(attendee()))).json()
        paid = await client.post(
            f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]}
        )
        assert paid.status_code in {200, 201}, paid.text


async def test_running_total_against_target_and_previous_edition(
    client: Client, settings: Settings, organizer: dict[str, str]
) -> None:
    async with db_session_for(settings) as db_session:
        earlier = await build_catalog(db_session)
        current = await build_catalog(db_session)
    await _paid(client, earlier.slug, 3)
    await _paid(client, current.slug, 2)
    await client.patch(
        f"/api/events/{current.slug}/target", json={"target": 40, "previous_edition": earlier.slug}, headers=organizer
    )

    page = await client.get(f"/organizer/events/{current.slug}/registrations", headers=organizer)

    assert page.status_code == 200
    chart = re.search(r'<svg class="chart" id="registrations-running-total".*?</svg>', page.text, re.S)
    assert chart is not None
    values = dict(re.findall(r'<polyline class="(chart-line(?:-previous)?)" [^>]*data-value="(\d+)"', chart.group(0)))
    assert values == {"chart-line": "2", "chart-line-previous": "3"}
    assert 'class="chart-target"' in chart.group(0) and 'data-value="40"' in chart.group(0)
    assert "against the target of 40 and the previous edition (dotted)" in page.text
