"""Every route is guarded unless it is on the short, reviewed list of public ones: a new route that
forgets its guard fails here before it ships."""

from __future__ import annotations

from litestar import Litestar
from litestar.routes import HTTPRoute

PUBLIC = {
    ("GET", "/"),
    ("GET", "/events/{slug:str}"),
    # An event's logo and colour style sheet: published events' to anyone, drafts' to organizers only.
    ("GET", "/events/{slug:str}/logo.png"),
    ("GET", "/events/{slug:str}/brand.css"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    # The language switcher: it only sets the visitor's language cookie.
    ("POST", "/language"),
    # The time zone picker: it only sets the reader's zone cookie (podium.reader_zone).
    ("POST", "/time-zone"),
    ("GET", "/account/unlock"),
    # Passwordless sign-in: asking answers alike for every address; a link or code proves itself.
    ("GET", "/sign-in"),
    ("POST", "/sign-in"),
    ("POST", "/sign-in/code"),
    ("GET", "/sign-in/{token:str}"),
    ("POST", "/sign-in/{token:str}"),
    ("POST", "/api/auth/sign-in"),
    ("POST", "/api/auth/sign-in/code"),
    ("POST", "/account/unlock"),
    ("GET", "/events/{slug:str}/register"),
    ("GET", "/events/{slug:str}/program"),
    ("GET", "/events/{slug:str}/sessions/{session_id:uuid}"),
    ("POST", "/events/{slug:str}/register"),
    ("GET", "/orders/{order_id:uuid}"),
    ("GET", "/events/{slug:str}/waitlist"),
    ("POST", "/events/{slug:str}/waitlist"),
    ("GET", "/events/{slug:str}/waitlist/{entry_id:uuid}"),
    ("POST", "/orders/{order_id:uuid}/pay"),
    ("POST", "/orders/{order_id:uuid}/bank-transfer"),
    ("POST", "/orders/{order_id:uuid}/registrations/{registration_id:uuid}/cancel"),
    ("POST", "/orders/{order_id:uuid}/registrations/{registration_id:uuid}/transfer"),
    ("POST", "/orders/{order_id:uuid}/registrations/{registration_id:uuid}/documents"),
    ("POST", "/orders/{order_id:uuid}/link"),
    ("POST", "/orders/{order_id:uuid}/billing"),
    ("POST", "/registrations/{registration_id:uuid}/link"),
    ("GET", "/health"),
    ("GET", "/schema"),
    ("GET", "/schema/openapi.json"),
    ("GET", "/schema/oauth2-redirect.html"),
    ("GET", "/schema/{path:str}"),
    ("GET", "/static/{file_path:path}"),
    ("HEAD", "/static/{file_path:path}"),
    ("GET", "/favicon.ico"),
    ("POST", "/api/auth/login"),
    ("GET", "/api/events"),
    ("GET", "/api/events/{event:str}"),
    ("GET", "/api/events/{event:str}/catalog"),
    # The published program (drafts never appear; speaker emails never do).
    ("GET", "/api/events/{event:str}/sessions"),
    ("GET", "/api/sessions/{session_ref:str}"),
    # Calendar feeds: the program is public; an agenda feed's URL carries its own secret token.
    ("GET", "/api/events/{event:str}/program.ics"),
    # A presenting author's confirmation: the decision mail's link carries its own secret token.
    ("GET", "/abstracts/{abstract_id:uuid}/presenting"),
    ("POST", "/abstracts/{abstract_id:uuid}/presenting"),
    ("POST", "/api/abstracts/{abstract_id:uuid}/presenting"),
    # Accepted abstracts of a published event, after the call's embargo (nothing before it; no emails).
    ("GET", "/api/events/{event:str}/accepted-abstracts"),
    ("GET", "/events/{slug:str}/accepted-abstracts"),
    ("GET", "/api/agenda/{file:str}"),
    ("GET", "/registrations/{registration_id:uuid}"),
    ("POST", "/registrations/{registration_id:uuid}/agenda/add"),
    ("POST", "/registrations/{registration_id:uuid}/agenda/remove"),
    ("POST", "/registrations/{registration_id:uuid}/agenda/feed/revoke"),
    ("GET", "/api/registrations/{registration_id:uuid}/agenda"),
    ("POST", "/api/registrations/{registration_id:uuid}/agenda"),
    ("DELETE", "/api/registrations/{registration_id:uuid}/agenda/{session_id:uuid}"),
    ("POST", "/api/registrations/{registration_id:uuid}/agenda/feed/revoke"),
    # Attendees prove themselves with the secret in their link, checked by the service (404 otherwise).
    ("POST", "/api/events/{event:str}/orders"),
    ("GET", "/api/orders/{order_id:uuid}"),
    ("POST", "/api/orders/{order_id:uuid}/offline-payment"),
    ("GET", "/api/orders/{order_id:uuid}/status"),
    ("POST", "/api/orders/{order_id:uuid}/card-payment/confirmed"),
    ("POST", "/api/orders/{order_id:uuid}/bank-transfer"),
    ("GET", "/api/orders/{order_id:uuid}/bank-transfer"),
    ("GET", "/api/orders/{order_id:uuid}/bank-transfer/invoice.pdf"),
    ("GET", "/api/orders/{order_id:uuid}/receipt.pdf"),
    ("GET", "/api/orders/{order_id:uuid}/documents"),
    ("GET", "/api/orders/{order_id:uuid}/documents/{document_id:uuid}/pdf"),
    ("GET", "/api/orders/{order_id:uuid}/billing"),
    ("PUT", "/api/orders/{order_id:uuid}/billing"),
    ("POST", "/api/orders/{order_id:uuid}/cancel"),
    ("POST", "/api/orders/{order_id:uuid}/registrations/{registration_id:uuid}/cancel"),
    ("POST", "/api/orders/{order_id:uuid}/registrations/{registration_id:uuid}/transfer"),
    ("POST", "/api/orders/{order_id:uuid}/registrations/{registration_id:uuid}/documents"),
    # A new secret link, mailed to its holder: the holder's (or buyer's) secret, checked by the service.
    ("POST", "/api/orders/{order_id:uuid}/link"),
    ("POST", "/api/registrations/{registration_id:uuid}/link"),
    ("POST", "/api/events/{event:str}/waitlist"),
    ("GET", "/api/waitlist/{entry_id:uuid}"),
    ("POST", "/api/waitlist/{entry_id:uuid}/leave"),
    # The attendee's badge, its QR and certificate: the registration's (or order's) secret, checked by the view.
    ("GET", "/api/registrations/{registration_id:uuid}/badge"),
    ("GET", "/api/registrations/{registration_id:uuid}/badge.pdf"),
    ("GET", "/api/registrations/{registration_id:uuid}/badge.png"),
    ("GET", "/api/registrations/{registration_id:uuid}/badge.svg"),
    ("GET", "/api/registrations/{registration_id:uuid}/certificate.pdf"),
    # Visa letters: the attendee's own through the registration's secret (404 otherwise); the verification page
    # shows only the letter's name, event and validity, by its code.
    ("GET", "/api/registrations/{registration_id:uuid}/letter"),
    ("POST", "/api/registrations/{registration_id:uuid}/letter"),
    ("GET", "/api/registrations/{registration_id:uuid}/letter/pdf"),
    ("GET", "/registrations/{registration_id:uuid}/letter"),
    ("POST", "/registrations/{registration_id:uuid}/letter"),
    ("GET", "/letters/{code:str}"),
    # Stripe proves itself with the webhook signature.
    ("POST", "/api/payments/stripe/webhook"),
}


def test_every_route_is_guarded_or_deliberately_public(app: Litestar) -> None:
    unguarded = sorted(
        (method, route.path)
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        for method in handler.http_methods
        if method != "OPTIONS" and not handler.resolve_guards() and (method, route.path) not in PUBLIC
    )

    assert unguarded == []


def test_public_list_has_no_stale_entries(app: Litestar) -> None:
    existing = {
        (method, route.path)
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        for method in handler.http_methods
    }
    assert PUBLIC - existing == set()
