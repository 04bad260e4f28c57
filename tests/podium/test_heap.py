"""A serving worker moves its start-up heap out of the collector's reach; tests (many apps) keep it collectable."""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Iterator

import pytest

from podium.heap import freeze_startup_heap
from podium.settings import Settings


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_the_start_up_heap_is_frozen_when_the_setting_is_on(settings: Settings, unfrozen: None) -> None:
    freeze_startup_heap(dataclasses.replace(settings, freeze_heap_at_startup=True))

    assert gc.get_freeze_count() > 0


def test_nothing_is_frozen_when_the_setting_is_off(settings: Settings, unfrozen: None) -> None:
    freeze_startup_heap(dataclasses.replace(settings, freeze_heap_at_startup=False))

    assert gc.get_freeze_count() == 0


def test_the_setting_is_on_by_default_and_read_from_the_environment() -> None:
    base = {"PODIUM_SECRET_KEY": "k" * 40, "DATABASE_URL": "sqlite+aiosqlite:///x.db"}

    assert Settings.from_env(base).freeze_heap_at_startup is True
    assert Settings.from_env({**base, "PODIUM_FREEZE_HEAP": "0"}).freeze_heap_at_startup is False
