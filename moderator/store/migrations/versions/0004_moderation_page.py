"""The moderators' page: held comments keep the checker's verdict (rejected ones are kept
too), the article, the finding codes, the score, the commenter's keyed hash, and the
moderator's reason and note; an audit log of decisions; the page's sign-in sessions.

Revision ID: 0004_page
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_page"
down_revision = "0003"
branch_labels = None
depends_on = None

_HELD_COLUMNS = ("note", "reason", "commenter_hash", "score", "codes", "article_title",
                 "article_url", "verdict")


def upgrade() -> None:
    op.add_column("held_comments", sa.Column("verdict", sa.String(16), nullable=False,
                                             server_default="review"))
    op.add_column("held_comments", sa.Column("article_url", sa.String(2048), nullable=True))
    op.add_column("held_comments", sa.Column("article_title", sa.String(2048), nullable=True))
    op.add_column("held_comments", sa.Column("codes", sa.String(2000), nullable=False,
                                             server_default=" "))
    op.add_column("held_comments", sa.Column("score", sa.Float(), nullable=True))
    op.add_column("held_comments", sa.Column("commenter_hash", sa.String(64), nullable=True))
    op.add_column("held_comments", sa.Column("reason", sa.String(64), nullable=True))
    op.add_column("held_comments", sa.Column("note", sa.Text(), nullable=True))
    _backfill()
    op.create_index("ix_held_status_seq", "held_comments", ["status", "seq"])
    op.create_index("ix_held_site_commenter", "held_comments",
                    ["site", "commenter_hash", "status"])
    op.create_table(
        "decision_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moderator", sa.String(200), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("comment_id", sa.String(32), nullable=False),
        sa.Column("site", sa.String(200), nullable=False),
        sa.Column("label", sa.String(16), nullable=True),
        sa.Column("reason", sa.String(64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("overrode", sa.String(300), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("codes", sa.String(2000), nullable=False),
    )
    op.create_index("ix_decision_log_site_id", "decision_log", ["site", "id"])
    op.create_index("ix_decision_log_comment", "decision_log", ["comment_id"])
    op.create_table(
        "admin_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("moderator", sa.String(200), nullable=False),
        sa.Column("key_fingerprint", sa.String(16), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_admin_sessions_expires", "admin_sessions", ["expires_at"])


def _backfill() -> None:
    """Codes, score and commenter of the comments held before this revision."""
    held = sa.table("held_comments", sa.column("seq", sa.Integer()),
                    sa.column("findings", sa.JSON()), sa.column("scores", sa.JSON()),
                    sa.column("email_hashes", sa.JSON()), sa.column("codes", sa.String()),
                    sa.column("score", sa.Float()), sa.column("commenter_hash", sa.String()))
    bind = op.get_bind()
    rows = bind.execute(sa.select(held.c.seq, held.c.findings, held.c.scores,
                                  held.c.email_hashes)).all()
    for seq, findings, scores, emails in rows:
        codes = sorted({f.get("code", "") for f in findings or [] if isinstance(f, dict)})
        score = (scores or {}).get("propaganda")
        commenter = next(iter((emails or {}).values()), None)
        bind.execute(sa.update(held).where(held.c.seq == seq).values(
            codes=f" {' '.join(c for c in codes if c)} ",
            score=float(score) if isinstance(score, int | float) else None,
            commenter_hash=commenter))


def downgrade() -> None:
    op.drop_table("admin_sessions")
    op.drop_index("ix_decision_log_comment", table_name="decision_log")
    op.drop_index("ix_decision_log_site_id", table_name="decision_log")
    op.drop_table("decision_log")
    op.drop_index("ix_held_site_commenter", table_name="held_comments")
    op.drop_index("ix_held_status_seq", table_name="held_comments")
    # Comments the checker rejected did not exist as rows before this revision.
    op.execute("DELETE FROM held_comments WHERE status = 'auto_rejected'")
    with op.batch_alter_table("held_comments") as batch:
        for column in _HELD_COLUMNS:
            batch.drop_column(column)
