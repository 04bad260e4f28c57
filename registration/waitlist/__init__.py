"""Waitlists for sold-out items: join, get an offer that holds a seat, claim it (``orders.waitlist_claims``) or
let it lapse."""
