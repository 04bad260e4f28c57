"""Form input read into a wire Struct with every mistake at once, each told as a sentence a person understands.

msgspec stops at the first error and speaks to programmers ("Expected `str` of length >= 1 - at
`$.attendees[0].first_name`"). A person filling in a form needs all of their mistakes in one round trip,
next to the fields, in words: "Enter a first name." So when conversion fails, each field is checked on its
own against the same annotated type (the Struct stays the one definition of what is valid) and each
failure is worded from the kind of constraint it broke and the field's name.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any, TypeVar

import msgspec
from litestar.params import URLEncodedBody

from podium.errors import FieldError, InvalidInput

T = TypeVar("T")

# How a field is named inside a sentence ("Enter {label}."); anything else reads as its name in words.
_LABELS = {
    "first_name": "a first name",
    "last_name": "a last name",
    "email": "an email address",
    "buyer_name": "your name",
    "buyer_email": "your email address",
    "name": "a name",
    "display_name": "a name",
    "password": "a password",
    "new_password": "a new password",
    "current_password": "your current password",
    "country": "a country",
    "affiliation": "an affiliation",
    "member_number": "a member number",
    "access_code": "an access code",
    "promo_code": "a promo code",
    "title": "a title",
    "slug": "a short name for links",
    "timezone": "a time zone",
    "start_date": "the first day",
    "end_date": "the last day",
    "starts_at": "a start time",
    "ends_at": "an end time",
    "code": "a code",
    "amount": "an amount",
    "capacity": "a number of seats",
    "size": "a number of seats",
}

# What an empty required field says when "Enter {label}." would not fit.
_REQUIRED = {
    "category": "Choose a registration category.",
    "kind": "Choose a kind.",
    "room_id": "Choose a room.",
    "country": "Enter a country by its two-letter ISO code, like US, DE or IN.",
}

# What a value in the wrong shape says, for fields whose shape a person must know.
_FORMATS = {
    "email": "Enter an email address like name@example.org.",
    "buyer_email": "Enter your email address like name@example.org.",
    "country": "Enter a country by its two-letter ISO code, like US, DE or IN.",
    "member_number": "A member number is 3 to 40 letters, digits or hyphens.",
    "promo_code": "A promo code is 3 to 40 letters, digits or hyphens.",
    "access_code": "Check the access code: it has characters a code never has.",
    "category": "Choose a registration category.",
    "slug": "Use lower-case letters, digits and hyphens only, like annual-meeting-2027.",
    "code": "Use lower-case letters, digits, hyphens and underscores only, like early-bird.",
    "timezone": "Enter a time zone by its name, like America/New_York or Europe/Berlin.",
    "colour": "Enter a colour like #0b5cad.",
    "color": "Enter a colour like #0b5cad.",
}

_PATH = re.compile(r"at `\$\.?([^`]*)`")
_MISSING = re.compile(r"missing required field `([^`]+)`")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")

# A page's posted form as Litestar hands it over: every field as text, read into a Struct by the helpers below.
FormData = URLEncodedBody[dict[str, str]]


def leaf(path: str) -> str:
    """``attendees[0].answers.diet`` → ``diet``; ``attendees[1].email`` → ``email``."""
    return re.sub(r"\[\d+\]", "", path).rsplit(".", 1)[-1]


def _words(name: str) -> str:
    return _LABELS.get(name, name.replace("_", " "))


def _bare(name: str) -> str:
    """The label without its article, to start a sentence: "a first name" → "First name"."""
    words = _words(name)
    for article in ("a ", "an ", "the ", "your "):
        if words.startswith(article):
            words = words[len(article) :]
            break
    return words[:1].upper() + words[1:]


def sentence(text: str) -> str:
    """A service's message ("the Member category needs a member number") as a sentence: capital, full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[:1].upper() + text[1:]
    # A translated message may end as Chinese does: the ideographic full stop, exclamation and question marks.
    return text if text[-1] in ".!?\u3002\uff01\uff1f" else f"{text}."


def human_message(path: str, raw: str, *, empty: bool = False) -> str:
    """One msgspec complaint about ``path`` in words. ``empty``: the person left the field blank."""
    name = leaf(path)
    if empty or "missing required field" in raw or raw.startswith("Expected `str` of length >= 1"):
        return _REQUIRED.get(name) or f"Enter {_words(name)}."
    if name in _FORMATS and ("matching regex" in raw or "of length >=" in raw):
        return _FORMATS[name]
    numbers = _NUMBER.findall(raw.split(" - at ")[0].split("regex")[0])
    return _shape_message(name, raw, numbers) or _number_message(name, raw, numbers) or _type_message(name, raw)


