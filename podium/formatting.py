"""How money, days and instants read to people: one place, so a receipt, a page and a mail say the same.

Money is integer minor units plus an ISO 4217 code and is printed with the currency's own decimals (never
through a float); instants are stored in UTC and shown in the event's time zone, with the zone named so
nobody converts them a second time.

Every function writes in the current locale (``podium.i18n``) unless given one. English keeps Podium's own
house style (``USD 520.00``, ``Monday June 7, 2027``: receipts and mails already issued read that way); every
other locale is CLDR's through Babel (``1.234,50 €``, ``7 de junho de 2027``), the way its readers write.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import dates, numbers
from markupsafe import Markup, escape

from podium.i18n import DEFAULT_LOCALE, current_locale, gettext
from podium.reader_zone import current_reader_zone
from podium.translated import translated_text

# ISO 4217 currencies whose minor unit is not the cent (the ones Stripe also treats specially); money is
# stored in minor units, so JPY 5000 is 5000 yen and KWD 5000 is 5.000 dinars.
_ZERO_DECIMAL = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF"
_THREE_DECIMAL = "BHD IQD JOD KWD LYD OMR TND"
_MINOR_UNIT_DIGITS = dict.fromkeys(_ZERO_DECIMAL.split(), 0) | dict.fromkeys(_THREE_DECIMAL.split(), 3)


def format_money(amount: int, currency: str, locale: str | None = None) -> str:
    """``52000, "USD"`` → ``"USD 520.00"`` (``"520,00 US$"`` in ``es``); exact decimals, so no float ever
    rounds a price."""
    locale = locale or current_locale()
    digits = _MINOR_UNIT_DIGITS.get(currency.upper(), 2)
    if locale != DEFAULT_LOCALE:
        return numbers.format_currency(Decimal(amount).scaleb(-digits), currency.upper(), locale=locale)
    sign = "-" if amount < 0 else ""
    major, minor = divmod(abs(amount), 10**digits)
    fraction = f".{minor:0{digits}d}" if digits else ""
    return f"{currency.upper()} {sign}{major:,}{fraction}"


def parse_money(text: str, currency: str) -> int:
    """``"120.50", "USD"`` → ``12050``: what a person types in a form, read exactly (no float); ValueError
    for anything else, including more decimals than the currency has."""
    digits = _MINOR_UNIT_DIGITS.get(currency.upper(), 2)
    whole, _, fraction = text.strip().replace(",", "").partition(".")
    if not whole.isdigit() or (fraction and not fraction.isdigit()) or len(fraction) > digits:
        raise ValueError(f"not an amount in {currency}: {text!r}")
    return int(whole) * 10**digits + (int(fraction.ljust(digits, "0")) if digits else 0)


def minor_unit_digits(currency: str) -> int:
    """How many decimals the currency's minor unit has: 2 for USD, 0 for JPY, 3 for KWD."""
    return _MINOR_UNIT_DIGITS.get(currency.upper(), 2)


def format_number(value: int | Decimal, locale: str | None = None) -> str:
    """``1234.5`` → ``1,234.5`` (``1.234,5`` in ``es``): a count or a figure as the reader groups digits."""
    return numbers.format_decimal(value, locale=locale or current_locale())


def in_fours(code: str) -> str:
    """An IBAN or payment reference as people read and type it from paper, in groups of four (ISO 13616 and
    ISO 11649's printed form): ``RF47 ABCD EFGH JKLM``."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def format_date(day: dt.date, locale: str | None = None) -> str:
    """``Monday June 7, 2027``: spelled out, so it reads the same in every country (CLDR's full date elsewhere:
    ``lunes, 7 de junio de 2027``)."""
    locale = locale or current_locale()
    if locale != DEFAULT_LOCALE:
        return dates.format_date(day, "full", locale=locale)
    return f"{day:%A} {day:%B} {day.day}, {day.year}"


def format_date_range(start: dt.date, end: dt.date) -> str:
    """An event's local calendar days (``Monday June 7, 2027 to Friday June 11, 2027``)."""
    first = format_date(start)
    if end == start:
        return first
    return gettext("%(start)s to %(end)s") % {"start": first, "end": format_date(end)}


def local_time(instant: dt.datetime | str, timezone: str) -> dt.datetime:
    """``instant`` (aware, or naive meaning UTC, as SQLite returns it; or ISO 8601 text, as a wire Struct
    carries it) in ``timezone``."""
    if isinstance(instant, str):
        instant = dt.datetime.fromisoformat(instant)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return instant.astimezone(ZoneInfo(timezone))


