"""Secret links: the tokens in them, the one rule for who may open what, and the Litestar dependencies that apply it."""
