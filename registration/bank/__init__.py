"""Paying by bank transfer or invoice (issue 17, item 3): the event's bank details (``settings``), the order's
payment reference (``references``), choosing the method (``choosing``), and recording money received
(``payments.record_bank_payment``, the one rule for it, which the statement import calls too)."""
