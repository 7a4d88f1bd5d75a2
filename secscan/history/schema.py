"""The history database's tables (SQLAlchemy Core): one schema for SQLite and PostgreSQL.

The Alembic revisions in migrations/versions build exactly these tables; a test compares the
two, so a change here without a revision fails.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

#: A scanned repository: its remote URL without credentials, else its root directory.
repositories = Table(
    "repositories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("identity", String(1024), nullable=False, unique=True),
)

#: One recorded scan (a `scan`/`ci`/`audit` run, or an imported results file).
runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("repository_id", ForeignKey("repositories.id"), nullable=False),
    Column("branch", String(255)),
    Column("commit_sha", String(64)),
    #: The moment the run stands for (the scan's start; an import's commit date): runs of a
    #: branch are ordered by it.
    Column("at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("secscan_version", String(64), nullable=False),
    Column("profile", String(255)),
    #: pass / fail of the gate; None when the results carried no decision.
    Column("outcome", String(16)),
    #: complete / incomplete (a scanner failed: the run fixes nothing for it).
    Column("status", String(16), nullable=False),
    #: scan / ci / audit / import.
    Column("source", String(16), nullable=False),
    #: Revision 2: the remediation deadlines (days per severity) of the run's profile.
    Column("deadlines", JSON),
    #: Revision 3: the digest of the trusted settings the run was judged with (a fleet skips a
    #: repository whose HEAD, settings digest and tool versions match its last recorded run).
    Column("settings_digest", String(64)),
    Index(None, "repository_id", "branch", "at"),
    #: Revision 4: each repository's newest run (the dashboard's posture and compliance; id
    #: breaks a tie of `at`, so the newest is read from the index's end without a sort) ...
    Index(None, "repository_id", "at", "id"),
    #: ... and the runs of a period (its trends).
    Index(None, "at"),
)

scanner_runs = Table(
    "scanner_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", ForeignKey("runs.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("scanner", String(128), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("tool_version", String(255)),
    Column("error", Text),
    #: The files this run assessed (its targets less the ones the tool could not read).
    Column("paths", JSON, nullable=False),
)

#: Revision 3: labels a fleet manifest gives a repository (team, product, criticality, ...).
repository_tags = Table(
    "repository_tags",
    metadata,
    Column("repository_id", ForeignKey("repositories.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("value", String(1024), nullable=False),
    #: Revision 4: the repositories of one team (the dashboard's filter).
    Index(None, "key", "value"),
)

#: A finding's identity in one repository; what changes from run to run is in occurrences.
findings = Table(
    "findings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("repository_id", ForeignKey("repositories.id"), nullable=False),
    Column("fingerprint", String(128), nullable=False),
    Column("scanner", String(128), nullable=False),
    Column("rule_id", String(512), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("title", Text, nullable=False),
    UniqueConstraint("repository_id", "fingerprint"),
)

#: A waiver in force during a run, as the decision recorded it.
waivers = Table(
    "waivers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", ForeignKey("runs.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("waiver", String(255), nullable=False),
    Column("owner", String(255), nullable=False),
    Column("expires", Date, nullable=False),
    Column("expired", Boolean, nullable=False),
    Column("reason", Text, nullable=False),
)

#: A finding seen in a run.
occurrences = Table(
    "occurrences",
    metadata,
    Column("run_id", ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("finding_id", ForeignKey("findings.id"), primary_key=True),
    Column("severity", String(16), nullable=False),
    Column("path", String(2048), nullable=False),
    Column("start_line", Integer),
    Column("end_line", Integer),
    Column("controls", JSON, nullable=False),
    #: The active waiver that accepted the finding in this run.
    Column("waiver_id", ForeignKey("waivers.id")),
    #: Revision 2: the finding's scope (production, test, ...) once findings carry one.
    Column("scope", String(64)),
    #: Revision 4: a finding's runs in order (and whether waived), read without the table:
    #: trends in SQL aggregate each finding's first and last run over it. It replaces
    #: revision 1's index of finding_id alone, which SQLite's planner would otherwise prefer.
    Index(None, "finding_id", "run_id", "waiver_id"),
)

#: Revision 2: each control's state in a run, for "control states over time".
run_controls = Table(
    "run_controls",
    metadata,
    Column("run_id", ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("control", String(512), primary_key=True),
    Column("state", String(16), nullable=False),
)

#: Revision 4: per run and severity, the findings that opened (new or reopened) and were fixed
#: in that run, and the days those fixes took: what the dashboard's trends add up, so they
#: never walk occurrences. Written for a whole line when a run is recorded (history.summary);
#: only rows with something in them.
run_changes = Table(
    "run_changes",
    metadata,
    Column("run_id", ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("severity", String(16), primary_key=True),
    #: The run's repository and UTC day (YYYY-MM-DD), copied here so that a period's sums
    #: are read from one index, without a join or a date function.
    Column("repository_id", ForeignKey("repositories.id"), nullable=False),
    Column("day", String(10), nullable=False),
    Column("opened", Integer, nullable=False),
    Column("fixed", Integer, nullable=False),
    #: The sum of the fixes' days to remediate (their mean is fix_days / fixed).
    Column("fix_days", Float, nullable=False),
    #: A period's sums per day (trends' charts) ...
    Index(None, "day", "severity", "repository_id", "opened", "fixed", "fix_days"),
    #: ... and per repository (trends per team), each read from the index alone.
    Index(None, "repository_id", "severity", "day", "opened", "fixed", "fix_days"),
)

#: Revision 4: the open, unwaived findings of each line after its newest run, with the moment
#: each opened and its remediation deadline: the dashboard's SLA breaches are `due_at < now`.
open_findings = Table(
    "open_findings",
    metadata,
    Column("run_id", ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("finding_id", ForeignKey("findings.id"), primary_key=True),
    Column("severity", String(16), nullable=False),
    Column("open_since", DateTime(timezone=True), nullable=False),
    #: open_since plus the deadline of its severity; None when the severity has none.
    Column("due_at", DateTime(timezone=True)),
)
