"""The first schema: repositories, runs, scanner runs, findings, waivers, occurrences.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "repositories",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("identity", sa.String(1024), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_repositories"),
        sa.UniqueConstraint("identity", name="uq_repositories_identity"),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("repository_id", sa.Integer, nullable=False),
        sa.Column("branch", sa.String(255)),
        sa.Column("commit_sha", sa.String(64)),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("secscan_version", sa.String(64), nullable=False),
        sa.Column("profile", sa.String(255)),
        sa.Column("outcome", sa.String(16)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.ForeignKeyConstraint(
            ["repository_id"], ["repositories.id"], name="fk_runs_repository_id_repositories"
        ),
    )
    op.create_index("ix_runs_repository_id_branch_at", "runs", ["repository_id", "branch", "at"])
    op.create_table(
        "scanner_runs",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("scanner", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tool_version", sa.String(255)),
        sa.Column("error", sa.Text),
        sa.Column("paths", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_scanner_runs"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_scanner_runs_run_id_runs", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_scanner_runs_run_id", "scanner_runs", ["run_id"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("repository_id", sa.Integer, nullable=False),
        sa.Column("fingerprint", sa.String(128), nullable=False),
        sa.Column("scanner", sa.String(128), nullable=False),
        sa.Column("rule_id", sa.String(512), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_findings"),
        sa.ForeignKeyConstraint(
            ["repository_id"], ["repositories.id"], name="fk_findings_repository_id_repositories"
        ),
        sa.UniqueConstraint(
            "repository_id", "fingerprint", name="uq_findings_repository_id_fingerprint"
        ),
    )
    op.create_table(
        "waivers",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("waiver", sa.String(255), nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("expires", sa.Date, nullable=False),
        sa.Column("expired", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_waivers"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_waivers_run_id_runs", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_waivers_run_id", "waivers", ["run_id"])
    op.create_table(
        "occurrences",
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("finding_id", sa.Integer, nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("path", sa.String(2048), nullable=False),
        sa.Column("start_line", sa.Integer),
        sa.Column("end_line", sa.Integer),
        sa.Column("controls", sa.JSON, nullable=False),
        sa.Column("waiver_id", sa.Integer),
        sa.PrimaryKeyConstraint("run_id", "finding_id", name="pk_occurrences"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_occurrences_run_id_runs", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["findings.id"], name="fk_occurrences_finding_id_findings"
        ),
        sa.ForeignKeyConstraint(
            ["waiver_id"], ["waivers.id"], name="fk_occurrences_waiver_id_waivers"
        ),
    )
    op.create_index("ix_occurrences_finding_id", "occurrences", ["finding_id"])


def downgrade() -> None:
    for table in ("occurrences", "waivers", "findings", "scanner_runs", "runs", "repositories"):
        op.drop_table(table)
