"""What GitLab documents about its report files and CI configuration that its JSON schemas do
not encode: one check per row of the table in docs/integrations.md ("Rules the GitLab schemas
do not encode"). Each returns the violations it found (empty: the rule holds)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

#: Code Climate severities GitLab's Code Quality reads.
CODEQUALITY_SEVERITIES = frozenset({"info", "minor", "major", "critical", "blocker"})
MAX_EXPOSED = 10


def gl1_unique_ids(report: dict[str, Any]) -> list[str]:
    """GL1: each vulnerability's `id` is unique in the report."""
    ids = Counter(v["id"] for v in report["vulnerabilities"])
    return [f"id {i} appears {n} times" for i, n in ids.items() if n > 1]


def gl2_primary_identifiers_listed(report: dict[str, Any]) -> list[str]:
    """GL2: the primary identifier (first) of every vulnerability is in
    `scan.primary_identifiers`, which GitLab reads to resolve the ones no longer detected."""
    listed = {(i["type"], i["value"]) for i in report["scan"].get("primary_identifiers", [])}
    return [
        f"{v['identifiers'][0]['type']}:{v['identifiers'][0]['value']} not listed"
        for v in report["vulnerabilities"]
        if (v["identifiers"][0]["type"], v["identifiers"][0]["value"]) not in listed
    ]


def gl3_failure_when_a_scanner_failed(report: dict[str, Any], failed: bool) -> list[str]:
    """GL3: `scan.status` is `failure` when the analysis did not complete (GitLab then does not
    read a missing vulnerability as resolved)."""
    status = report["scan"]["status"]
    if failed and status != "failure":
        return [f"a scanner failed but scan.status is {status!r}"]
    return []


def gl4_repository_paths(paths: list[str], repository: Path) -> list[str]:
    """GL4: file paths are relative to the repository root: no leading `/` or `./`, and each
    names a file of the repository."""
    out = []
    for p in paths:
        if p.startswith(("/", "./")) or ".." in PurePosixPath(p).parts:
            out.append(f"{p}: not a plain repository-relative path")
        elif ":" not in PurePosixPath(p).parts[0] and not (repository / p).is_file():
            out.append(f"{p}: no such file in the repository")
    return out


def gl5_codequality_fields(issues: list[dict[str, Any]]) -> list[str]:
    """GL5: Code Quality is a JSON array; every issue has `description`, `check_name`,
    `fingerprint`, a Code Climate `severity`, `location.path` and an integer
    `location.lines.begin` >= 1."""
    if not isinstance(issues, list):
        return ["not a JSON array"]
    out = []
    for n, i in enumerate(issues):
        for key in ("description", "check_name", "fingerprint"):
            if not isinstance(i.get(key), str) or not i[key]:
                out.append(f"[{n}] {key} missing or empty")
        if i.get("severity") not in CODEQUALITY_SEVERITIES:
            out.append(f"[{n}] severity {i.get('severity')!r}")
        loc = i.get("location", {})
        begin = loc.get("lines", {}).get("begin")
        if not isinstance(loc.get("path"), str) or not isinstance(begin, int) or begin < 1:
            out.append(f"[{n}] location {loc!r}")
    return out


def gl6_codequality_unique_fingerprints(issues: list[dict[str, Any]]) -> list[str]:
    """GL6: each Code Quality fingerprint is unique (GitLab compares issues by it)."""
    counts = Counter(i["fingerprint"] for i in issues)
    return [f"fingerprint {f} appears {n} times" for f, n in counts.items() if n > 1]


def _jobs(ci: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(n, j) for n, j in ci.items() if isinstance(j, dict)]


def gl7_expose_as_without_globs(ci: dict[str, Any]) -> list[str]:
    """GL7: with `artifacts:expose_as`, no artifact path contains `*` (GitLab: "artifacts
    paths can't contain '*' when used with 'expose_as'"), and at
    most 10 paths are exposed."""
    out = []
    for name, job in _jobs(ci):
        art = job.get("artifacts") or {}
        if "expose_as" not in art:
            continue
        paths = art.get("paths", [])
        out += [f"{name}: {p} is a glob" for p in paths if "*" in p]
        if len(paths) > MAX_EXPOSED:
            out.append(f"{name}: {len(paths)} paths exposed (at most {MAX_EXPOSED})")
    return out


REPORT_RULES: dict[str, Callable[..., list[str]]] = {
    "GL1": gl1_unique_ids,
    "GL2": gl2_primary_identifiers_listed,
    "GL3": gl3_failure_when_a_scanner_failed,
    "GL4": gl4_repository_paths,
    "GL5": gl5_codequality_fields,
    "GL6": gl6_codequality_unique_fingerprints,
    "GL7": gl7_expose_as_without_globs,
}
