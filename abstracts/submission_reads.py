"""The submitter's view of their abstracts, built from ``OwnAbstract`` (the blind check's warnings included)."""

from __future__ import annotations

import datetime as dt

from abstracts.formatting import count_words, render_body
from abstracts.schemas import (
    AbstractRead,
    AbstractSummary,
    AuthorRead,
    DisclosureRead,
    FigureRead,
    SubmissionFeeRead,
    SubmissionWarning,
)
from abstracts.submission_checks import blind_warnings
from abstracts.submissions import OwnAbstract


def warnings_of(own: OwnAbstract) -> list[SubmissionWarning]:
    if not own.view.call.blind:
        return []
    found = blind_warnings(own.abstract.title, own.abstract.body, own.authors)
    return [SubmissionWarning(code="author_named", field=w.field, message=w.message) for w in found]


def to_read(own: OwnAbstract, now: dt.datetime) -> AbstractRead:
    abstract = own.abstract
    return AbstractRead(
        id=abstract.id,
        event=own.view.event.slug,
        number=abstract.number,
        status=own.visible_status,
        submission_type_id=abstract.submission_type_id,
        topic_id=abstract.topic_id,
        parent_abstract_id=abstract.parent_abstract_id,
        title=abstract.title,
        body=abstract.body,
        body_html=str(render_body(abstract.body)),
        word_count=count_words(abstract.body),
        keywords=list(abstract.keywords),
        answers={str(k): str(v) for k, v in abstract.answers.items()},
        authors=[
            AuthorRead(
                position=position,
                full_name=a.full_name,
                email=a.email,
                institution=a.institution,
                country=a.country,
                is_presenting=a.is_presenting,
                disclosures=[DisclosureRead(relationship=d.relationship, company=d.company) for d in a.disclosures],
            )
            for position, a in enumerate(own.authors)
        ],
        submitted_at=abstract.submitted_at,
        withdrawn_at=abstract.withdrawn_at,
        editable_until=own.editable_until,
        editable=own.editable(now),
        warnings=warnings_of(own),
        figure=figure_read(own),
        chair=abstract.chair,
        talk_ids=[t.id for t in own.talks],
        submission_fee=SubmissionFeeRead(own.fee.category, own.fee.paid, own.fee.pay_url) if own.fee else None,
    )


def figure_read(own: OwnAbstract) -> FigureRead | None:
    figure = own.figure
    if figure is None:
        return None
    url = f"/api/abstracts/{own.abstract.id}/figure?v={figure.sha256[:16]}"
    return FigureRead(url=url, filename=figure.filename, content_type=figure.content_type, size=figure.size)


def to_summary(own: OwnAbstract, now: dt.datetime) -> AbstractSummary:
    abstract = own.abstract
    return AbstractSummary(
        id=abstract.id,
        number=abstract.number,
        status=own.visible_status,
        title=abstract.title,
        submission_type_id=abstract.submission_type_id,
        submitted_at=abstract.submitted_at,
        editable_until=own.editable_until,
        editable=own.editable(now),
    )
