"""Labels get a site, a review status (flagged by retrain's cross-check, confirmed by a
moderator) and a table of retrain runs, whose count rotates the labels' held-back fold.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("labels", sa.Column("site", sa.String(200), nullable=True))
    op.add_column("labels", sa.Column("status", sa.String(16), nullable=False,
                                      server_default="active"))
    op.add_column("labels", sa.Column("flag_score", sa.Float(), nullable=True))
    op.add_column("labels", sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("labels", sa.Column("confirmed_by", sa.String(200), nullable=True))
    op.add_column("labels", sa.Column("confirmed_at", sa.DateTime(timezone=True),
                                      nullable=True))
    # Labels from queue decisions take the site of the comment they came from.
    op.execute("UPDATE labels SET site = (SELECT h.site FROM held_comments h "
               "WHERE h.id = labels.comment_id) WHERE comment_id IS NOT NULL")
    op.create_index("ix_labels_status_id", "labels", ["status", "id"])
    op.create_index("ix_labels_site_id", "labels", ["site", "id"])
    op.create_table(
        "retrain_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("folds", sa.Integer(), nullable=False),
        sa.Column("fold", sa.Integer(), nullable=False),
        sa.Column("candidate", sa.String(200), nullable=True),
        sa.Column("decision", sa.String(16), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("retrain_runs")
    op.drop_index("ix_labels_site_id", table_name="labels")
    op.drop_index("ix_labels_status_id", table_name="labels")
    with op.batch_alter_table("labels") as batch:
        for column in ("confirmed_at", "confirmed_by", "flagged_at", "flag_score", "status",
                       "site"):
            batch.drop_column(column)
