"""Fixtures of the registration tests: ``smtp``, a local SMTP server that keeps what it receives."""

from tests.registration.mailbox import smtp

__all__ = ["smtp"]
