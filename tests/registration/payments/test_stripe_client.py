"""The web process's Stripe client: one per configuration and event loop, its connection pool closed with the app.

An aiohttp pool belongs to the loop that made it; one left open at shutdown is reported as an unclosed session
(and its connections linger). The calls to Stripe themselves are tried against localstripe in test_stripe.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import cast

import aiohttp

from podium.main.app import create_app
from podium.settings import Settings
from registration.payments import stripe as stripe_payments
from registration.payments.services import provider_for
from registration.payments.stripe import StripeProvider
from tests.asgi_client import app_client


def _stripe(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings, stripe_secret_key="sk_test_client", stripe_api_base="http://127.0.0.1:9", stripe_publishable_key="pk"
    )


def _pool_of(settings: Settings) -> aiohttp.ClientSession:
    """The aiohttp session behind the shared client of ``settings`` in this loop (made on first use)."""
    _client, http_client = stripe_payments._SHARED[(settings, asyncio.get_running_loop())]
    return cast(aiohttp.ClientSession, http_client._session)


async def test_the_apps_stripe_pool_is_shared_within_the_app_and_closed_with_it(settings: Settings) -> None:
    stripe_settings = _stripe(settings)
    async with app_client(create_app(stripe_settings)):
        first, second = provider_for(stripe_settings), provider_for(stripe_settings)
        assert isinstance(first, StripeProvider) and isinstance(second, StripeProvider)
        assert first.client is second.client
        pool = _pool_of(stripe_settings)
        assert not pool.closed

    assert pool.closed
    assert (stripe_settings, asyncio.get_running_loop()) not in stripe_payments._SHARED


async def test_each_event_loop_has_its_own_stripe_client(settings: Settings) -> None:
    """A pool can't serve another loop: a second loop (a thread's ``asyncio.run``) gets a client of its own, and
    closing one loop's leaves the other's."""
    stripe_settings = _stripe(settings)

    async def in_a_loop() -> tuple[object, bool]:
        client = StripeProvider.for_settings(stripe_settings).client
        pool = _pool_of(stripe_settings)
        await stripe_payments.close_shared_clients()
        return client, bool(pool.closed)

    here = StripeProvider.for_settings(stripe_settings).client
    there, closed_there = await asyncio.to_thread(asyncio.run, in_a_loop())
    assert there is not here and closed_there
    assert not _pool_of(stripe_settings).closed
    await stripe_payments.close_shared_clients()
    assert (stripe_settings, asyncio.get_running_loop()) not in stripe_payments._SHARED
