"""``python -m podium.main`` works like the ``podium`` console script."""

from podium.main.cli import main

main()
