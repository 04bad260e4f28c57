"""Badges and check-in: signed QR tokens, badge PDFs, checkpoints, scans, attendance."""

# The flush hook (a transferred registration's old badge is revoked) must be active wherever the models
# are used, whichever entry point loaded them.
from badges import hooks as _hooks  # noqa: F401 - imported for its flush listeners
from badges import mail_attachments as _mail_attachments  # noqa: F401 - registers the badge mail attachment
