"""Control states per run, a finding's scope, the deadlines a run was judged with.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("deadlines", sa.JSON))
    with op.batch_alter_table("occurrences") as batch:
        batch.add_column(sa.Column("scope", sa.String(64)))
    op.create_table(
        "run_controls",
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("control", sa.String(512), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "control", name="pk_run_controls"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_run_controls_run_id_runs", ondelete="CASCADE"
        ),
    )


def downgrade() -> None:
    op.drop_table("run_controls")
    with op.batch_alter_table("occurrences") as batch:
        batch.drop_column("scope")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("deadlines")
