"""Content an organizer gives in more than one language (an event's description, a category's name, a session's
title): the text in a visitor's language, else the base text, which is in the event's default language.

Each translated row keeps a ``translations`` JSON column, ``{locale: {field: text}}``, read with the row itself:
the program and catalog read their rows anyway, so a visitor's language costs no extra query. The wire type is a
plain mapping checked here rather than by msgspec, so a refusal names the locale and field
(``translations.de``, ``translations.es.name``), which msgspec's path (``translations[...]``) would not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from podium.errors import InvalidInput, at_most_characters
from podium.i18n import LOCALES, N_, current_locale, gettext, html_lang

# {locale: {field: text}}; what the API accepts and returns and what the column holds.
Translations = dict[str, dict[str, str]]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Translatable:
    """A field that may be translated, with the base field's limits (``line`` or ``paragraph``)."""

    max_length: int
    multiline: bool = False


def localized(base_text: str, translations: Mapping[str, Mapping[str, str]] | None, field: str, locale: str) -> str:
    """``field`` in ``locale`` when the organizer gave it, else the base text (the event's default language)."""
    if translations:
        text = translations.get(locale, {}).get(field)
        if text:
            return text
    return base_text


def translated_text(item: Any, field: str) -> str:
    """The template filter ``{{ session | translated("title") }}``: ``field`` of a row with ``translations`` in
    the page's or mail's language."""
    return localized(getattr(item, field), getattr(item, "translations", None), field, current_locale())


def clean_translations(raw: Mapping[str, Mapping[str, str]], fields: Mapping[str, Translatable]) -> Translations:
    """``raw`` checked against the shipped locales and ``fields`` (their limits as the base fields'), trimmed,
    with empty texts and locales left out (an empty text means "not translated": the base text shows)."""
    cleaned: Translations = {}
    for locale, texts in raw.items():
        if locale not in LOCALES:
            raise InvalidInput(
                gettext("%(locale)s is not a language Podium ships; use one of %(choices)s")
                % {"locale": repr(locale), "choices": ", ".join(LOCALES)},
                field=f"translations.{locale}",
            )
        kept: dict[str, str] = {}
        for name, text in texts.items():
            where = f"translations.{locale}.{name}"
            limits = fields.get(name)
            if limits is None:
                raise InvalidInput(
                    gettext("only %(fields)s can be translated") % {"fields": ", ".join(fields)}, field=where
                )
            value = text.strip()
            if len(value) > limits.max_length:
                raise InvalidInput(at_most_characters(limits.max_length), field=where)
            if (_CONTROL_MULTILINE if limits.multiline else _CONTROL).search(value):
                raise InvalidInput(N_("must not contain control characters"), field=where)
            if value:
                kept[name] = value
        if kept:
            cleaned[locale] = kept
    return cleaned


# What selects the language of a public answer (``podium.locale_choice``: the switcher's cookie, else the
# browser's Accept-Language): shared caches must keep one copy per value of both.
VARY = "Accept-Language, Cookie"


def content_headers(locale: str) -> dict[str, str]:
    """The headers of a public answer whose content is in ``locale``."""
    return {"Content-Language": html_lang(locale), "Vary": VARY}


# Organizer forms name each translated input ``translations.<locale>.<field>``: a refusal's field is the input's
# name, so the error shows beside it (``podium.forms``).
_FORM_PREFIX = "translations."


def form_values(translations: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """Translations as the values of a form's inputs."""
    return {
        f"{_FORM_PREFIX}{locale}.{field}": text
        for locale, texts in translations.items()
        for field, text in texts.items()
    }


def form_translations(form: Mapping[str, str]) -> Translations | None:
    """The translations a form sent, or None when it has no translation inputs (a form that doesn't offer them
    leaves them as they are). Checked by ``clean_translations`` in the service, as the API's are."""
    sent = {key: value for key, value in form.items() if key.startswith(_FORM_PREFIX)}
    if not sent:
        return None
    translations: Translations = {}
    for key, value in sent.items():
        locale, _, field = key.removeprefix(_FORM_PREFIX).partition(".")
        translations.setdefault(locale, {})[field] = value
    return translations
