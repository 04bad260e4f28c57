"""Organizers preview every mail template with sample facts and give each event its own wording (subject,
opening paragraph, sign-off) without code: plain text, escaped in HTML, applied when mail is sent."""

from __future__ import annotations

import re

from sqlalchemy import select

from podium import i18n
from podium.audit_models import AuditEntry
from podium.locale_choice import COOKIE
from podium.mail import TEMPLATES
from podium.settings import Settings
from tests.asgi_client import Client
from tests.registration.factories import attendee, build_catalog, db_session_for, order_body
from tests.registration.mailbox import Inbox, deliver, text, to, unique


async def _slug(settings: Settings) -> str:
    async with db_session_for(settings) as db_session:
        return (await build_catalog(db_session)).slug


async def test_every_template_is_listed_and_previews_with_sample_facts(
    client: Client, settings: Settings, organizer: dict[str, str]
) -> None:
    slug = await _slug(settings)

    listed = await client.get(f"/api/events/{slug}/mail-templates", headers=organizer)
    previews = {
        t["name"]: await client.get(f"/api/events/{slug}/mail-templates/{t['name']}/preview", headers=organizer)
        for t in listed.json()
    }

    names = {t["name"] for t in listed.json()}
    expected = {name for name, template in TEMPLATES.items() if template.per_event}
    held = previews["order_held"].json()
    assert listed.status_code == 200
    assert names == expected
    assert {"order_held", "registered", "session_changed", "verification_rejected", "badge_reprinted"} <= names
    assert "login_guard" not in names  # an account's mail, not an event's
    assert all(p.status_code == 200 for p in previews.values())
    assert all(p.json()["subject"] and p.json()["text"] and "<html" in p.json()["html"] for p in previews.values())
    # The organizer's own event (name, zone) with sample facts; links point at no real order.
    assert held["subject"] == "Test Meeting: your places are held until 12:30 (America/New_York)"
    assert "To pay: USD 670.00" in held["text"]
    assert "/order-link-sample" in held["text"]
    assert "{order_link" not in held["text"] + held["html"]


