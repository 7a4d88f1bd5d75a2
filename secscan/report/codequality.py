"""GitLab Code Quality (the Code Climate subset GitLab reads): the one report GitLab Free shows.

Open findings only: a waived finding is an accepted risk, not a code-quality problem to fix.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from secscan.model.findings import Severity
from secscan.model.results import SavedResults
from secscan.report.model import FindingView, RepositoryBase, build, repository_base
from secscan.util import jsonio as _json
from secscan.util.text import json_visible

#: Code Climate's severities; GitLab shows blocker and critical as the worst.
SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "blocker",
    Severity.HIGH: "critical",
    Severity.MEDIUM: "major",
    Severity.LOW: "minor",
    Severity.INFO: "info",
}
_MAX_DESCRIPTION = 1000


def render(saved: SavedResults, now: datetime) -> str:
    # Paths relative to the repository's top directory, where GitLab looks for the files.
    base = repository_base(saved)
    issues = [_issue(fv, base) for fv in build(saved, now).open_findings]
    return json_visible(_json.dumps_indented(issues, ensure_ascii=False)) + "\n"


def _issue(fv: FindingView, base: RepositoryBase) -> dict[str, Any]:
    f = fv.finding
    text = f.title or f.message or f.rule_id
    if f.package is not None:
        text = f"{f.package.name} {f.package.version}: {text}"
    text = text.strip()
    if len(text) > _MAX_DESCRIPTION:
        text = text[: _MAX_DESCRIPTION - 1].rstrip() + "…"
    return {
        "description": text,
        "check_name": f"{f.scanner}/{f.rule_id}",
        "fingerprint": f.fingerprint,
        "severity": SEVERITY[f.severity],
        "location": {
            "path": base.path(f.location.path),
            "lines": {"begin": f.location.start_line or 1},
        },
    }
