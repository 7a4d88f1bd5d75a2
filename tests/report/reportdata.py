"""Report test inputs: real ScanResult/Decision objects shaped like a rich, partly failed scan.

Imported by the report tests (`from reportdata import ...`); fixtures are in conftest.py.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from secscan.model import fingerprint
from secscan.model.decision import (
    ControlResult,
    ControlState,
    Decision,
    Outcome,
    Reason,
    WaiverRecord,
)
from secscan.model.findings import (
    AdvisorySource,
    Confidence,
    Finding,
    FindingKind,
    FlowStep,
    Location,
    NotAnalyzed,
    Package,
    RunStatus,
    ScannerRun,
    ScanResult,
    Severity,
)
from secscan.model.results import SavedResults

STARTED = datetime(2026, 11, 26, 11, 58, 0, tzinfo=UTC)
FINISHED = datetime(2026, 11, 26, 11, 59, 30, tzinfo=UTC)
NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
ROOT = "/src/shop"
ISO = "iso27001-2022"
GDPR = "gdpr"
SCHEMA = Path(__file__).resolve().parent.parent / "data" / "sarif" / "sarif-schema-2.1.0.json"
#: What an attacker could put in a file name, a message or matched code.
EVIL = "<script>alert('x')</script>\"'></textarea><img src=x onerror=alert(1)>"


def _keyed(findings: list[Finding]) -> tuple[Finding, ...]:
    # No file exists under this root, so assign() keeps our snippets and only keys the findings.
    return fingerprint.assign(findings, Path("/nonexistent-secscan-test-root"))


def code_findings() -> tuple[Finding, ...]:
    return _keyed(
        [
            Finding(
                scanner="bandit",
                rule_id="B608",
                title="hardcoded sql expressions",
                message="Possible SQL injection vector through string-based query construction.",
                severity=Severity.HIGH,
                confidence=Confidence.MEDIUM,
                kind=FindingKind.CODE,
                location=Location(
                    "app/db.py",
                    12,
                    13,
                    9,
                    60,
                    snippet="    sql = f\"SELECT * FROM products WHERE name LIKE '%{term}%'\"",
                ),
                cwe=(89,),
                references=(
                    "https://bandit.readthedocs.io/en/1.9.4/plugins/b608_hardcoded_sql_expressions.html",
                    "https://cwe.mitre.org/data/definitions/89.html",
                ),
                tags=("security",),
                controls=("A.8.28", "Art.25(1)"),
            ),
            Finding(
                scanner="bandit",
                rule_id="B311",
                title="blacklist",
                message="Standard pseudo-random generators are not suitable for security purposes.",
                severity=Severity.LOW,
                confidence=Confidence.HIGH,
                kind=FindingKind.CODE,
                location=Location(
                    "app/views.py",
                    30,
                    30,
                    16,
                    40,
                    snippet="    featured = random.sample(products, 3)",
                ),
                cwe=(330,),
                references=("https://cwe.mitre.org/data/definitions/330.html",),
                controls=("A.8.24",),
            ),
            Finding(
                scanner="bandit",
                rule_id="B105",
                title="hardcoded password string",
                message="Possible hardcoded password: 'hunter2-prod'",
                severity=Severity.LOW,
                confidence=Confidence.MEDIUM,
                kind=FindingKind.CODE,
                location=Location(
                    "app/config.py", 8, 8, 15, 29, snippet='DB_PASSWORD = "hunter2-prod"'
                ),
                cwe=(259,),
                controls=("A.5.17",),
            ),
        ]
    )


def dependency_findings() -> tuple[Finding, ...]:
    return _keyed(
        [
            Finding(
                scanner="pip-audit",
                rule_id="PYSEC-2018-66",
                title="flask 0.12.2: denial of service via crafted JSON",
                message="The Flask JSON decoder can be made to consume large amounts of memory.",
                severity=Severity.HIGH,
                kind=FindingKind.DEPENDENCY,
                location=Location("requirements.txt", 3, 3, snippet="Flask==0.12.2"),
                cwe=(20,),
                references=("https://osv.dev/vulnerability/PYSEC-2018-66",),
                remediation="Upgrade flask to 0.12.3 or later.",
                package=Package("flask", "0.12.2", "PyPI", "pkg:pypi/flask@0.12.2", ("0.12.3",)),
                aliases=("CVE-2018-1000656", "GHSA-562c-5r94-xh97"),
                cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
                cvss_score=7.5,
                controls=("A.8.8",),
            ),
            Finding(
                scanner="pip-audit",
                rule_id="PYSEC-2024-60",
                title="idna 2.7: quadratic complexity in idna.encode",
                message="Crafted inputs to idna.encode() can consume significant resources.",
                severity=Severity.MEDIUM,
                kind=FindingKind.DEPENDENCY,
                location=Location("requirements.txt", 11, 11, snippet="idna==2.7"),
                references=("https://osv.dev/vulnerability/PYSEC-2024-60",),
                package=Package("idna", "2.7", "PyPI", "pkg:pypi/idna@2.7", ("3.7",)),
                aliases=("CVE-2024-3651",),
                cvss_score=6.2,
                controls=("A.8.8",),
            ),
        ]
    )


def iac_findings() -> tuple[Finding, ...]:
    return _keyed(
        [
            Finding(
                scanner="iac",
                rule_id="DS-0002",
                title="Image user should not be 'root'",
                message="Specify at least 1 USER command in Dockerfile with a non-root user",
                severity=Severity.HIGH,
                kind=FindingKind.IAC,
                location=Location("Dockerfile", 1, 1, snippet="FROM python:latest"),
                references=("https://avd.aquasec.com/misconfig/ds-0002",),
                remediation="Add 'USER <non root user name>' line to the Dockerfile",
                resource="Dockerfile",
                controls=("A.8.9",),
            ),
        ]
    )


def secret_findings() -> tuple[Finding, ...]:
    return _keyed(
        [
            Finding(
                scanner="secrets",
                rule_id="aws-access-key-id",
                title="AWS Access Key ID",
                message="AWS access key id found in source",
                severity=Severity.CRITICAL,
                kind=FindingKind.SECRET,
                location=Location(
                    "app/config.py", 14, 14, snippet='AWS_ACCESS_KEY_ID = "********************"'
                ),
                cwe=(798,),
                controls=("A.5.17", "A.8.12"),
            ),
        ]
    )


def rich_result() -> ScanResult:
    src = AdvisorySource("local-osv", "advisory-db", "2024-10-10T00:00:00Z", 102)
    return ScanResult(
        root=ROOT,
        started_at=STARTED,
        finished_at=FINISHED,
        secscan_version="0.1.0",
        git_commit="0123456789abcdef0123456789abcdef01234567",
        config_path=f"{ROOT}/.secscan.yaml",
        not_analyzed=(NotAnalyzed("data/huge.bin", "larger than max_file_size_mb (10 MB)"),),
        runs=(
            ScannerRun(
                "bandit",
                FindingKind.CODE,
                RunStatus.OK,
                "1.9.4",
                1.25,
                findings=code_findings(),
                targets=12,
                inline_suppressions=1,
                not_analyzed=(NotAnalyzed("app/broken.py", "syntax error (AST)"),),
            ),
            ScannerRun(
                "semgrep",
                FindingKind.CODE,
                RunStatus.ERROR,
                "1.185.0",
                0.5,
                error="semgrep: exited with 2: invalid rule file policies/semgrep/x.yaml",
                targets=12,
            ),
            ScannerRun(
                "pip-audit",
                FindingKind.DEPENDENCY,
                RunStatus.OK,
                "2.10.0",
                2.0,
                findings=dependency_findings(),
                targets=1,
                advisory_source=src,
            ),
            ScannerRun(
                "iac",
                FindingKind.IAC,
                RunStatus.OK,
                "0.76.0",
                3.0,
                findings=iac_findings(),
                targets=2,
                rulesets=("trivy-checks embedded",),
            ),
            ScannerRun(
                "secrets",
                FindingKind.SECRET,
                RunStatus.OK,
                "0.76.0",
                1.0,
                findings=secret_findings(),
                targets=20,
            ),
            ScannerRun(
                "image",
                FindingKind.IMAGE,
                RunStatus.SKIPPED,
                error="nothing to scan: no image given",
            ),
        ),
    )


def fp(result: ScanResult, rule: str) -> str:
    return next(f.fingerprint for f in result.findings if f.rule_id == rule)


def rich_decision(result: ScanResult) -> Decision:
    sqli, rnd, pwd = fp(result, "B608"), fp(result, "B311"), fp(result, "B105")
    flask, idna = fp(result, "PYSEC-2018-66"), fp(result, "PYSEC-2024-60")
    root_user, aws = fp(result, "DS-0002"), fp(result, "aws-access-key-id")
    waiver = WaiverRecord(
        id="W-001",
        reason="random.sample only rotates featured products",
        owner="platform-team@example.com",
        expires=date(2099, 12, 31),
        expired=False,
        rule="B311",
        path="app/views.py",
        fingerprints=(rnd,),
    )
    old = WaiverRecord(
        id="W-000",
        reason="legacy password until vault migration",
        owner="ops@example.com",
        expires=date(2025, 1, 31),
        expired=True,
        rule="B105",
        path="app/config.py",
        fingerprints=(pwd,),
    )
    controls = (
        ControlResult(
            ISO,
            "A.8.28",
            "Secure coding",
            ControlState.FAIL,
            "Technological",
            "Secure coding principles shall be applied to software development.",
            fingerprints=(sqli,),
            scanners=("bandit",),
            mapping_rules=("cwe-injection",),
        ),
        ControlResult(
            ISO,
            "A.8.8",
            "Management of technical vulnerabilities",
            ControlState.FAIL,
            "Technological",
            "Information about technical vulnerabilities ...",
            fingerprints=(flask, idna),
            scanners=("pip-audit",),
            mapping_rules=("dependency-vulns",),
        ),
        ControlResult(
            ISO,
            "A.8.9",
            "Configuration management",
            ControlState.FAIL,
            "Technological",
            fingerprints=(root_user,),
            scanners=("iac",),
            mapping_rules=("iac-all",),
        ),
        ControlResult(
            ISO,
            "A.8.24",
            "Use of cryptography",
            ControlState.WAIVED,
            "Technological",
            waived_fingerprints=(rnd,),
            scanners=("bandit",),
            mapping_rules=("crypto",),
        ),
        ControlResult(
            ISO,
            "A.5.17",
            "Authentication information",
            ControlState.FAIL,
            "Organizational",
            fingerprints=(aws, pwd),
            scanners=("bandit", "secrets"),
            mapping_rules=("secrets",),
        ),
        ControlResult(
            ISO,
            "A.8.12",
            "Data leakage prevention",
            ControlState.FAIL,
            "Technological",
            fingerprints=(aws,),
            scanners=("secrets",),
            mapping_rules=("secrets",),
        ),
        ControlResult(
            ISO,
            "A.8.20",
            "Networks security",
            ControlState.NOT_ASSESSED,
            "Technological",
            mapping_rules=("network-iac",),
        ),
        ControlResult(
            ISO,
            "A.8.5",
            "Secure authentication",
            ControlState.PASS,
            "Technological",
            scanners=("bandit",),
            mapping_rules=("auth",),
        ),
        ControlResult(
            GDPR,
            "Art.25(1)",
            "Data protection by design",
            ControlState.FAIL,
            fingerprints=(sqli,),
            scanners=("bandit",),
        ),
        ControlResult(
            GDPR,
            "Art.32(1)(b)",
            "Ongoing confidentiality and integrity",
            ControlState.FAIL,
            fingerprints=(flask, idna),
            scanners=("pip-audit",),
        ),
        ControlResult(
            GDPR, "Art.32(1)(a)", "Pseudonymisation and encryption", ControlState.NOT_ASSESSED
        ),
    )
    return Decision(
        outcome=Outcome.FAIL,
        profile="ci",
        evaluated_at=NOW,
        reasons=(
            Reason(
                "fail-on:high",
                "4 open finding(s) at or above high",
                fingerprints=(aws, sqli, flask, root_user),
            ),
            Reason("scanner-error", "semgrep: exited with 2: invalid rule file"),
        ),
        warnings=("waiver W-000 expired on 2025-01-31",),
        controls=controls,
        waivers=(waiver, old),
        frameworks=(ISO, GDPR),
    )


def rich_saved() -> SavedResults:
    result = rich_result()
    return SavedResults(result, rich_decision(result))


def evil_saved() -> SavedResults:
    """A finding whose every free-text field is hostile."""
    f = _keyed(
        [
            Finding(
                scanner="semgrep",
                rule_id=f"evil-rule{EVIL}",
                title=f"title {EVIL}",
                message=f"message {EVIL}",
                severity=Severity.HIGH,
                kind=FindingKind.CODE,
                location=Location(f"app/{EVIL}.py", 3, 3, snippet=f"x = '{EVIL}'"),
                references=("javascript:alert(1)", f"https://example.com/?q={EVIL}"),
                remediation=f"fix {EVIL}",
                controls=(f"A.{EVIL}",),
            )
        ]
    )
    result = ScanResult(
        root=f"/tmp/{EVIL}",
        started_at=STARTED,
        finished_at=FINISHED,
        secscan_version="0.1.0",
        runs=(
            ScannerRun("semgrep", FindingKind.CODE, RunStatus.OK, "1.185.0", findings=f),
            ScannerRun(
                "bandit", FindingKind.CODE, RunStatus.ERROR, "1.9.4", error=f"crashed {EVIL}"
            ),
        ),
    )
    decision = Decision(
        outcome=Outcome.FAIL,
        profile=f"p{EVIL}",
        evaluated_at=NOW,
        reasons=(Reason(f"r{EVIL}", f"m{EVIL}", fingerprints=(f[0].fingerprint,)),),
        warnings=(f"w{EVIL}",),
        controls=(
            ControlResult(
                "iso27001-2022",
                f"A.{EVIL}",
                f"t{EVIL}",
                ControlState.FAIL,
                statement=EVIL,
                fingerprints=(f[0].fingerprint,),
            ),
        ),
        waivers=(
            WaiverRecord(
                f"W{EVIL}", EVIL, EVIL, date(2099, 1, 1), False, fingerprints=("nomatch",)
            ),
        ),
    )
    return SavedResults(result, decision)


def empty_saved() -> SavedResults:
    result = ScanResult(
        root=ROOT,
        started_at=STARTED,
        finished_at=FINISHED,
        secscan_version="0.1.0",
        runs=(ScannerRun("bandit", FindingKind.CODE, RunStatus.OK, "1.9.4", 0.3, targets=3),),
    )
    return SavedResults(result, Decision(Outcome.PASS, "ci", NOW))


def load_schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return data


def with_findings(saved: SavedResults, scanner: str, findings: tuple[Finding, ...]) -> SavedResults:
    runs = tuple(
        replace(r, findings=findings) if r.scanner == scanner else r for r in saved.result.runs
    )
    return SavedResults(replace(saved.result, runs=runs), saved.decision)


#: Text scanned files put in messages, snippets and names: markup, quotes, controls, bidi
#: overrides, line separators, Markdown and mention triggers, long runs. (No lone surrogate:
#: the tools' JSON is read by secscan's guarded loader, which refuses one.)
HOSTILE = (
    EVIL,
    "\x1b[31mred\x07 \x7f del",
    "\u202eevil\u2066 bidi",
    "line\u2028sep\u2029 tab\there CR\r LF\n",
    "md *_`[]()#+!|~> \\ @user #12 GH-3 www.x.com http://a.b/c",
    "emoji 🔥 ünïcödé …",
    "{{ jinja }} {% x %} ${x} &amp; &lt;",
    "A" * 600,
)


@cache
def large_saved(count: int = 300) -> SavedResults:
    """A few hundred findings of every kind (the rich scan's, on many files), their texts
    hostile, judged by the real policy engine against the shipped library: what every
    format renders at size, where a fast path must not change a byte."""
    from secscan.app import settings
    from secscan.policy import judge
    from secscan.settings.config import Config

    base = rich_result()
    repeats = max(1, count // len(base.findings))
    runs = []
    n = 0
    for run in base.runs:
        found: list[Finding] = []
        for f in run.findings:
            for i in range(repeats):
                n += 1
                text = HOSTILE[n % len(HOSTILE)]
                loc = f.location
                path = loc.path if i % 3 == 0 else f"{loc.path.rsplit('.', 1)[0]}_{i}.py"
                found.append(
                    replace(
                        f,
                        title=f.title + (f" {text[:40]}" if n % 3 == 0 else ""),
                        message=f"{text} {f.message}" if n % 2 else f.message,
                        location=replace(
                            loc,
                            path=path if n % 7 else f"{path} ü#%?",
                            start_line=(loc.start_line or 0) + i,
                            end_line=(loc.end_line or 0) + i if loc.end_line else None,
                            snippet=(loc.snippet or "") + (text if n % 4 == 0 else ""),
                        ),
                        remediation=text if n % 5 == 0 else f.remediation,
                        cvss_score=float("nan") if n % 13 == 0 and f.cvss_score else f.cvss_score,
                        fingerprint="",
                    )
                )
        runs.append(replace(run, findings=_keyed(found)))
    result = replace(base, runs=tuple(runs))
    root = Path(__file__).resolve().parent  # no waivers or config here: the defaults
    inputs = settings.resolve(root, Config(base_dir=root), catalog=settings.default_catalog())
    return SavedResults(*judge.judge(result, inputs, NOW))


def flow_saved(text: str = "") -> SavedResults:
    """The rich report plus one crossflow finding with its traced path across two files;
    `text` goes into a step's file name and note (hostile text, for the escaping tests)."""
    steps = (
        FlowStep(Location(f"app/views{text}.py", 11, 11), f"request data read in view(){text}"),
        FlowStep(Location(f"app/views{text}.py", 12, 12), "passed to run_cmd() as target"),
        FlowStep(Location("app/helpers.py", 8, 8), "sink"),
    )
    flow = Finding(
        scanner="crossflow",
        rule_id="python-request-data-command-across-calls",
        title="request data reaches a shell command through calls",
        message="Data from a web request reaches a shell command in another module.",
        severity=Severity.CRITICAL,
        confidence=Confidence.HIGH,
        kind=FindingKind.CODE,
        location=Location(f"app/views{text}.py", 12, 12),
        cwe=(78,),
        flow=steps,
    )
    saved = rich_saved()
    (keyed,) = _keyed([flow])
    runs = (
        *saved.result.runs,
        ScannerRun("crossflow", FindingKind.CODE, RunStatus.OK, "0.1.0", findings=(keyed,)),
    )
    return SavedResults(replace(saved.result, runs=runs), saved.decision)
