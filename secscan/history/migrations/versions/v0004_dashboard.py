"""The dashboard's indexes and summaries: each repository's newest run, a period's runs and a
finding's runs by index; per-run opened/fixed counts; each line's open findings with their
deadlines.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_runs_repository_id_at_id", "runs", ["repository_id", "at", "id"])
    op.create_index("ix_runs_at", "runs", ["at"])
    op.create_index("ix_repository_tags_key_value", "repository_tags", ["key", "value"])
    op.create_index(
        "ix_occurrences_finding_id_run_id_waiver_id",
        "occurrences",
        ["finding_id", "run_id", "waiver_id"],
    )
    # The new index leads with finding_id; the old one would only mislead SQLite's planner.
    op.drop_index("ix_occurrences_finding_id", "occurrences")
    op.create_table(
        "run_changes",
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("repository_id", sa.Integer, nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("opened", sa.Integer, nullable=False),
        sa.Column("fixed", sa.Integer, nullable=False),
        sa.Column("fix_days", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("run_id", "severity", name="pk_run_changes"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_run_changes_run_id_runs", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["repositories.id"],
            name="fk_run_changes_repository_id_repositories",
        ),
    )
    op.create_index(
        "ix_run_changes_day_severity_repository_id_opened_fixed_fix_days",
        "run_changes",
        ["day", "severity", "repository_id", "opened", "fixed", "fix_days"],
    )
    op.create_index(
        "ix_run_changes_repository_id_severity_day_opened_fixed_fix_days",
        "run_changes",
        ["repository_id", "severity", "day", "opened", "fixed", "fix_days"],
    )
    op.create_table(
        "open_findings",
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("finding_id", sa.Integer, nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("open_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("run_id", "finding_id", name="pk_open_findings"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_open_findings_run_id_runs", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["findings.id"], name="fk_open_findings_finding_id_findings"
        ),
    )


def downgrade() -> None:
    op.drop_table("open_findings")
    op.drop_table("run_changes")
    op.create_index("ix_occurrences_finding_id", "occurrences", ["finding_id"])
    op.drop_index("ix_occurrences_finding_id_run_id_waiver_id", "occurrences")
    op.drop_index("ix_repository_tags_key_value", "repository_tags")
    op.drop_index("ix_runs_at", "runs")
    op.drop_index("ix_runs_repository_id_at_id", "runs")
