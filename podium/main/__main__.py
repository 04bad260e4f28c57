"""``python -m podium`` works like the ``podium`` console script."""

from podium.cli import main

main()
