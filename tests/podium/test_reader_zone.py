"""The reader's own clock beside the event's (podium/reader_zone.py, podium/formatting.py ``reader_clock``):
offsets compared at each instant, day changes marked, DST in the reader's zone, and only IANA names believed."""

from __future__ import annotations

import datetime as dt

import pytest

from podium.formatting import beside_html, beside_text, format_datetime_for_reader, reader_clock
from podium.reader_zone import current_reader_zone, using_reader_zone, valid_zone

UTC = dt.UTC


def texts(clock: list[tuple[dt.datetime, str]]) -> list[str]:
    return [text for _, text in clock]


def test_reader_clock_is_empty_without_a_zone_or_with_the_events_offset_under_another_name() -> None:
    start = dt.datetime(2027, 6, 7, 7, 0, tzinfo=UTC)

    assert reader_clock(start, None, "Europe/Paris", None) == []
    assert reader_clock(start, None, "Europe/Paris", "Europe/Paris") == []
    assert reader_clock(start, start + dt.timedelta(hours=1), "Europe/Paris", "Europe/Berlin") == []


def test_reader_clock_marks_the_next_day_for_a_reader_thirteen_hours_ahead() -> None:
    """10:00-11:30 in New York (EDT, UTC-4) is 04:00-05:30 the next day on Kiritimati (UTC+14, 18 hours
    ahead); 11:00 in Tokyo is 19:00 the day before in Los Angeles (PDT)."""
    start = dt.datetime(2027, 6, 7, 14, 0, tzinfo=UTC)

    ahead = reader_clock(start, start + dt.timedelta(minutes=90), "America/New_York", "Pacific/Kiritimati")
    behind = reader_clock(dt.datetime(2027, 6, 7, 2, 0, tzinfo=UTC), None, "Asia/Tokyo", "America/Los_Angeles")

    assert texts(ahead) == ["04:00 +1", "05:30 +1"]
    assert ahead[0][0].isoformat() == "2027-06-08T04:00:00+14:00"
    assert texts(behind) == ["19:00 -1"]


def test_reader_clock_follows_a_dst_change_in_the_readers_zone_within_a_session() -> None:
    """Europe's clocks go forward at 01:00 UTC on March 28, 2027; New York's went on March 14. A session from
    00:30 to 01:30 UTC (20:30-21:30 in New York) is 01:30 CET to 03:30 CEST in Paris: each end in its own
    offset, two hours apart on the reader's clock for an hour's session."""
    start = dt.datetime(2027, 3, 28, 0, 30, tzinfo=UTC)

    clock = reader_clock(start, start + dt.timedelta(hours=1), "America/New_York", "Europe/Paris")

    assert texts(clock) == ["01:30 +1", "03:30 +1"]
    assert [c[0].utcoffset() for c in clock] == [dt.timedelta(hours=1), dt.timedelta(hours=2)]


def test_reader_clock_differs_only_in_the_weeks_two_zones_change_clocks_on_different_days() -> None:
    """London and Lisbon share their offset all year; New York and Toronto too; London and New York's gap is 5
    hours most of the year and 4 between their changes (March 14 to 28, 2027)."""
    noon = dt.datetime(2027, 3, 20, 12, 0, tzinfo=UTC)

    assert reader_clock(noon, None, "Europe/London", "Europe/Lisbon") == []
    assert texts(reader_clock(noon, None, "Europe/London", "America/New_York")) == ["08:00"]


def test_beside_text_and_html_name_the_readers_zone_and_escape_nothing_twice() -> None:
    start = dt.datetime(2027, 6, 7, 14, 0, tzinfo=UTC)
    end = start + dt.timedelta(minutes=90)

    with using_reader_zone("Asia/Singapore"):
        text = beside_text(start, end, "America/New_York")
        html = str(beside_html(start, end, "America/New_York"))
        deadline = format_datetime_for_reader(start, "America/New_York")
    with using_reader_zone("America/Toronto"):
        same = beside_text(start, end, "America/New_York")

    assert text == " (22:00\u201323:30 your time, Asia/Singapore)"
    assert html == (
        ' <span class="your-time">(<time datetime="2027-06-07T22:00:00+08:00">22:00</time>\u2013'
        '<time datetime="2027-06-07T23:30:00+08:00">23:30</time> your time, Asia/Singapore)</span>'
    )
    assert deadline == "Monday June 7, 2027, 10:00 (America/New_York) (22:00 your time, Asia/Singapore)"
    assert same == ""


@pytest.mark.parametrize(
    "cookie", ["", "Mars/Olympus_Mons", "../../etc/passwd", "Europe/Paris<script>", "x" * 5000, "none", "UTC "]
)
def test_a_cookie_that_names_no_iana_zone_is_ignored(cookie: str) -> None:
    assert valid_zone(cookie) is None
    with using_reader_zone(cookie):
        assert current_reader_zone() is None


def test_an_iana_zone_is_believed_and_forgotten_after_the_block() -> None:
    with using_reader_zone("America/Argentina/Buenos_Aires") as zone:
        assert zone == current_reader_zone() == "America/Argentina/Buenos_Aires"

    assert current_reader_zone() is None
