"""Mail carries the event's brand: its logo as an image linked from PODIUM_BASE_URL and its colour, with the
readable ink, in the HTML part's header."""

from __future__ import annotations

import io
from email.message import EmailMessage

from PIL import Image

from podium.settings import Settings
from registration.mail.attachments import drain_outbox
from tests.asgi_client import Client
from tests.registration.factories import attendee, build_catalog, db_session_for, order_body


class Capture:
    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    async def send(self, message: EmailMessage) -> None:
        self.sent.append(message)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 30), "#0b3d91").save(out, format="PNG")
    return out.getvalue()


async def test_confirmation_mail_shows_the_event_logo_and_colour(
    client: Client, settings: Settings, organizer: dict[str, str]
) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    logo = await client.put(
        f"/api/events/{catalog.slug}/logo", files={"logo": ("l.png", _png(), "image/png")}, headers=organizer
    )
    await client.patch(f"/api/events/{catalog.slug}/brand", json={"colour": "#0B3D91"}, headers=organizer)
    order = (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee()))).json()
    await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})
    sender = Capture()

    async with db_session_for(settings) as db_session:
        await drain_outbox(db_session, sender, settings, batch=50)

    bodies = [m.get_body(("html",)) for m in sender.sent]
    htmls = [body.get_content() for body in bodies if body is not None]
    assert htmls, "no HTML mail was sent"
    expected_img = f'<img src="{settings.base_url}{logo.json()["logo_url"]}" alt="'
    assert all(expected_img in html for html in htmls)
    assert all("background:#0b3d91;color:#ffffff" in html for html in htmls)
    assert all("{base_url}" not in html for html in htmls)
