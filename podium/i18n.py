"""Translations: gettext catalogs per locale, the locale of the page or mail being written, and Jinja's i18n
extension on top of them.

The ``.po`` files under ``podium/locales`` are the source of truth and are compiled in memory the first time a
locale is used, so a clean clone needs no build step and the repository holds no binary catalogs. The locale is
a context variable, set per request (``podium.locale_choice``) and per mail (``podium.mail``): pages render
concurrently in one worker, and each request's task sees only its own value, where Jinja's
``install_gettext_translations`` would switch one translation for every page at once.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment

LOCALE_DIR = Path(__file__).parent / "locales"
DEFAULT_LOCALE = "en"
# English is the source language. Portuguese is Brazil's (pt_BR): most Portuguese-speaking researchers the
# society reaches are there. Chinese is Simplified, written as the script (zh_Hans), not a country.
LOCALES = ("en", "es", "fr", "pt_BR", "zh_Hans")
# What each locale calls itself, for the switcher (a visitor looks for their own language's name).
LOCALE_NAMES = {locale: Locale.parse(locale).get_display_name(locale) or locale for locale in LOCALES}

_current: ContextVar[str] = ContextVar("podium_locale", default=DEFAULT_LOCALE)
# A set while a test (or a catalog check) wants to know which messages had no translation.
_misses: ContextVar[set[tuple[str, str]] | None] = ContextVar("podium_i18n_misses", default=None)


@dataclass(frozen=True, slots=True)
class Catalog:
    """One locale's compiled translations and the message ids it really translates (not empty, not fuzzy)."""

    translations: Translations
    known: frozenset[str]


@lru_cache(maxsize=len(LOCALES))
def catalog(locale: str) -> Catalog:
    """The locale's catalog, read from its ``.po`` and compiled once per process."""
    path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        parsed = read_po(po, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, parsed, use_fuzzy=False)
    compiled.seek(0)
    known = frozenset(
        message.id if isinstance(message.id, str) else message.id[0]
        for message in parsed
        if message.id and not message.fuzzy and _translated(message.string)
    )
    return Catalog(translations=Translations(compiled), known=known)


def _translated(string: object) -> bool:
    if isinstance(string, str):
        return bool(string)
    return isinstance(string, tuple | list) and all(string)


def html_lang(locale: str) -> str:
    """The BCP 47 tag for ``<html lang>`` and ``Content-Language``: ``pt-BR``, ``zh-Hans``."""
    return locale.replace("_", "-")


def current_locale() -> str:
    return _current.get()


@contextmanager
def using_locale(locale: str | None) -> Iterator[str]:
    """Write in ``locale`` (a shipped one; anything else falls back to English) inside the block."""
    chosen = locale if locale in LOCALES else DEFAULT_LOCALE
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


@contextmanager
def recording_misses() -> Iterator[set[tuple[str, str]]]:
    """Collect ``(locale, message)`` for every message looked up without a translation inside the block."""
    misses: set[tuple[str, str]] = set()
    token = _misses.set(misses)
    try:
        yield misses
    finally:
        _misses.reset(token)


def _record(locale: str, message: str) -> None:
    misses = _misses.get()
    if misses is not None and locale != DEFAULT_LOCALE and message not in catalog(locale).known:
        misses.add((locale, message))


def gettext(message: str) -> str:
    """``message`` in the current locale (as is in English, or when a catalog lacks it)."""
    locale = _current.get()
    if locale == DEFAULT_LOCALE:
        return message
    _record(locale, message)
    return catalog(locale).translations.gettext(message)


def known_or_as_is(message: str) -> str:
    """``message`` translated when the catalog has it, else as is, without counting it as missing: for text that
    may not be in the catalogs (a refusal written with its values, a form field without a label)."""
    locale = _current.get()
    if locale == DEFAULT_LOCALE:
        return message
    return catalog(locale).translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` for ``n`` by the current locale's plural rules."""
    locale = _current.get()
    if locale == DEFAULT_LOCALE:
        return singular if n == 1 else plural
    _record(locale, singular)
    return catalog(locale).translations.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a message for extraction where it is defined; it is translated where it is shown."""
    return message


def install(environment: Environment) -> None:
    """Jinja's i18n extension with new-style gettext (``{{ _("Hello %(name)s", name=n) }}`` escapes and
    formats), reading the locale from the context variable at render time."""
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]  # added by jinja2.ext.i18n at run time
    environment.globals["current_locale"] = current_locale
    environment.globals["html_lang"] = lambda: html_lang(_current.get())
