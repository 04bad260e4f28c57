"""Settings from the environment: the database timeouts (what they do is in test_outages.py)."""

from __future__ import annotations

import pytest

from podium.settings import Settings, SettingsError

BASE = {"PODIUM_SECRET_KEY": "k" * 40, "DATABASE_URL": "sqlite+aiosqlite:///x.db"}


def _timeouts(settings: Settings) -> tuple[float, float, float]:
    return settings.db_connect_timeout, settings.db_statement_timeout, settings.db_pool_timeout


def test_database_timeouts_have_defaults_and_are_read_from_the_environment() -> None:
    given = {
        **BASE,
        "PODIUM_DB_CONNECT_TIMEOUT": "2.5",
        "PODIUM_DB_STATEMENT_TIMEOUT": "0",
        "PODIUM_DB_POOL_TIMEOUT": "3",
    }

    assert _timeouts(Settings.from_env(BASE)) == (5.0, 15.0, 10.0)
    assert _timeouts(Settings.from_env(given)) == (2.5, 0.0, 3.0)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PODIUM_DB_CONNECT_TIMEOUT", "0"),  # would mean a connection may never open
        ("PODIUM_DB_POOL_TIMEOUT", "0"),
        ("PODIUM_DB_STATEMENT_TIMEOUT", "-1"),
        ("PODIUM_DB_STATEMENT_TIMEOUT", "soon"),
        ("PODIUM_DB_CONNECT_TIMEOUT", "nan"),
    ],
)
def test_a_database_timeout_that_makes_no_sense_is_refused_at_start_up(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({**BASE, name: value})

    assert str(refused.value).startswith(f"{name} must be")


def test_log_format_and_metrics_token_are_read_from_the_environment() -> None:
    given = {**BASE, "PODIUM_LOG_FORMAT": "JSON", "PODIUM_METRICS_TOKEN": "t" * 32}

    assert (Settings.from_env(BASE).log_format, Settings.from_env(BASE).metrics_token) == ("text", "")
    assert (Settings.from_env(given).log_format, Settings.from_env(given).metrics_token) == ("json", "t" * 32)


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("PODIUM_LOG_FORMAT", "xml", "PODIUM_LOG_FORMAT must be one of text, json"),
        ("PODIUM_METRICS_TOKEN", "t" * 31, "PODIUM_METRICS_TOKEN must be at least 32 characters"),
    ],
)
def test_a_log_format_or_metrics_token_that_would_not_work_is_refused(name: str, value: str, said: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({**BASE, name: value})

    assert str(refused.value).startswith(said)


def test_the_job_workers_niceness_has_a_default_and_is_read_from_the_environment() -> None:
    assert Settings.from_env(BASE).worker_nice == 10
    assert Settings.from_env({**BASE, "PODIUM_WORKER_NICE": "0"}).worker_nice == 0
    assert Settings.from_env({**BASE, "PODIUM_WORKER_NICE": "19"}).worker_nice == 19


def test_the_job_worker_runs_in_the_idle_scheduling_class_unless_turned_off() -> None:
    assert Settings.from_env(BASE).worker_idle is True
    assert Settings.from_env({**BASE, "PODIUM_WORKER_IDLE": "false"}).worker_idle is False
    assert Settings.from_env({**BASE, "PODIUM_WORKER_IDLE": "true"}).worker_idle is True


@pytest.mark.parametrize(
    ("value", "said"),
    [("20", "must be at most 19"), ("-1", "must be at least 0"), ("low", "must be a whole number")],
)
def test_a_niceness_the_kernel_has_no_such_thing_as_is_refused(value: str, said: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({**BASE, "PODIUM_WORKER_NICE": value})

    assert str(refused.value).startswith(f"PODIUM_WORKER_NICE {said}")
