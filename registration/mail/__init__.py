"""Mail to buyers and attendees: what each mail says, its attachments, the organizer's wording, reminders and
resending lost links. Mails are rows in the outbox, written in the caller's transaction; podium's job sends them."""
