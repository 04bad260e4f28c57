"""Languages (podium/i18n.py, podium/locale_choice.py, podium/formatting.py): the catalogs hold every message the
code and templates use, the visitor's choice and browser pick the language, and dates and money read as the
locale writes them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from babel.messages.pofile import read_po

from podium import i18n
from podium.formatting import format_date, format_date_range, format_day, format_money, format_number
from podium.locale_choice import COOKIE, locale_of, negotiate
from tests.asgi_client import BASE_URL, Client

HTML = {"Accept": "text/html"}
TRANSLATED = [locale for locale in i18n.LOCALES if locale != i18n.DEFAULT_LOCALE]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]")


def test_extraction_finds_the_messages_of_templates_and_code(extracted: set[str]) -> None:
    assert "Skip to content" in extracted  # base.html
    assert "%(start)s to %(end)s" in extracted  # podium/formatting.py


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_used_message_is_translated(extracted: set[str], locale: str) -> None:
    """Fails while any message the templates or code use is missing, empty or fuzzy: run
    scripts/extract-messages and translate what it adds."""
    untranslated = sorted(extracted - i18n.catalog(locale).known)

    assert untranslated == []


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_translation_keeps_the_placeholders_of_its_message(locale: str) -> None:
    path = i18n.LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    wrong = []
    for message in catalog:
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string or ())
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            found = set(PLACEHOLDER.findall(string))
            # A plural form may spell its number out ("un billet"), so it may leave a placeholder out.
            if string and (found != wanted if len(ids) == 1 else not found <= wanted):
                wrong.append((ids[0], string))

    assert wrong == []


def test_english_is_the_source_and_others_fall_back_to_it() -> None:
    with i18n.using_locale("es"):
        spanish = i18n.gettext("Skip to content")
    with i18n.using_locale("xx"):  # not shipped: English
        chosen = i18n.current_locale()

    assert (spanish, i18n.gettext("Skip to content"), chosen) == ("Ir al contenido", "Skip to content", "en")


def test_a_missing_message_is_recorded() -> None:
    with i18n.recording_misses() as misses, i18n.using_locale("fr"):
        shown = i18n.gettext("A sentence no catalog has")
        i18n.gettext("Skip to content")

    assert (shown, misses) == ("A sentence no catalog has", {("fr", "A sentence no catalog has")})


def test_money_in_european_and_japanese_locales() -> None:
    """CLDR's forms: a no-break space before the euro sign in German, and Japanese' own (full-width) yen sign."""
    assert format_money(123450, "EUR", locale="de") == "1.234,50\xa0€"
    assert format_money(123450, "EUR", locale="fr") == "1\u202f234,50\xa0€"
    assert format_money(1235, "JPY", locale="ja") == "￥1,235"
    assert format_money(-52000, "USD", locale="en") == "USD -520.00"


def test_dates_and_numbers_follow_the_current_locale() -> None:
    day, last = dt.date(2027, 6, 7), dt.date(2027, 6, 11)

    with i18n.using_locale("es"):
        spanish = (format_date(day), format_date_range(day, last), format_day(day), format_number(1234567))
    with i18n.using_locale("zh_Hans"):
        chinese = format_date(day)

    assert spanish == (
        "lunes, 7 de junio de 2027",
        "del lunes, 7 de junio de 2027 al viernes, 11 de junio de 2027",
        "lun, 7 de junio",
        "1.234.567",
    )
    assert chinese == "2027年6月7日星期一"
    assert format_date_range(day, last) == "Monday June 7, 2027 to Friday June 11, 2027"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("es-MX,es;q=0.9,en;q=0.8", "es"),
        ("de-DE,fr;q=0.7", "fr"),
        ("pt-BR", "pt_BR"),
        ("pt", "pt_BR"),
        ("zh-CN,zh;q=0.9", "zh_Hans"),
        ("en;q=0.2,fr;q=0.9", "fr"),
        ("fr;q=0,es", "es"),
        ("de, ja", None),
        ("", None),
        ("fr;q=garbage,es", "es"),
    ],
)
def test_accept_language_is_negotiated_against_the_shipped_locales(header: str, expected: str | None) -> None:
    assert negotiate(header) == expected


def test_the_cookie_wins_over_the_browser_unless_it_names_no_shipped_locale() -> None:
    assert locale_of("fr", "es") == "fr"
    assert locale_of("klingon", "es") == "es"
    assert locale_of(None, None) == "en"


async def test_a_page_speaks_the_browsers_language(client: Client) -> None:
    client.cookies.clear()

    spanish = await client.get("/", headers={**HTML, "Accept-Language": "es-ES,es;q=0.9"})
    english = await client.get("/", headers={**HTML, "Accept-Language": "de"})

    assert '<html lang="es">' in spanish.text and ">Ir al contenido<" in spanish.text
    assert '<html lang="en">' in english.text and ">Skip to content<" in english.text


async def test_the_switcher_remembers_the_choice_over_the_browsers(client: Client) -> None:
    client.cookies.clear()
    page = await client.get("/login", headers={**HTML, "Accept-Language": "es"})
    assert 'action="/language"' in page.text and '<option value="zh_Hans" lang="zh-Hans">' in page.text

    chosen = await client.post(
        "/language",
        data={"locale": "zh_Hans", "next": "/login", "_csrf_token": client.cookies["podium_csrf"]},
        headers={**HTML, "Origin": BASE_URL},
        follow_redirects=False,
    )
    after = await client.get("/login", headers={**HTML, "Accept-Language": "es"})

    assert (chosen.status_code, chosen.headers["location"]) == (303, "/login")
    assert client.cookies[COOKIE] == "zh_Hans"
    assert '<html lang="zh-Hans">' in after.text and ">跳到正文<" in after.text
    assert '<option value="zh_Hans" lang="zh-Hans" selected>' in after.text


async def test_the_switcher_never_sends_a_visitor_off_the_site(client: Client) -> None:
    client.cookies.clear()
    await client.get("/login", headers=HTML)

    chosen = await client.post(
        "/language",
        data={"locale": "nonsense", "next": "//evil.example/", "_csrf_token": client.cookies["podium_csrf"]},
        headers={**HTML, "Origin": BASE_URL},
        follow_redirects=False,
    )

    assert (chosen.status_code, chosen.headers["location"], client.cookies[COOKIE]) == (303, "/", "en")
