"""Wire types of the organizers' mail templates: the list, a preview, an event's wording."""

from __future__ import annotations

from typing import Annotated

from podium.mail import PARAGRAPH_MAX, SUBJECT_MAX
from podium.schema import Struct, line, paragraph


class MailWordingIO(Struct):
    """An event's own words for one template, plain text (never a template: shown as written, escaped in HTML).
    An empty field keeps the template's default."""

    subject: Annotated[str, line(SUBJECT_MAX, min_length=0)] = ""
    intro: Annotated[str, paragraph(PARAGRAPH_MAX)] = ""
    sign_off: Annotated[str, paragraph(PARAGRAPH_MAX)] = ""


class MailTemplateRead(Struct):
    name: str
    title: str
    wording: MailWordingIO
    customized: bool


class MailPreview(Struct):
    """A template rendered with sample facts and the event's wording; links point nowhere real."""

    name: str
    subject: str
    text: str
    html: str
