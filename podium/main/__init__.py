"""The composition root: the app factory (``app.py``), the CLI (``cli.py``, ``python -m podium.main``), the
registry of every domain's models for Alembic (``models.py``) and what the domains offer the mail outbox
(``mail_wiring.py``). It imports every domain and nothing imports it (import-linter checks both, see
pyproject.toml), so the kernel in ``podium/`` stays free of domain code."""
