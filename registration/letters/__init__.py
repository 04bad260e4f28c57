"""Visa invitation letters: attendees ask through their link, organizers issue, review, revoke; the passport data
is sealed at rest and erased after the event; anyone can check a letter's code on its public page."""
