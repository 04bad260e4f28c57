"""Every error is RFC 9457 problem+json naming what is wrong; browsers on page routes get a page."""

from __future__ import annotations

import pytest

from tests.asgi_client import Client


async def test_unknown_path_is_a_404_problem(client: Client) -> None:
    response = await client.get("/api/nothing-here")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "status": 404,
        "type": "urn:podium:problem:not_found",
        "title": "Not found",
        "detail": "Not Found",
        "code": "not_found",
    }


async def test_wrong_method_is_a_405_problem(client: Client) -> None:
    response = await client.delete("/health")

    assert response.status_code == 405
    assert (response.json()["code"], response.json()["title"]) == ("method_not_allowed", "Method not allowed")


async def test_validation_error_names_the_field(client: Client, organizer: dict[str, str]) -> None:
    response = await client.post("/api/events/x-1/rooms", json={"name": "Hall", "capacity": "many"}, headers=organizer)

    problem = response.json()
    assert response.status_code == 422
    assert problem["field"] == "capacity"
    assert problem["errors"] == [{"field": "capacity", "message": "Expected `int`, got `str`"}]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Hall\u0000", "capacity": 1}, "name"),
        ({"name": "Hall", "capacity": 10**30}, "capacity"),
        ({"name": "Hall", "capacity": 1, "extra": True}, "extra"),
        ({"capacity": 1}, "name"),
    ],
)
async def test_weird_input_is_a_422_not_a_500(
    client: Client, organizer: dict[str, str], body: dict[str, object], field: str
) -> None:
    response = await client.post("/api/events/x-1/rooms", json=body, headers=organizer)

    assert response.status_code == 422
    assert response.json()["field"] == field


@pytest.mark.parametrize("slug", ["UPPER", "a" * 300, "dots..and..dots", "%00", "caf%C3%A9"])
async def test_odd_slugs_are_simply_not_found(client: Client, slug: str) -> None:
    response = await client.get(f"/api/events/{slug}")

    assert response.status_code == 404
    assert response.json()["field"] == "event"


async def test_browsers_get_an_error_page_and_a_login_redirect(client: Client) -> None:
    missing = await client.get("/events/no-such-event", headers={"Accept": "text/html"})
    protected = await client.get("/organizer", headers={"Accept": "text/html"}, follow_redirects=False)

    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in missing.text
    assert protected.status_code == 303
    assert protected.headers["location"] == "/login?next=/organizer"
