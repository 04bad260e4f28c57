"""A refused form names every wrong field at once, in sentences, never in msgspec's words."""

from __future__ import annotations

from typing import Annotated

import msgspec
import pytest

from podium.errors import FieldError, InvalidInput
from podium.forms import read_form
from podium.i18n import using_locale
from podium.input_words import human_message
from podium.schema import Struct, line
from registration.documents.schemas import BillingIn
from registration.schemas import OrderCreate


class Room(Struct):
    name: Annotated[str, line(100)]
    capacity: Annotated[int, msgspec.Meta(ge=0)] | None = None


def test_an_empty_order_names_every_missing_field_in_words() -> None:
    attendee = {"email": "", "first_name": "", "last_name": "", "country": "", "category": "", "answers": {}}
    body = {"buyer_name": "", "buyer_email": "", "attendees": [attendee, {**attendee, "first_name": "Ada"}]}

    with pytest.raises(InvalidInput) as refused:
        read_form(body, OrderCreate)

    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("buyer_name", "Enter your name."),
        ("buyer_email", "Enter your email address."),
        ("attendees[0].email", "Enter an email address."),
        ("attendees[0].first_name", "Enter a first name."),
        ("attendees[0].last_name", "Enter a last name."),
        ("attendees[0].country", "Enter a country by its two-letter ISO code, like US, DE or IN."),
        ("attendees[0].category", "Choose a registration category."),
        ("attendees[1].email", "Enter an email address."),
        ("attendees[1].last_name", "Enter a last name."),
        ("attendees[1].country", "Enter a country by its two-letter ISO code, like US, DE or IN."),
        ("attendees[1].category", "Choose a registration category."),
    ]


def test_wrong_shapes_are_explained_not_quoted() -> None:
    body = {"organization": "x" * 201, "address": "", "country": "XX", "tax_id": "DE 12#", "po_number": "ok"}

    with pytest.raises(InvalidInput) as refused:
        read_form(body, BillingIn)

    assert refused.value.errors == [
        FieldError("organization", "Organization can be at most 200 characters."),
        FieldError("country", "Enter a country by its two-letter ISO code, like US, DE or IN."),
        FieldError("tax_id", "Check tax id: it has characters that aren't allowed here."),
    ]


def test_numbers_and_printable_text_read_as_sentences() -> None:
    with pytest.raises(InvalidInput) as refused:
        read_form({"name": "Hall\tA", "capacity": "-1"}, Room, strict=False)

    assert [e.message for e in refused.value.errors] == [
        "Name contains characters that can't be printed, like a tab or a line break.",
        "Number of seats must be 0 or more.",
    ]


def test_a_valid_form_is_the_struct() -> None:
    assert read_form({"name": "Hall A", "capacity": "120"}, Room, strict=False) == Room(name="Hall A", capacity=120)


@pytest.mark.parametrize(
    "raw",
    [
        "Expected `str` of length >= 1 - at `$.title`",
        "Object missing required field `title`",
        "Expected `int`, got `str` - at `$.title`",
        "Invalid enum value 'x' - at `$.title`",
        "Expected `date`, got `str` - at `$.title`",
        "Something msgspec may say one day",
    ],
)
def test_no_message_keeps_validator_language(raw: str) -> None:
    message = human_message("title", raw)

    assert "`" not in message and "Expected" not in message and message.endswith(".")


def test_a_refused_form_speaks_the_readers_language() -> None:
    attendee = {"email": "", "first_name": "", "last_name": "", "country": "", "category": "", "answers": {}}
    body = {"buyer_name": "", "buyer_email": "", "attendees": [attendee]}

    with using_locale("es"), pytest.raises(InvalidInput) as refused:
        read_form(body, OrderCreate)
    with using_locale("fr"), pytest.raises(InvalidInput) as too_long:
        read_form({"name": "x" * 101}, Room, strict=False)

    assert [(e.field, e.message) for e in refused.value.errors][:3] == [
        ("buyer_name", "Introduce tu nombre."),
        ("buyer_email", "Introduce tu correo electrónico."),
        ("attendees[0].email", "Introduce un correo electrónico."),
    ]
    assert refused.value.errors[-1] == FieldError("attendees[0].category", "Elige una categoría de inscripción.")
    assert too_long.value.errors == [FieldError("name", "Nom peut comporter au plus 100 caractères.")]
