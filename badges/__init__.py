"""Badges and check-in: signed QR tokens, badge PDFs, checkpoints, scans, attendance.

Importing it changes nothing elsewhere: the composition root wires what badges add to other domains' work
(``badges.hooks.install``, the mail attachment ``badges.mail_attachments.badge_attachments``)."""
