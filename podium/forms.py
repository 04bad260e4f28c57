"""Form input read into a wire Struct with every mistake at once, each told as a sentence a person understands.

msgspec stops at the first error and speaks to programmers ("Expected `str` of length >= 1 - at
`$.attendees[0].first_name`"). A person filling in a form needs all of their mistakes in one round trip,
next to the fields, in words: "Enter a first name." So when conversion fails, each field is checked on its
own against the same annotated type (the Struct stays the one definition of what is valid) and each
failure is worded from the kind of constraint it broke and the field's name, in the request's language
(``podium.input_words``).
"""

from __future__ import annotations

import types
import typing
from typing import Any, TypeVar

import msgspec
from litestar.params import URLEncodedBody

from podium.errors import FieldError, InvalidInput
from podium.input_words import human_message, message_of

T = TypeVar("T")

# A page's posted form as Litestar hands it over: every field as text, read into a Struct by the helpers below.
FormData = URLEncodedBody[dict[str, str]]


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
