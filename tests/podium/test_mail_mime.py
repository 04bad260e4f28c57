"""Mail written as bytes by ``compose_mime`` reads back, in a standard parser, exactly as it was meant."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

from podium.mail import Attachment, compose_mime


def _parsed(data: bytes) -> EmailMessage:
    parsed = message_from_bytes(data, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_unicode_headers_bodies_and_attachments_read_back_as_written() -> None:
    long_line = "Ü" * 1200  # longer than SMTP's 998-octet line limit: must be encoded, not sent raw
    mail = compose_mime(
        sender="Jahrestagung München <noreply@podium.example>",
        to="zoë@example.org",
        subject="Jahrestagung München 2027: Ihre Quittung\nBcc: injected@example.org",
        message_id="<abc@podium.example>",
        text=f"Hallo Łukasz,\n\n{long_line}\n",
        html="<p>Hallo Łukasz &amp; 李</p>",
        attachments=[
            Attachment(b"%PDF-1.4 \x00\xff binary", "receipt-AM2027-000001.pdf"),
            Attachment(b"%PDF", "bädge.pdf"),
        ],
    )

    parsed = _parsed(mail.data)
    plain = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    files = [(a.get_filename(), a.get_content_type(), a.get_content()) for a in parsed.iter_attachments()]
    assert parsed["Subject"] == "Jahrestagung München 2027: Ihre Quittung Bcc: injected@example.org"
    assert parsed["Bcc"] is None
    assert parsed["From"].addresses[0].display_name == "Jahrestagung München"
    assert (mail.sender, mail.to, mail.needs_smtputf8) == ("noreply@podium.example", "zoë@example.org", True)
    assert parsed["Message-ID"] == "<abc@podium.example>"
    assert plain is not None and plain.get_content() == f"Hallo Łukasz,\n\n{long_line}\n"
    assert html is not None and html.get_content().strip() == "<p>Hallo Łukasz &amp; 李</p>"
    assert files == [
        ("receipt-AM2027-000001.pdf", "application/pdf", b"%PDF-1.4 \x00\xff binary"),
        ("bädge.pdf", "application/pdf", b"%PDF"),
    ]
    assert max(len(line) for line in mail.data.split(b"\r\n")) <= 998


def test_an_ascii_text_only_mail_is_one_readable_part() -> None:
    mail = compose_mime(
        sender="noreply@podium.example", to="a@example.org", subject="Hello", message_id="<m@x>", text="Hi\nthere"
    )

    parsed = _parsed(mail.data)
    assert (parsed.get_content_type(), parsed["Content-Transfer-Encoding"]) == ("text/plain", "7bit")
    assert parsed.get_content().replace("\r\n", "\n") == "Hi\nthere\n"  # CRLF on the wire, as SMTP wants
    assert mail.needs_smtputf8 is False


def test_each_mail_carries_its_own_sender_though_a_drain_parses_a_sender_once() -> None:
    """The From header and envelope are memoised per sender string: a changed sender is never served the old one."""
    for sender, envelope in [
        ("Podium <noreply@podium.example>", "noreply@podium.example"),
        ("Other <mail@other.example>", "mail@other.example"),
        ("Podium <noreply@podium.example>", "noreply@podium.example"),
    ]:
        mail = compose_mime(sender=sender, to="a@example.org", subject="Hi", message_id="<m@x>", text="Hi")

        assert mail.sender == envelope
        assert _parsed(mail.data)["From"] == sender
