"""Registration and payment: catalog, pricing, orders, payments, waitlists, refunds (built on events)."""
