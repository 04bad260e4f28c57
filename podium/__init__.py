"""Podium: the kernel (settings, database, auth, errors) and the composition root (app, CLI)."""
