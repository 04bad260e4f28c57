"""Money: the payment provider (offline or Stripe), and the ledger that counts what was paid and refunded from rows."""
