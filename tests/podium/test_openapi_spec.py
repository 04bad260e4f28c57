"""The published spec matches what the server accepts: closed request bodies, and 405 answers whose Allow
header lists every method the path has."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.asgi_client import Client

METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture
async def spec(client: Client) -> dict[str, Any]:
    return (await client.get("/schema/openapi.json")).json()


def _component(spec: dict[str, Any], ref: str) -> dict[str, Any]:
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]]


async def test_every_json_request_body_refuses_unknown_fields_in_the_spec_too(spec: dict[str, Any]) -> None:
    open_bodies = []
    for path, item in spec["paths"].items():
        for method in METHODS:
            body = item.get(method, {}).get("requestBody", {}).get("content", {}).get("application/json")
            if body is None:
                continue
            schema = body["schema"]
            schema = _component(spec, schema["$ref"]) if "$ref" in schema else schema
            if schema.get("type") == "object" and schema.get("additionalProperties") is not False:
                open_bodies.append(f"{method.upper()} {path}")

    assert open_bodies == []
    assert _component(spec, "#/components/schemas/OrderCreate")["additionalProperties"] is False


async def test_a_405_lists_every_method_of_the_path(client: Client, spec: dict[str, Any]) -> None:
    wrong = []
    for path, item in spec["paths"].items():
        documented = {m.upper() for m in METHODS if m in item}
        unsupported = next(m.upper() for m in (*METHODS, "trace") if m not in item)
        url = re.sub(r"\{\w+_id\}", "00000000-0000-4000-8000-000000000000", path)
        url = re.sub(r"\{\w+\}", "some-thing", url)

        response = await client.request(unsupported, url)

        allowed = {m.strip() for m in response.headers.get("allow", "").split(",")} - {"OPTIONS", "HEAD"}
        if response.status_code != 405 or allowed != documented:
            wrong.append((unsupported, path, response.status_code, sorted(allowed), sorted(documented)))

    assert wrong == []


async def test_constraints_inside_lists_and_dicts_are_in_the_spec(spec: dict[str, Any]) -> None:
    attendee = _component(spec, "#/components/schemas/AttendeeIn")["properties"]

    answers, add_ons = attendee["answers"], attendee["add_ons"]

    assert add_ons["items"]["pattern"] == "^[a-z0-9][a-z0-9_-]{0,39}$"
    assert (answers["maxProperties"], answers["propertyNames"]["maxLength"]) == (50, 40)
    assert answers["propertyNames"]["pattern"] == "^[^\\x00-\\x1f\\x7f]*$"
    assert [alt.get("maxLength") for alt in answers["additionalProperties"]["oneOf"]] == [2000, None]


def _string_schemas(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The string alternatives of a parameter's schema, each with the constraints stated beside ``oneOf``."""
    alternatives = schema.get("oneOf") or schema.get("anyOf")
    if alternatives:
        outer = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
        return [found for alt in alternatives for found in _string_schemas({**outer, **alt})]
    return [schema] if schema.get("type") == "string" else []


async def test_every_text_query_parameter_says_in_the_spec_that_nul_is_refused(spec: dict[str, Any]) -> None:
    """The server refuses a NUL in any query parameter a handler reads (``podium.input_guards``); a spec that
    called such a value valid had a random fuzz run report "valid data rejected" on ``?q=…%00``."""
    silent = []
    for path, item in spec["paths"].items():
        for method in METHODS:
            for parameter in item.get(method, {}).get("parameters", []):
                if parameter["in"] != "query":
                    continue
                for schema in _string_schemas(parameter["schema"]):
                    pattern = schema.get("pattern")
                    refused = (
                        "enum" in schema
                        or "format" in schema
                        or (pattern is not None and re.search(pattern, "a\x00b") is None)
                    )
                    if not refused:
                        silent.append(f"{method.upper()} {path} ?{parameter['name']}")

    assert silent == []
