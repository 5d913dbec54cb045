"""An index for counting one commenter's pending comments (the per-address cap).

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_held_site_ip_status", "held_comments", ["site", "ip_hash", "status"])


def downgrade() -> None:
    op.drop_index("ix_held_site_ip_status", table_name="held_comments")
