"""Accounts for organizers and staff, login tokens, role guards. Attendees get secret links instead."""
