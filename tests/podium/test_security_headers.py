"""Security headers (podium/security_headers.py): every page forbids inline script and framing, every response
keeps its referrer to itself, and the templates hold nothing the pages' CSP would block."""

from __future__ import annotations

import dataclasses
import re
import secrets
from pathlib import Path

import pytest
from litestar import Litestar

from podium.main.app import create_app
from podium.settings import Settings
from tests.asgi_client import Client, app_client
from tests.registration.factories import CatalogFixture, build_catalog, db_session_for, order_body

HTML = {"Accept": "text/html"}
TEMPLATES = Path(__file__).resolve().parents[2] / "podium" / "templates"
COMMON = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}


def directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


@pytest.fixture
async def catalog(settings: Settings) -> CatalogFixture:
    async with db_session_for(settings) as db_session:
        return await build_catalog(db_session)


@pytest.mark.parametrize("path", ["/", "/login", "/events/no-such-event"])
async def test_pages_forbid_inline_script_and_framing(client: Client, path: str) -> None:
    response = await client.get(path, headers=HTML)

    policy = directives(response.headers["content-security-policy"])
    assert response.headers["content-type"].startswith("text/html")
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert response.headers["x-frame-options"] == "DENY"
    assert {name: response.headers[name] for name in COMMON} == COMMON


async def test_secret_link_page_sends_no_referrer(client: Client, catalog: CatalogFixture) -> None:
    placed = await client.post(
        f"/api/events/{catalog.slug}/orders", json=order_body(), headers={"Idempotency-Key": secrets.token_hex(8)}
    )
    order = placed.json()

    page = await client.get(f"/orders/{order['id']}", params={"secret": order["secret"]}, headers=HTML)

    assert page.status_code == 200, page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert directives(page.headers["content-security-policy"])["script-src"] == ["'self'"]


async def test_stripe_is_allowed_only_when_configured(settings: Settings) -> None:
    stripe = dataclasses.replace(
        settings, stripe_secret_key="sk_test_" + "x" * 24, stripe_js_url="https://js.stripe.com/v3/"
    )
    apps: dict[str, Litestar] = {"off": create_app(settings), "on": create_app(stripe)}
    policies: dict[str, dict[str, list[str]]] = {}

    for name, app in apps.items():
        async with app_client(app) as client:
            policies[name] = directives((await client.get("/login", headers=HTML)).headers["content-security-policy"])

    assert policies["off"]["script-src"] == ["'self'"]
    assert policies["off"]["frame-src"] == ["'none'"]
    assert policies["on"]["script-src"] == ["'self'", "https://js.stripe.com"]
    assert policies["on"]["frame-src"] == ["https://js.stripe.com", "https://hooks.stripe.com"]
    assert policies["on"]["connect-src"] == ["'self'", "https://api.stripe.com"]


@pytest.mark.parametrize("path", ["/api/events", "/api/no-such-route", "/health"])
async def test_api_responses_allow_nothing(client: Client, path: str) -> None:
    response = await client.get(path)

    assert response.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert response.headers["x-frame-options"] == "DENY"
    assert {name: response.headers[name] for name in COMMON} == COMMON


async def test_pdf_gets_no_policy_that_breaks_the_browser_viewer(client: Client, catalog: CatalogFixture) -> None:
    placed = await client.post(
        f"/api/events/{catalog.slug}/orders", json=order_body(), headers={"Idempotency-Key": secrets.token_hex(8)}
    )
    order = placed.json()
    secret = {"X-Order-Secret": order["secret"]}
    paid = await client.post(f"/api/orders/{order['id']}/offline-payment", headers=secret)
    assert paid.status_code == 200, paid.text

    pdf = await client.get(f"/api/orders/{order['id']}/receipt.pdf", headers=secret)

    assert pdf.headers["content-type"] == "application/pdf"
    assert "content-security-policy" not in pdf.headers
    assert {name: pdf.headers[name] for name in COMMON} == COMMON


async def test_swagger_ui_has_no_inline_script(client: Client) -> None:
    page = await client.get("/schema")
    spec = await client.get("/schema/openapi.json")

    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page.text, re.S)
    assert page.status_code == 200
    assert [src for src, _ in scripts] == [
        ' src="/static/vendor/swagger-ui/swagger-ui-bundle.js" defer',
        ' src="/static/vendor/swagger-ui/swagger-ui-standalone-preset.js" defer',
        ' src="/static/js/swagger-init.js" defer',
    ]
    assert all(body.strip() == "" for _, body in scripts)
    assert 'data-spec-url="/schema/openapi.json"' in page.text
    assert "<style" not in page.text and "style=" not in page.text
    assert directives(page.headers["content-security-policy"])["script-src"] == ["'self'"]
    assert spec.json()["info"]["title"] == "Podium API"


def test_templates_hold_nothing_the_csp_blocks() -> None:
    """Inline scripts, event-handler attributes, style attributes or elements, javascript: URLs."""
    offences: list[str] = []
    patterns = {
        # A JSON data block (``type="application/json"``) is never run, so the policy has nothing to block.
        "inline script": re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", re.I),
        "handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
        "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I),
        "style element": re.compile(r"<style\b", re.I),
        "javascript: URL": re.compile(r"javascript:", re.I),
    }

    for template in sorted(TEMPLATES.rglob("*.html")):
        if template.relative_to(TEMPLATES).parts[0] == "mail":
            continue  # mail bodies, never served as pages: mail clients drop <style>, so they style inline
        text = template.read_text()
        offences += [f"{template.relative_to(TEMPLATES)}: {what}" for what, p in patterns.items() if p.search(text)]

    assert offences == []
    assert len(list(TEMPLATES.rglob("*.html"))) > 20  # the walk found the templates
