"""Orders: checking an order against the catalog (``validation``, over a per-worker copy kept fresh by
``snapshot``), building its rows (``building``) and writing them with their seats (``write``, ``holds``),
what a client may do (``limits``), an order's state as its buyer sees it (``standing``, ``view``), the end of
unpaid holds (``hold_release``), and confirming its payment (``confirmation``).

Placing one is ``registration.orders.placing``, outside this package because it also claims waitlist offers,
and the waitlist takes seats through ``holds``: inside, the two packages would import each other.
"""
