"""`secscan fix`: a remediation plan for the vulnerable pinned dependencies of a tree, from
the local advisory mirror only, and (`--apply`) its lossless edits on a clean git tree,
proven by a re-scan."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from secscan import scanners
from secscan.advisories import remediation
from secscan.advisories import service as advisory_service
from secscan.advisories.remediation import CAPS, Plan
from secscan.advisories.store import AdvisoryStore
from secscan.dependencies import sources
from secscan.errors import UsageError
from secscan.model.findings import FindingKind, Reach, Reachability, RunStatus, ScanResult
from secscan.scan import pipeline
from secscan.scan import reachability as reach
from secscan.scanners.base import ScanRequest
from secscan.settings.config import Config
from secscan.workspace import vcs
from secscan.workspace.discovery import discover

__all__ = ["CAPS", "Plan", "Reachability"]


@dataclass(frozen=True, slots=True)
class Applied:
    """What `--apply` did: the files it edited and what the re-scan found after."""

    files: tuple[str, ...]
    #: Per planned package, the advisories the re-scan still reports on it.
    remaining: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: The dependency scanners that re-scanned, and any that failed (then nothing is proven).
    scanners: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()


def mirror(config: Config, advisory_db: Path | None) -> AdvisoryStore:
    db = advisory_service.local_db(config, advisory_db)
    if db is None:
        raise UsageError(
            "secscan fix plans from a local advisory mirror only (it never uses the "
            "network): pass --advisory-db DIR or set advisories.db"
        )
    return AdvisoryStore.open(db, use_index=False)


def plan(
    root: Path, config: Config, store: AdvisoryStore, cap: remediation.Cap
) -> list[remediation.Plan]:
    python = sources.python_sources()
    files = [f for f in discover(root, config).files if sources.source_for(f, python) is not None]
    found = sources.collect(root, files, int(config.max_file_size_mb * 1024 * 1024), python)
    return remediation.plan(root, found.declared, store, cap)


def reachability(
    root: Path, config: Config, plans: Sequence[remediation.Plan]
) -> dict[str, Reachability]:
    """Per planned package, whether the project's code imports it (secscan.scan.reachability)."""
    if not plans:
        return {}
    fileset = discover(root, config)
    project = reach.Project(
        reach.project_imports(root, fileset.files, frozenset(fileset.python_scripts)),
        reach.own_modules(fileset.files),
    )
    return {p.name: reach.label(p.name, project) for p in plans}


def suggested_vex(
    plans: Sequence[remediation.Plan],
    labels: dict[str, Reachability],
    store: AdvisoryStore,
    now: datetime,
) -> dict[str, Any]:
    """An OpenVEX document of `not_affected` / `vulnerable_code_not_in_execute_path`
    statements for the packages the code does not import: suggestions only. They waive
    nothing until a person imports them with `secscan waivers import-vex`, which asks for an
    owner and an expiry."""
    statements = []
    for p in plans:
        label = labels.get(p.name)
        if label is None or label.label is not Reach.NOT_IMPORTED:
            continue
        for aid in p.advisories:
            adv = store.get(aid)
            statements.append(
                {
                    "vulnerability": {
                        "name": aid,
                        **({"aliases": list(adv.aliases)} if adv and adv.aliases else {}),
                    },
                    "products": [{"@id": f"pkg:pypi/{p.name.lower()}@{p.current}"}],
                    "status": "not_affected",
                    "justification": "vulnerable_code_not_in_execute_path",
                    "impact_statement": f"secscan import reachability: {label.reason}",
                }
            )
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = hashlib.sha256(json.dumps(statements, sort_keys=True).encode()).hexdigest()[:16]
    return {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": f"https://openvex.dev/docs/secscan/suggested-{digest}",
        "author": "secscan fix (suggested; review before import)",
        "timestamp": stamp,
        "version": 1,
        "statements": statements,
    }


def apply(
    root: Path,
    config: Config,
    plans: Sequence[remediation.Plan],
    advisory_db: Path | None,
) -> Applied:
    """Write every plan's edit, then re-scan the dependencies with the same mirror.

    Refused unless the tree is a git work tree with nothing uncommitted: the edits are then
    one `git diff` to review and one `git checkout` to undo."""
    _require_clean_tree(root)
    edits = [p.edit for p in plans if p.edit is not None]
    try:
        files = remediation.apply(root, edits)
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise UsageError(f"--apply: {e}") from e
    result = rescan(root, config, advisory_db)
    runs = [r for r in result.runs if r.kind is FindingKind.DEPENDENCY]
    return Applied(
        tuple(files),
        _remaining(result, plans),
        tuple(r.scanner for r in runs),
        tuple(r.scanner for r in runs if r.status is RunStatus.ERROR),
    )


def _require_clean_tree(root: Path) -> None:
    top = vcs.toplevel(root)
    if top is None:
        raise UsageError(f"--apply edits only a git work tree; {root} is not in one")
    dirty = vcs.uncommitted(top)
    if dirty:
        shown = ", ".join(dirty[:5]) + (" ..." if len(dirty) > 5 else "")
        raise UsageError(f"--apply needs a clean git tree; uncommitted changes: {shown}")


def _remaining(result: ScanResult, plans: Sequence[remediation.Plan]) -> dict[str, tuple[str, ...]]:
    """The re-scan's rule ids per edited package: what the edits did not clear."""
    names = {p.name.lower() for p in plans if p.edit is not None}
    remaining: dict[str, tuple[str, ...]] = {}
    for f in result.findings:
        if f.package is not None and f.package.name.lower() in names:
            remaining.setdefault(f.package.name, ())
            remaining[f.package.name] += (f.rule_id,)
    return remaining


def rescan(root: Path, config: Config, advisory_db: Path | None) -> ScanResult:
    names = [s.name for s in scanners.installed().build(None) if s.kind is FindingKind.DEPENDENCY]
    if config.scanners is not None:
        names = [n for n in names if n in config.scanners] or names
    request = ScanRequest(advisory_db=advisory_service.local_db(config, advisory_db))
    return pipeline.scan(root, config, scanner_names=names, request=request, use_cache=False)