async def test_wording_is_plain_text_escaped_in_html_and_used_by_the_preview(
    client: Client, settings: Settings, organizer: dict[str, str]
) -> None:
    slug = await _slug(settings)
    url = f"/api/events/{slug}/mail-templates/registered"
    wording = {
        "subject": "Welcome to <b>Boston</b>, {{ name }}",
        "intro": "We are glad you come.\n\n<script>alert(1)</script>",
        "sign_off": "See you there,\nthe programme committee",
    }

    saved = await client.put(f"{url}/wording", json=wording, headers=organizer)
    preview = (await client.get(f"{url}/preview", headers=organizer)).json()
    listed = {t["name"]: t for t in (await client.get(f"/api/events/{slug}/mail-templates", headers=organizer)).json()}

    assert saved.status_code == 200, saved.text
    assert saved.json()["wording"] == wording
    assert listed["registered"]["customized"] is True
    assert listed["order_held"]["customized"] is False
    assert preview["subject"] == "Welcome to <b>Boston</b>, {{ name }}"  # shown as written, never run as a template
    assert "We are glad you come.\n\n<script>alert(1)</script>" in preview["text"]
    assert "See you there,\nthe programme committee" in preview["text"]
    assert "<script>" not in preview["html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in preview["html"]
    assert "<p>See you there,<br>the programme committee</p>" in preview["html"]
    assert "Registration: Member" in preview["text"]  # the facts stay


async def test_empty_wording_restores_the_default_and_changes_are_audited(
    client: Client, settings: Settings, organizer: dict[str, str]
) -> None:
    slug = await _slug(settings)
    url = f"/api/events/{slug}/mail-templates/hold_expired"
    await client.put(f"{url}/wording", json={"subject": "Too late"}, headers=organizer)

    cleared = await client.put(f"{url}/wording", json={"subject": "   "}, headers=organizer)
    preview = (await client.get(f"{url}/preview", headers=organizer)).json()

    async with db_session_for(settings) as db_session:
        entries = (
            await db_session.scalars(
                select(AuditEntry).where(AuditEntry.entity == "mail_wording").order_by(AuditEntry.created_at)
            )
        ).all()
    assert cleared.json()["customized"] is False
    assert preview["subject"] == "Test Meeting: your unpaid order has expired"
    assert [e.changes["subject"] for e in entries[-2:]] == [["", "Too late"], ["Too late", ""]]


async def test_bad_wording_is_refused_naming_the_field(
    client: Client, settings: Settings, organizer: dict[str, str], staff: dict[str, str]
) -> None:
    slug = await _slug(settings)
    url = f"/api/events/{slug}/mail-templates/registered/wording"

    two_lines = await client.put(url, json={"subject": "one\ntwo"}, headers=organizer)
    too_long = await client.put(url, json={"intro": "x" * 2001}, headers=organizer)
    nul = await client.put(url, json={"sign_off": "bye\u0000"}, headers=organizer)
    unknown_field = await client.put(url, json={"footer": "x"}, headers=organizer)
    unknown_template = await client.put(
        f"/api/events/{slug}/mail-templates/nope/wording", json={"subject": "x"}, headers=organizer
    )
    account_mail = await client.get(f"/api/events/{slug}/mail-templates/login_guard/preview", headers=organizer)
    as_staff = await client.put(url, json={"subject": "x"}, headers=staff)
    anonymous = await client.get(f"/api/events/{slug}/mail-templates")
    nowhere = await client.get("/api/events/no-such-event/mail-templates", headers=organizer)

    listed = await client.get(f"/api/events/{slug}/mail-templates", headers=organizer)
    assert (two_lines.status_code, "subject" in two_lines.text) == (422, True)
    assert (too_long.status_code, "intro" in too_long.text) == (422, True)
    assert (nul.status_code, "sign_off" in nul.text) == (422, True)
    assert unknown_field.status_code == 422
    assert (unknown_template.status_code, account_mail.status_code) == (404, 404)
    assert (as_staff.status_code, anonymous.status_code, nowhere.status_code) == (403, 401, 404)
    assert not any(t["customized"] for t in listed.json())  # nothing half-written


async def test_wording_is_used_when_real_mail_is_sent(
    client: Client, settings: Settings, organizer: dict[str, str], smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    slug = await _slug(settings)
    person = unique("worded")
    await client.put(
        f"/api/events/{slug}/mail-templates/registered/wording",
        json={"subject": "See you in Boston", "intro": "Thank you for registering <early>."},
        headers=organizer,
    )
    order = (
        await client.post(f"/api/events/{slug}/orders", json=order_body(attendee(person), buyer_email=unique("buyer")))
    ).json()
    await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})

    await deliver(settings, port)

    [mail] = to(inbox, person)
    html = mail.get_body(preferencelist=("html",))
    assert html is not None
    assert mail["Subject"] == "See you in Boston"
    assert "Thank you for registering <early>." in text(mail)
    assert "Thank you for registering &lt;early&gt;." in str(html.get_content())
    assert "Registration: Member" in text(mail)


async def test_template_titles_read_in_the_organizers_language(
    client: Client, settings: Settings, organizer: dict[str, str]
) -> None:
    slug = await _slug(settings)
    page = f"/organizer/events/{slug}/mail"
    html = {**organizer, "Accept": "text/html"}

    spanish = await client.get(page, params={"template": "badge_reprinted"}, headers={**html, "Accept-Language": "es"})
    french = await client.get(f"/api/events/{slug}/mail-templates", headers={**organizer, "Accept-Language": "fr"})
    english = await client.get(page, params={"template": "badge_reprinted"}, headers=html)
    with i18n.recording_misses() as misses:
        for locale in i18n.LOCALES:
            client.cookies.set(COOKIE, locale)
            shown = await client.get(page, headers=html)
            assert (shown.status_code, f'<html lang="{i18n.html_lang(locale)}">' in shown.text) == (200, True)
    client.cookies.clear()

    heading = re.search(r'<h2 id="preview-heading">([^<]*)</h2>', spanish.text)
    assert heading is not None and heading.group(1) == (
        "Credencial reimpresa (nueva credencial adjunta, la anterior queda anulada)"
    )
    assert ">Carta de invitación para visado emitida</a>" in spanish.text
    assert "Visa invitation letter issued" not in spanish.text
    titles = {t["name"]: t["title"] for t in french.json()}
    assert titles["verification_approved"] == "Vérification validée (liens, badge joint)"
    assert titles["abstract_rejected"] == "Un résumé non retenu"
    assert "Badge reprinted (new badge attached, the old one void)</h2>" in english.text
    assert sorted(misses) == []  # every title has a translation in every shipped language
