"""Sending refunds exactly once: a refund is claimed in its own committed step before the provider is called."""
