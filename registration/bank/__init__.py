"""Paying by bank transfer or invoice (issue 17, item 3): the event's bank details (``settings``), the order's
payment reference (``references``), choosing the method (``choosing``), and recording money received
(``payments.record_bank_payment``, the one rule for it, which the statement import calls too)."""

# The ``payment_provider`` of an order paid by bank transfer: here so every module of the package can name it
# without importing another (``choosing`` writes the "how to pay" mail, which needs it too).
PROVIDER = "bank_transfer"
