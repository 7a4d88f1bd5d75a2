"""Repository tags (from a fleet manifest) and the settings digest a run was judged with.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("settings_digest", sa.String(64)))
    op.create_table(
        "repository_tags",
        sa.Column("repository_id", sa.Integer, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("value", sa.String(1024), nullable=False),
        sa.PrimaryKeyConstraint("repository_id", "key", name="pk_repository_tags"),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["repositories.id"],
            name="fk_repository_tags_repository_id_repositories",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("repository_tags")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("settings_digest")