def format_datetime(instant: dt.datetime | str, timezone: str) -> str:
    """``Monday June 7, 2027, 14:30 (America/New_York)``: the event's wall clock, its zone named."""
    local = local_time(instant, timezone)
    return f"{format_date(local.date())}, {local:%H:%M} ({timezone})"


def format_day(day: dt.date, *, short: bool = False) -> str:
    """A day inside an event whose year is plain from the page: ``Monday June 7`` (``Mon June 7`` in tabs)."""
    locale = current_locale()
    if locale != DEFAULT_LOCALE:
        return dates.format_skeleton("MMMEd" if short else "MMMMEEEEd", day, locale=locale)
    weekday = f"{day:%a}" if short else f"{day:%A}"
    return f"{weekday} {day:%B} {day.day}"


def format_time(instant: dt.datetime, timezone: str) -> str:
    """``14:30``: a time of day on the event's wall clock (the page names the zone once)."""
    return f"{local_time(instant, timezone):%H:%M}"


def reader_clock(
    start: dt.datetime | str, end: dt.datetime | str | None, event_zone: str, reader_zone: str | None
) -> list[tuple[dt.datetime, str]]:
    """The reader's wall clock for ``start`` (and ``end``): each instant in their zone with its ``HH:MM`` text,
    ``+1``/``-1`` added when their calendar day is not the event's. Empty when the reader needs no second time:
    no zone known, or their UTC offset is the event's at those instants (offsets, not names: Paris and Berlin
    read alike, and a zone that shares the event's offset for half the year differs only the other half).
    Each instant is converted on its own, so a session across a DST change in the reader's zone is right at
    both ends."""
    if reader_zone is None:
        return []
    instants = [start] if end is None else [start, end]
    there = [local_time(i, event_zone) for i in instants]
    here = [local_time(i, reader_zone) for i in instants]
    if all(a.utcoffset() == b.utcoffset() for a, b in zip(there, here, strict=True)):
        return []
    out = []
    for a, b in zip(there, here, strict=True):
        days = (b.date() - a.date()).days
        out.append((b, f"{b:%H:%M}" + (f" {days:+d}" if days else "")))
    return out


def _zone_name(zone: str) -> str:
    return zone.replace("_", " ")


def beside_text(start: dt.datetime | str, end: dt.datetime | str | None, event_zone: str) -> str:
    """`` (15:00-16:30 your time, Asia/Singapore)`` (an en dash between) for the current reader, or ``""``: a
    mail's plain text."""
    clock = reader_clock(start, end, event_zone, current_reader_zone())
    if not clock:
        return ""
    times = "\u2013".join(text for _, text in clock)
    reader = current_reader_zone() or ""
    return " (" + gettext("%(time)s your time, %(zone)s") % {"time": times, "zone": _zone_name(reader)} + ")"


def beside_html(start: dt.datetime | str, end: dt.datetime | str | None, event_zone: str) -> Markup:
    """The same as ``beside_text`` with each reader's time in a ``<time>`` element (their offset in it), for pages
    and HTML mails."""
    clock = reader_clock(start, end, event_zone, current_reader_zone())
    if not clock:
        return Markup("")
    times = Markup("\u2013").join(
        Markup('<time datetime="{}">{}</time>').format(instant.isoformat(), text) for instant, text in clock
    )
    label = escape(gettext("%(time)s your time, %(zone)s")) % {
        "time": times,
        "zone": _zone_name(current_reader_zone() or ""),
    }
    return Markup(' <span class="your-time">({})</span>').format(label)


def format_datetime_for_reader(instant: dt.datetime | str, timezone: str) -> str:
    """``format_datetime`` with the reader's own time beside it when theirs differs (mails' deadlines)."""
    return format_datetime(instant, timezone) + beside_text(instant, None, timezone)


def register_filters(filters: dict[str, object]) -> None:
    """The pages' template filters, named as the mails' are (podium/mail.py), so a date reads the same on a page
    and in a mail: ``money(currency)``, ``date``, ``date_range(end)``, ``day``, ``datetime(zone)``, ``time(zone)``;
    ``yours(end, zone)`` is the reader's own clock beside the event's (``beside_html``); ``translated(field)`` is
    an organizer's text in the reader's language."""
    filters["money"] = format_money
    filters["number"] = format_number
    filters["date"] = format_date
    filters["date_range"] = format_date_range
    filters["day"] = format_day
    filters["datetime"] = format_datetime
    filters["time"] = format_time
    filters["yours"] = beside_html
    filters["translated"] = translated_text
