"""Demo data for ``podium demo`` and ``podium seed-demo``: events, catalog, program, agendas and badges built
through the domains' models and services. Only the CLI (the composition root) imports it."""