def _shape_message(name: str, raw: str, numbers: list[str]) -> str | None:
    """Too long, too short, or characters the field's pattern refuses."""
    unit = "items" if "`array`" in raw or "`object`" in raw else "characters"
    if "of length <=" in raw:
        return f"{_bare(name)} can be at most {numbers[-1]} {unit}."
    if "of length >=" in raw:
        return f"{_bare(name)} needs at least {numbers[-1]} {unit}."
    if "matching regex" not in raw:
        return None
    if "x00-" in raw:  # the no-control-characters rule every line of text has
        return f"{_bare(name)} contains characters that can't be printed, like a tab or a line break."
    return f"Check {_words(name)}: it has characters that aren't allowed here."


def _number_message(name: str, raw: str, numbers: list[str]) -> str | None:
    """A number out of range, or not a number at all."""
    if not any(f"Expected `{kind}`" in raw for kind in ("int", "float", "decimal")):
        return None
    if ">=" in raw or ">" in raw:
        return f"{_bare(name)} must be {numbers[-1]} or more."
    if "<=" in raw or "<" in raw:
        return f"{_bare(name)} must be {numbers[-1]} or less."
    return f"Enter {_words(name)} as {'a whole number' if '`int`' in raw else 'a number'}."


def _type_message(name: str, raw: str) -> str:
    """A value of the wrong kind: an option, a date, a time, a choice from a list, text."""
    if "Invalid enum value" in raw or "Expected `bool`" in raw:
        return f"Choose one of the options for {_words(name)}."
    if "`date`" in raw or "RFC3339 encoded date" in raw:
        return f"Enter {_words(name)} as a date, like 2027-06-07."
    if "`time`" in raw or "`datetime`" in raw or "RFC3339" in raw:
        return f"Enter {_words(name)} as a date and time."
    if "`uuid`" in raw or "UUID" in raw:
        return f"Choose {_words(name)} from the list."
    if "Expected `str`" in raw:
        return f"Enter {_words(name)} as text."
    return f"Check {_words(name)}: it isn't in a form we can accept."


def message_of(exc: msgspec.ValidationError) -> tuple[str, str]:
    """A lone msgspec error → (field path, sentence); the path is empty when the message names none."""
    raw = str(exc)
    missing = _MISSING.search(raw)
    found = _PATH.search(raw)
    path = found.group(1) if found else ""
    if missing:
        path = f"{path}.{missing.group(1)}" if path else missing.group(1)
    return path, human_message(path, raw)


def _unwrap(annotation: Any) -> Any:
    """``Annotated[X, Meta]`` → ``X``."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _struct_in(annotation: Any) -> type[msgspec.Struct] | None:
    """The Struct a field holds (itself, or inside ``X | None``), if it holds one."""
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        structs = [s for s in map(_struct_in, typing.get_args(annotation)) if s is not None]
        return structs[0] if len(structs) == 1 else None
    return None


def _list_of_structs(annotation: Any) -> type[msgspec.Struct] | None:
    annotation = _unwrap(annotation)
    if typing.get_origin(annotation) is list:
        return _struct_in(typing.get_args(annotation)[0])
    return None


def field_errors(value: Any, annotation: Any, path: str = "", *, strict: bool = True) -> list[FieldError]:
    """Every field of ``value`` that does not fit ``annotation``, each with its sentence, in field order."""
    struct = _struct_in(annotation) if isinstance(value, dict) else None
    if struct is not None:
        try:
            msgspec.convert(value, annotation, strict=strict)
            return []
        except msgspec.ValidationError:
            pass
        errors: list[FieldError] = []
        for field in msgspec.structs.fields(struct):
            where = f"{path}.{field.encode_name}" if path else field.encode_name
            if field.encode_name not in value:
                if field.required:
                    errors.append(FieldError(where, human_message(where, "", empty=True)))
                continue
            errors.extend(field_errors(value[field.encode_name], field.type, where, strict=strict))
        return errors
    try:
        msgspec.convert(value, annotation, strict=strict)
        return []
    except msgspec.ValidationError as exc:
        item = _list_of_structs(annotation)
        if item is not None and isinstance(value, list) and value:
            nested = [e for i, v in enumerate(value) for e in field_errors(v, item, f"{path}[{i}]", strict=strict)]
            if nested:
                return nested
        empty = value is None or value == [] or (isinstance(value, str) and not value.strip())
        return [FieldError(path, human_message(path, str(exc), empty=empty))]


def read_form(body: dict[str, Any], into: type[T], *, strict: bool = True) -> T:
    """``msgspec.convert(body, into)``, or InvalidInput naming every wrong field in words (not only the first)."""
    try:
        return msgspec.convert(body, into, strict=strict)
    except msgspec.ValidationError as exc:
        errors = field_errors(body, into, strict=strict)
        if not errors:
            path, message = message_of(exc)
            errors = [FieldError(path or "__all__", message)]
        raise InvalidInput(errors[0].message, field=errors[0].field, errors=errors) from exc
