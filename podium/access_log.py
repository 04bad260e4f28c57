"""Keeps secrets out of the access log: uvicorn logs every request line verbatim, and ours carry secret links
(``?secret=``, ``?token=``, ``/api/agenda/{token}.ics``) that open orders, badges and agendas to whoever reads them.

The filter sits on the ``uvicorn.access`` logger itself and is installed by ``create_app``, so it is in place in
every process that serves the app, however uvicorn was started (``podium run``, ``podium demo``, ``uvicorn
--factory``, each of several workers); uvicorn's own logging set-up never removes a logger's filters.
"""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
REDACTED = "[redacted]"

# Query parameters whose name says they carry a secret: secret, token, registration_secret, access_token, key,
# api_key, password, signature ... (case-insensitive), up to the next parameter.
_SECRET_PARAMETER = re.compile(r"([?&][^=&#\s]*(?:secret|token|key|password|signature)[^=&#\s]*=)[^&#\s]*", re.I)
# The private agenda feed carries its token in the path.
_FEED_TOKEN = re.compile(r"(/api/agenda/)[^/?#\s]+?(\.ics\b)")


def redact(text: str) -> str:
    """``text`` with the values of secret-bearing query parameters and feed tokens replaced."""
    if "=" not in text and "/api/agenda/" not in text:
        return text
    return _FEED_TOKEN.sub(rf"\1{REDACTED}\2", _SECRET_PARAMETER.sub(rf"\1{REDACTED}", text))


class RedactSecrets(logging.Filter):
    """Rewrites the record's message and string arguments in place; uvicorn's access formatter takes the
    request line apart from ``record.args``, so their number and order are kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


def install_access_log_filter() -> None:
    """Once per process, however many apps it builds."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())
