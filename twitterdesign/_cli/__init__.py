"""Subcommands of the ``twitterdesign`` command; each module exposes ``register(app)``."""
