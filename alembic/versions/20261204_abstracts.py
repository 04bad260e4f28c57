"""abstracts: the call for abstracts, submissions with authors, disclosures and figures, review and decisions

Revision ID: da639b17cf05
Revises: 5d1e7c3a9b42
Create Date: 2026-12-04 10:40:00+00:00

Every table of the abstracts domain at once (abstracts/models.py), so the submission and the review work build
on one head: the call and its submission types, topics, custom questions and rubric; abstracts with their
ordered authors (at most one presenting: a partial unique index on both databases), disclosures and figure;
reviewers with their topics and conflicts, assignments, reviews with one score row per criterion; and the
decision record whose ``mailed_outcome`` lets each decision mail go out once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from alembic import op

revision: str = "da639b17cf05"
down_revision: str | None = "5d1e7c3a9b42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_for_abstracts",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("opens_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("closes_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("late_breaking_opens_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("late_breaking_closes_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("embargo_until", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("reviews_per_abstract", sa.Integer(), nullable=False),
        sa.Column("blind", sa.Boolean(), nullable=False),
        sa.Column("disclosure_required", sa.Boolean(), nullable=False),
        sa.Column("submission_fee_category_id", GUID(length=16), nullable=True),
        sa.Column("accept_oral_wording", sa.Text(), nullable=False),
        sa.Column("accept_poster_wording", sa.Text(), nullable=False),
        sa.Column("reject_wording", sa.Text(), nullable=False),
        sa.Column("numbers_given", sa.Integer(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(late_breaking_opens_at is null and late_breaking_closes_at is null) or (late_breaking_opens_at is not null and late_breaking_closes_at is not null and late_breaking_closes_at > late_breaking_opens_at)",
            name=op.f("ck_call_for_abstracts_late_window"),
        ),
        sa.CheckConstraint("closes_at > opens_at", name=op.f("ck_call_for_abstracts_window")),
        sa.CheckConstraint("embargo_until >= closes_at", name=op.f("ck_call_for_abstracts_embargo")),
        sa.CheckConstraint("numbers_given >= 0", name=op.f("ck_call_for_abstracts_numbers_given")),
        sa.CheckConstraint(
            "reviews_per_abstract between 1 and 20", name=op.f("ck_call_for_abstracts_reviews_per_abstract")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_call_for_abstracts_event_id_event"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["submission_fee_category_id"],
            ["reg_category.id"],
            name=op.f("fk_call_for_abstracts_submission_fee_category_id_reg_category"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_for_abstracts")),
        sa.UniqueConstraint("event_id", name=op.f("uq_call_for_abstracts_event_id")),
    )
    op.create_table(
        "abstract_question",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("call_id", GUID(length=16), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("max_chars", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("max_chars between 1 and 10000", name=op.f("ck_abstract_question_max_chars")),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["call_for_abstracts.id"],
            name=op.f("fk_abstract_question_call_id_call_for_abstracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_abstract_question")),
    )
    with op.batch_alter_table("abstract_question", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_abstract_question_call_id"), ["call_id"], unique=False)

    op.create_table(
        "abstract_topic",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("call_id", GUID(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["call_for_abstracts.id"],
            name=op.f("fk_abstract_topic_call_id_call_for_abstracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_abstract_topic")),
        sa.UniqueConstraint("call_id", "name", name="uq_abstract_topic_call_name"),
    )
    with op.batch_alter_table("abstract_topic", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_abstract_topic_call_id"), ["call_id"], unique=False)

    op.create_table(
        "reviewer",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("call_id", GUID(length=16), nullable=False),
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("institutions", JsonB, nullable=False),
        sa.Column("invited_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("accepted_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("declined_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["call_for_abstracts.id"],
            name=op.f("fk_reviewer_call_id_call_for_abstracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_reviewer_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviewer")),
        sa.UniqueConstraint("call_id", "user_id", name="uq_reviewer_call_user"),
    )
    with op.batch_alter_table("reviewer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviewer_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reviewer_user_id"), ["user_id"], unique=False)

    op.create_table(
        "rubric_criterion",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("call_id", GUID(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("min_score", sa.Integer(), nullable=False),
        sa.Column("max_score", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("max_score > min_score", name=op.f("ck_rubric_criterion_score_range")),
        sa.CheckConstraint("weight > 0", name=op.f("ck_rubric_criterion_weight")),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["call_for_abstracts.id"],
            name=op.f("fk_rubric_criterion_call_id_call_for_abstracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rubric_criterion")),
        sa.UniqueConstraint("call_id", "name", name="uq_rubric_criterion_call_name"),
    )
    with op.batch_alter_table("rubric_criterion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rubric_criterion_call_id"), ["call_id"], unique=False)

    op.create_table(
        "submission_type",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("call_id", GUID(length=16), nullable=False),
        sa.Column("key", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("body_word_limit", sa.Integer(), nullable=False),
        sa.Column("title_max_chars", sa.Integer(), nullable=False),
        sa.Column("is_late_breaking", sa.Boolean(), nullable=False),
        sa.Column("is_symposium", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "key in ('oral', 'poster', 'late_breaking', 'symposium')", name=op.f("ck_submission_type_key")
        ),
        sa.CheckConstraint("body_word_limit between 1 and 10000", name=op.f("ck_submission_type_body_word_limit")),
        sa.CheckConstraint("title_max_chars between 10 and 1000", name=op.f("ck_submission_type_title_max_chars")),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["call_for_abstracts.id"],
            name=op.f("fk_submission_type_call_id_call_for_abstracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_type")),
        sa.UniqueConstraint("call_id", "key", name="uq_submission_type_call_key"),
    )
    with op.batch_alter_table("submission_type", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submission_type_call_id"), ["call_id"], unique=False)

    op.create_table(
        "abstract",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("call_id", GUID(length=16), nullable=False),
        sa.Column("submitter_user_id", GUID(length=16), nullable=False),
        sa.Column("submission_type_id", GUID(length=16), nullable=False),
        sa.Column("topic_id", GUID(length=16), nullable=True),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("keywords", JsonB, nullable=False),
        sa.Column("answers", JsonB, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("submitted_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("withdrawn_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("presenting_confirmed_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("parent_abstract_id", GUID(length=16), nullable=True),
        sa.Column("session_id", GUID(length=16), nullable=True),
        sa.Column("talk_position", sa.Integer(), nullable=True),
        sa.Column("talk_minutes", sa.Integer(), nullable=True),
        sa.Column("poster_board", sa.String(length=20), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status in ('draft', 'submitted', 'withdrawn', 'accepted_oral', 'accepted_poster', 'rejected')",
            name=op.f("ck_abstract_status"),
        ),
        sa.CheckConstraint("number is null or number > 0", name=op.f("ck_abstract_number")),
        sa.CheckConstraint("talk_minutes is null or talk_minutes > 0", name=op.f("ck_abstract_talk_minutes")),
        sa.CheckConstraint("talk_position is null or talk_position >= 0", name=op.f("ck_abstract_talk_position")),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["call_for_abstracts.id"],
            name=op.f("fk_abstract_call_id_call_for_abstracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_abstract_id"],
            ["abstract.id"],
            name=op.f("fk_abstract_parent_abstract_id_abstract"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["program_session.id"],
            name=op.f("fk_abstract_session_id_program_session"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["submission_type_id"],
            ["submission_type.id"],
            name=op.f("fk_abstract_submission_type_id_submission_type"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["submitter_user_id"],
            ["user_account.id"],
            name=op.f("fk_abstract_submitter_user_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["abstract_topic.id"], name=op.f("fk_abstract_topic_id_abstract_topic"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_abstract")),
        sa.UniqueConstraint("call_id", "number", name="uq_abstract_call_number"),
    )
    with op.batch_alter_table("abstract", schema=None) as batch_op:
        batch_op.create_index("ix_abstract_call_status", ["call_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_abstract_parent_abstract_id"), ["parent_abstract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_abstract_session_id"), ["session_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_abstract_submission_type_id"), ["submission_type_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_abstract_submitter_user_id"), ["submitter_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_abstract_topic_id"), ["topic_id"], unique=False)

    op.create_table(
        "reviewer_topic",
        sa.Column("reviewer_id", GUID(length=16), nullable=False),
        sa.Column("topic_id", GUID(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["reviewer.id"], name=op.f("fk_reviewer_topic_reviewer_id_reviewer"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["abstract_topic.id"],
            name=op.f("fk_reviewer_topic_topic_id_abstract_topic"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("reviewer_id", "topic_id", name=op.f("pk_reviewer_topic")),
    )
    op.create_table(
        "abstract_author",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("abstract_id", GUID(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("institution", sa.String(length=300), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("is_presenting", sa.Boolean(), nullable=False),
        sa.Column("speaker_id", GUID(length=16), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("position >= 0", name=op.f("ck_abstract_author_position")),
        sa.ForeignKeyConstraint(
            ["abstract_id"], ["abstract.id"], name=op.f("fk_abstract_author_abstract_id_abstract"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["speaker_id"], ["speaker.id"], name=op.f("fk_abstract_author_speaker_id_speaker"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_abstract_author")),
        sa.UniqueConstraint("abstract_id", "position", name="uq_abstract_author_position"),
    )
    with op.batch_alter_table("abstract_author", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_abstract_author_speaker_id"), ["speaker_id"], unique=False)
        batch_op.create_index(
            "uq_abstract_author_presenting",
            ["abstract_id"],
            unique=True,
            postgresql_where=sa.text("is_presenting"),
            sqlite_where=sa.text("is_presenting"),
        )

    op.create_table(
        "abstract_decision",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("abstract_id", GUID(length=16), nullable=False),
        sa.Column("decided_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("decided_by_user_id", GUID(length=16), nullable=True),
        sa.Column("mailed_outcome", sa.String(length=16), nullable=True),
        sa.Column("mailed_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("mail_message_id", GUID(length=16), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "mailed_outcome is null or mailed_outcome in ('accepted_oral', 'accepted_poster', 'rejected')",
            name=op.f("ck_abstract_decision_mailed_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["abstract_id"], ["abstract.id"], name=op.f("fk_abstract_decision_abstract_id_abstract"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_abstract_decision_decided_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mail_message_id"],
            ["outbox_message.id"],
            name=op.f("fk_abstract_decision_mail_message_id_outbox_message"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_abstract_decision")),
        sa.UniqueConstraint("abstract_id", name=op.f("uq_abstract_decision_abstract_id")),
    )
    op.create_table(
        "abstract_figure",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("abstract_id", GUID(length=16), nullable=False),
        sa.Column("filename", sa.String(length=120), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("content_type in ('image/png', 'image/jpeg')", name=op.f("ck_abstract_figure_content_type")),
        sa.CheckConstraint("size > 0", name=op.f("ck_abstract_figure_size")),
        sa.ForeignKeyConstraint(
            ["abstract_id"], ["abstract.id"], name=op.f("fk_abstract_figure_abstract_id_abstract"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_abstract_figure")),
        sa.UniqueConstraint("abstract_id", name=op.f("uq_abstract_figure_abstract_id")),
    )
    op.create_table(
        "review_assignment",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("abstract_id", GUID(length=16), nullable=False),
        sa.Column("reviewer_id", GUID(length=16), nullable=False),
        sa.Column("assigned_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.String(length=8), nullable=False),
        sa.Column("reminded_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("assigned_by in ('auto', 'manual')", name=op.f("ck_review_assignment_assigned_by")),
        sa.ForeignKeyConstraint(
            ["abstract_id"], ["abstract.id"], name=op.f("fk_review_assignment_abstract_id_abstract"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["reviewer.id"], name=op.f("fk_review_assignment_reviewer_id_reviewer"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_assignment")),
        sa.UniqueConstraint("abstract_id", "reviewer_id", name="uq_review_assignment_pair"),
    )
    with op.batch_alter_table("review_assignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_assignment_abstract_id"), ["abstract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_assignment_reviewer_id"), ["reviewer_id"], unique=False)

    op.create_table(
        "reviewer_conflict",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("reviewer_id", GUID(length=16), nullable=False),
        sa.Column("abstract_id", GUID(length=16), nullable=True),
        sa.Column("institution", sa.String(length=300), nullable=True),
        sa.Column("author_email", sa.String(length=320), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "abstract_id is not null or institution is not null or author_email is not null",
            name=op.f("ck_reviewer_conflict_target"),
        ),
        sa.ForeignKeyConstraint(
            ["abstract_id"], ["abstract.id"], name=op.f("fk_reviewer_conflict_abstract_id_abstract"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["reviewer.id"], name=op.f("fk_reviewer_conflict_reviewer_id_reviewer"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviewer_conflict")),
    )
    with op.batch_alter_table("reviewer_conflict", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviewer_conflict_abstract_id"), ["abstract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reviewer_conflict_reviewer_id"), ["reviewer_id"], unique=False)

    op.create_table(
        "abstract_disclosure",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("author_id", GUID(length=16), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("relationship", sa.String(length=20), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "relationship in ('none', 'grant', 'consultant', 'speaker_bureau', 'stock', 'employee', 'other')",
            name=op.f("ck_abstract_disclosure_relationship"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["abstract_author.id"],
            name=op.f("fk_abstract_disclosure_author_id_abstract_author"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_abstract_disclosure")),
    )
    with op.batch_alter_table("abstract_disclosure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_abstract_disclosure_author_id"), ["author_id"], unique=False)

    op.create_table(
        "review",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("assignment_id", GUID(length=16), nullable=False),
        sa.Column("submitted_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("comments_to_authors", sa.Text(), nullable=False),
        sa.Column("comments_to_committee", sa.Text(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["review_assignment.id"],
            name=op.f("fk_review_assignment_id_review_assignment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review")),
        sa.UniqueConstraint("assignment_id", name=op.f("uq_review_assignment_id")),
    )
    op.create_table(
        "review_score",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("review_id", GUID(length=16), nullable=False),
        sa.Column("criterion_id", GUID(length=16), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["rubric_criterion.id"],
            name=op.f("fk_review_score_criterion_id_rubric_criterion"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["review.id"], name=op.f("fk_review_score_review_id_review"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_score")),
        sa.UniqueConstraint("review_id", "criterion_id", name="uq_review_score_criterion"),
    )
    with op.batch_alter_table("review_score", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_score_criterion_id"), ["criterion_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_score_review_id"), ["review_id"], unique=False)


def downgrade() -> None:
    # Dropping a table drops its indexes; children before their parents.
    op.drop_table("review_score")
    op.drop_table("review")
    op.drop_table("abstract_disclosure")
    op.drop_table("reviewer_conflict")
    op.drop_table("review_assignment")
    op.drop_table("abstract_figure")
    op.drop_table("abstract_decision")
    op.drop_table("abstract_author")
    op.drop_table("reviewer_topic")
    op.drop_table("abstract")
    op.drop_table("submission_type")
    op.drop_table("rubric_criterion")
    op.drop_table("reviewer")
    op.drop_table("abstract_topic")
    op.drop_table("abstract_question")
    op.drop_table("call_for_abstracts")
