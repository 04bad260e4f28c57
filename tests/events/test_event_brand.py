"""An event's brand: the logo and colour routes, what each bad input gets, who may call them, and where the
brand shows (the public page, its style sheet, the logo with its cache headers)."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image

from podium import contrast
from tests.asgi_client import Client
from tests.events.test_event_routes import assert_problem, create


def image_bytes(fmt: str, size: tuple[int, int] = (40, 20), colour: str = "#1f6feb", **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt, **save)
    return out.getvalue()


async def published_event(client: Client, organizer: dict[str, str]) -> str:
    slug = (await create(client, organizer)).json()["slug"]
    await client.post(f"/api/events/{slug}/publish", headers=organizer)
    return slug


async def put_logo(
    client: Client, headers: dict[str, str], slug: str, content: bytes, name: str = "logo.png"
) -> httpx.Response:
    return await client.put(f"/api/events/{slug}/logo", files={"logo": (name, content, "image/png")}, headers=headers)


@pytest.mark.parametrize(
    ("background", "ink"),
    [("#ffffff", "#000000"), ("#000000", "#ffffff"), ("#ffe600", "#000000"), ("#0b3d91", "#ffffff")],
)
def test_ink_for_picks_the_readable_text_colour(background: str, ink: str) -> None:
    assert contrast.ink_for(background) == ink


def test_ink_for_every_grey_reaches_aa() -> None:
    greys = [f"#{v:02x}{v:02x}{v:02x}" for v in range(256)]

    worst = min(contrast.contrast_ratio(g, contrast.ink_for(g)) for g in greys)

    assert worst >= contrast.AA_NORMAL_TEXT


def test_contrast_ratio_matches_wcag_examples() -> None:
    assert round(contrast.contrast_ratio("#000000", "#ffffff"), 2) == 21.0
    assert round(contrast.contrast_ratio("#777777", "#ffffff"), 2) == 4.48


async def test_logo_jpeg_is_stored_as_png_without_metadata(client: Client, organizer: dict[str, str]) -> None:
    slug = await published_event(client, organizer)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    jpeg = image_bytes("JPEG", exif=exif.tobytes())

    response = await put_logo(client, organizer, slug, jpeg, "photo.jpg")

    assert response.status_code == 200, response.text
    logo_url = response.json()["logo_url"]
    assert logo_url.startswith(f"/events/{slug}/logo.png?v=")
    served = await client.get(logo_url)
    assert served.headers["content-type"] == "image/png"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    with Image.open(io.BytesIO(served.content)) as image:
        assert (image.format, image.size, image.getexif()) == ("PNG", (40, 20), {})
    again = await client.get(logo_url, headers={"If-None-Match": served.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")
    unversioned = await client.get(f"/events/{slug}/logo.png")
    assert unversioned.headers["cache-control"] == "public, no-cache"


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"", 422, "invalid_input"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', 422, "unsupported_logo"),
        (b"GIF89a" + b"\x00" * 40, 422, "unsupported_logo"),
        (b"\x89PNG\r\n\x1a\n" + b"not really a png", 422, "invalid_input"),
        (image_bytes("PNG", (2001, 10)), 422, "invalid_input"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * (1024 * 1024), 413, "logo_too_large"),
    ],
    ids=["empty", "svg", "gif", "damaged", "too-wide", "too-large"],
)
async def test_bad_logo_names_the_field(
    client: Client, organizer: dict[str, str], content: bytes, status: int, code: str
) -> None:
    slug = await published_event(client, organizer)

    response = await put_logo(client, organizer, slug, content)

    assert_problem(response, status, "logo", code)
    assert (await client.get(f"/events/{slug}/logo.png")).status_code == 404


async def test_delete_logo_removes_it(client: Client, organizer: dict[str, str]) -> None:
    slug = await published_event(client, organizer)
    await put_logo(client, organizer, slug, image_bytes("PNG"))

    deleted = await client.delete(f"/api/events/{slug}/logo", headers=organizer)

    assert deleted.status_code == 204
    assert (await client.get(f"/events/{slug}/logo.png")).status_code == 404
    page = await client.get(f"/events/{slug}")
    assert "logo.png" not in page.text


async def test_colour_sets_the_page_style_sheet_with_readable_ink(client: Client, organizer: dict[str, str]) -> None:
    slug = await published_event(client, organizer)

    response = await client.patch(f"/api/events/{slug}/brand", json={"colour": "#FFE600"}, headers=organizer)

    assert response.json() == {"colour": "#ffe600", "ink": "#000000", "logo_url": None}
    page = await client.get(f"/events/{slug}")
    assert f'<link rel="stylesheet" href="/events/{slug}/brand.css?v=ffe600">' in page.text
    css = await client.get(f"/events/{slug}/brand.css?v=ffe600")
    assert css.headers["content-type"].startswith("text/css")
    assert ".site-header,.event-brand{background:#ffe600;color:#000000}" in css.text
    cleared = await client.patch(f"/api/events/{slug}/brand", json={"colour": None}, headers=organizer)
    assert cleared.json()["colour"] is None
    assert "brand.css" not in (await client.get(f"/events/{slug}")).text


@pytest.mark.parametrize("colour", ["red", "#fff", "#12345g", "1f6feb", 7])
async def test_bad_colour_names_the_field(client: Client, organizer: dict[str, str], colour: object) -> None:
    slug = await published_event(client, organizer)

    response = await client.patch(f"/api/events/{slug}/brand", json={"colour": colour}, headers=organizer)

    assert_problem(response, 422, "colour")


async def test_brand_routes_need_an_organizer(client: Client, organizer: dict[str, str], staff: dict[str, str]) -> None:
    slug = await published_event(client, organizer)
    png = image_bytes("PNG")

    answers = [
        (await put_logo(client, {}, slug, png)).status_code,
        (await put_logo(client, staff, slug, png)).status_code,
        (await client.delete(f"/api/events/{slug}/logo", headers=staff)).status_code,
        (await client.patch(f"/api/events/{slug}/brand", json={"colour": "#000000"})).status_code,
        (await client.patch(f"/api/events/{slug}/brand", json={"colour": "#000000"}, headers=staff)).status_code,
    ]

    assert answers == [401, 403, 403, 401, 403]


async def test_draft_logo_and_style_are_hidden_from_the_public(client: Client, organizer: dict[str, str]) -> None:
    slug = (await create(client, organizer)).json()["slug"]
    await put_logo(client, organizer, slug, image_bytes("PNG"))
    await client.patch(f"/api/events/{slug}/brand", json={"colour": "#0b3d91"}, headers=organizer)

    public = [(await client.get(f"/events/{slug}/{name}")).status_code for name in ("logo.png", "brand.css")]
    organizers = [
        (await client.get(f"/events/{slug}/{name}", headers=organizer)).status_code
        for name in ("logo.png", "brand.css")
    ]

    assert (public, organizers) == ([404, 404], [200, 200])


async def test_archived_event_brand_is_read_only(client: Client, organizer: dict[str, str]) -> None:
    slug = await published_event(client, organizer)
    await client.post(f"/api/events/{slug}/archive", headers=organizer)

    response = await client.patch(f"/api/events/{slug}/brand", json={"colour": "#000000"}, headers=organizer)

    assert_problem(response, 409, "status", "event_archived")


async def test_target_and_previous_edition_are_set_and_cleared(client: Client, organizer: dict[str, str]) -> None:
    earlier = (await create(client, organizer)).json()["slug"]
    slug = (await create(client, organizer)).json()["slug"]

    response = await client.patch(
        f"/api/events/{slug}/target", json={"target": 800, "previous_edition": earlier}, headers=organizer
    )
    cleared = await client.patch(f"/api/events/{slug}/target", json={"target": None}, headers=organizer)

    assert response.json() == {"target": 800, "previous_edition": earlier}
    assert cleared.json() == {"target": None, "previous_edition": None}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target": 0}, "target"),
        ({"target": "many"}, "target"),
        ({"target": 10, "previous_edition": "no-such-event"}, "previous_edition"),
        ({"target": 10, "previous_edition": "Not A Slug"}, "previous_edition"),
        ({"target": 10, "previous_edition": "SELF"}, "previous_edition"),
    ],
)
async def test_bad_target_names_the_field(
    client: Client, organizer: dict[str, str], body: dict[str, object], field: str
) -> None:
    slug = (await create(client, organizer)).json()["slug"]
    if body.get("previous_edition") == "SELF":
        body = body | {"previous_edition": slug}

    response = await client.patch(f"/api/events/{slug}/target", json=body, headers=organizer)

    assert_problem(response, 422, field)


async def test_target_needs_an_organizer(client: Client, organizer: dict[str, str], staff: dict[str, str]) -> None:
    slug = (await create(client, organizer)).json()["slug"]

    answers = [
        (await client.patch(f"/api/events/{slug}/target", json={"target": 5}, headers=h)).status_code
        for h in ({}, staff)
    ]

    assert answers == [401, 403]
