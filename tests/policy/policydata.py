"""Policy test data: the example project's findings from captured tool output, a pinned clock."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from secscan.model import fingerprint
from secscan.model.findings import (
    Finding,
    FindingKind,
    Location,
    Package,
    RunStatus,
    ScannerRun,
    ScanResult,
    Severity,
)
from secscan.model.targets import OF_FINDING_KIND, census
from secscan.scanners.bandit import BanditScanner
from secscan.scanners.base import ScanContext
from secscan.scanners.semgrep import SemgrepScanner
from secscan.scanners.trivy_config import TrivyConfigScanner
from secscan.scanners.trivy_secrets import TrivySecretsScanner
from secscan.settings.config import Config

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "vulnerable-shop"
CAPTURED = REPO / "tests" / "fixtures" / "policy"
NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)


def flaws() -> list[dict[str, Any]]:
    data: dict[str, Any] = yaml.safe_load((EXAMPLE / "flaws.yaml").read_text(encoding="utf-8"))
    return list(data["flaws"])


def qualified(bare: str) -> str:
    """flaws.yaml writes `A.8.28` and `Art.25(1)`; secscan qualifies them by framework."""
    return f"gdpr:{bare}" if bare.startswith("Art.") else f"iso27001-2022:{bare}"


def flaw_line(flaw: dict[str, Any]) -> int | None:
    """The first non-comment line after the flaw's `# FLAW` marker (its flawed construct)."""
    lines = (EXAMPLE / flaw["file"]).read_text(encoding="utf-8").splitlines()
    for n, text in enumerate(lines, 1):
        if flaw["marker"] in text:
            if not flaw["marker"].startswith("# FLAW"):
                return n
            for m in range(n, len(lines)):
                if lines[m].strip() and not lines[m].strip().startswith("#"):
                    return m + 1
    return None


def _ctx(targets: Sequence[str]) -> ScanContext:
    return ScanContext(root=EXAMPLE, targets=tuple(targets), config=Config(), timeout=60)


def _captured(name: str) -> str:
    return (CAPTURED / name).read_text(encoding="utf-8")


def _trivy_targets(name: str) -> list[str]:
    data = json.loads(_captured(name))
    return [str(r["Target"]) for r in data.get("Results") or []]


def run(
    name: str,
    kind: FindingKind,
    findings: Iterable[Finding],
    targets: int = 10,
    paths: Sequence[str] = (),
) -> ScannerRun:
    """A run as the pipeline records it; `paths` are its targets, classified as the pipeline
    does (without them, `targets` files of the kind the scanner reads)."""
    kinds = census(EXAMPLE, kind, paths) if paths else ((OF_FINDING_KIND[kind][0].value, targets),)
    return ScannerRun(
        scanner=name,
        kind=kind,
        status=RunStatus.OK,
        findings=fingerprint.assign(tuple(findings), EXAMPLE),
        targets=len(paths) or targets,
        target_kinds=kinds,
    )


def bandit_run() -> ScannerRun:
    out = BanditScanner().parse(_captured("bandit.json"), _ctx(()))
    return run("bandit", FindingKind.CODE, out.findings)


def semgrep_run() -> ScannerRun:
    out = SemgrepScanner().parse(_captured("semgrep.json"), _ctx(()))
    return run("semgrep", FindingKind.CODE, out.findings)


def iac_run() -> ScannerRun:
    targets = _trivy_targets("trivy-config.json")
    out = TrivyConfigScanner().parse(_captured("trivy-config.json"), _ctx(targets))
    files = [t for t in targets if (EXAMPLE / t).is_file()]
    return run("iac", FindingKind.IAC, out.findings, paths=files)


def secrets_run() -> ScannerRun:
    out = TrivySecretsScanner().parse(
        _captured("trivy-secrets.json"), _ctx(_trivy_targets("trivy-secrets.json"))
    )
    return run("secrets", FindingKind.SECRET, out.findings)


def dependency_run() -> ScannerRun:
    """What a dependency scanner reports for the planted packages: one finding per OSV record."""
    found = []
    for flaw in flaws():
        if flaw["kind"] != "dependency":
            continue
        for adv in flaw["checks"].get("pip-audit", []):
            record = json.loads((EXAMPLE / "advisory-db" / f"{adv}.json").read_text("utf-8"))
            found.append(
                Finding(
                    scanner="pip-audit",
                    rule_id=adv,
                    title=f"{flaw['package']} {flaw['version']}: {adv}",
                    message=str(record.get("details", adv))[:200],
                    severity=Severity.HIGH,
                    kind=FindingKind.DEPENDENCY,
                    location=Location(path=flaw["file"]),
                    package=Package(flaw["package"], flaw["version"], "PyPI"),
                    aliases=tuple(record.get("aliases") or ()),
                )
            )
    return run("pip-audit", FindingKind.DEPENDENCY, found)


def result_of(*runs: ScannerRun) -> ScanResult:
    return ScanResult(
        root=str(EXAMPLE), started_at=NOW, finished_at=NOW, secscan_version="test", runs=runs
    )


def code_finding(
    rule: str = "R1",
    *,
    path: str = "app/x.py",
    line: int = 1,
    severity: Severity = Severity.HIGH,
    cwe: tuple[int, ...] = (89,),
    scanner: str = "semgrep",
    fp: str | None = None,
    snippet: str = "query(x)",
) -> Finding:
    return Finding(
        scanner=scanner,
        rule_id=rule,
        title=rule,
        message=rule,
        severity=severity,
        kind=FindingKind.CODE,
        location=Location(path=path, start_line=line, snippet=snippet),
        cwe=cwe,
        fingerprint=fp or f"fp-{rule}-{path}-{line}",
    )


def ok_run(
    findings: Sequence[Finding] = (),
    name: str = "semgrep",
    kind: FindingKind = FindingKind.CODE,
    **kw: Any,
) -> ScannerRun:
    return ScannerRun(
        scanner=name, kind=kind, status=RunStatus.OK, findings=tuple(findings), targets=3, **kw
    )
