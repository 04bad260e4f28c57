"""What the packages offer the mail outbox, installed into the kernel's registries in one place (issue 15).

Each package declares its part as plain data (``MAIL_TEMPLATES``, ``STILL_TRUE_CHECKS``, ``MAIL_ATTACHMENTS``)
and importing it registers nothing; every process that sends or previews mail calls ``install_mail`` as it builds
its world: ``create_app`` (the organizers' preview, the web app's own jobs), ``podium worker`` and
``podium jobs run``. Installing again changes nothing, so each app a process builds may call it.

The kernel's own templates (the login guard, ``podium.auth.lockout``; the sign-in mail, ``podium.auth.sign_in``) are
installed here as well, not by the kernel:
no kernel function runs in every one of those processes before mail is previewed or sent (the app, the worker and
the CLI each build their world here), and one list here is the whole set the organizers' pages offer.
"""

from __future__ import annotations

from abstracts import coauthor_mail, decision_mail, review_mail
from badges.mail_attachments import badge_attachments
from podium.auth import lockout, sign_in
from podium.jobs.outbox_drain import install_attachment_renderers, install_still_true
from podium.mail import install_templates
from registration.bank import how_to_pay
from registration.letters import mail as letter_mail
from registration.mail import attachments as registration_attachments
from registration.mail import order_mail
from registration.mail import services as registration_mail
from registration.mail import templates as registration_templates
from registration.orders import group_shares
from registration.statements import group_documents
from sessions import change_mail


def install_mail() -> None:
    """Templates for the preview and the wording pages, "still true" checks and attachment renderers for the drain."""
    install_templates(
        (
            *lockout.MAIL_TEMPLATES,
            *sign_in.MAIL_TEMPLATES,
            *registration_templates.MAIL_TEMPLATES,
            *change_mail.MAIL_TEMPLATES,
            *coauthor_mail.MAIL_TEMPLATES,
            *decision_mail.MAIL_TEMPLATES,
            *letter_mail.MAIL_TEMPLATES,
            *review_mail.MAIL_TEMPLATES,
        )
    )
    install_still_true(order_mail.STILL_TRUE_CHECKS)
    install_still_true(registration_mail.STILL_TRUE_CHECKS)
    install_still_true(how_to_pay.STILL_TRUE_CHECKS)
    install_still_true(group_shares.STILL_TRUE_CHECKS)
    install_attachment_renderers(how_to_pay.MAIL_ATTACHMENTS)
    install_attachment_renderers(group_documents.MAIL_ATTACHMENTS)
    # Badges draw the badge a confirmation mail carries; registration's outbox attaches it without importing badges.
    install_attachment_renderers({"badge": badge_attachments})
    # Receipts last: numbering them locks documents a transfer or refund is rewriting, and that writer may hold
    # the badge rows the badge renderer makes; with the locks taken last the drain waits on nothing while holding
    # them (PostgreSQL deadlocked otherwise, seen in CI).
    install_attachment_renderers(registration_attachments.MAIL_ATTACHMENTS)
    # Abstracts' decision mails carry the presenting author's confirm link, filled in by registration's renderer.
    registration_attachments.install_link_makers(decision_mail.LINK_MAKERS)
