"""Events, their rooms and tracks: what every other domain hangs off."""
