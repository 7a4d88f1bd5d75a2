"""Micro-benchmark: a generated scan with 10,000 realistic findings through the real policy
engine and every registered report format (scan and compliance), timed stage by stage,
against the target of issue 17: policy + every format <= 1 s.

Not part of the pass/fail test suite (timings depend on the machine); run.py calls it and
records the result in BENCHMARKS.md. `python benchmarks/render_bench.py --findings 10000`.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from secscan import __version__
from secscan.cli.views.terminal import summary
from secscan.model import fingerprint
from secscan.model.findings import (
    AdvisorySource,
    Confidence,
    Finding,
    FindingKind,
    Location,
    NotAnalyzed,
    Package,
    RunStatus,
    ScannerRun,
    ScanResult,
    Severity,
)
from secscan.model.results import SavedResults, dumps, loads
from secscan.policy import judge
from secscan.report.formats import COMPLIANCE_FORMATS, FORMATS, Format
from secscan.report.model import build
from secscan.settings.config import Config

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
#: Stages slower than this (seconds) get a profile with --profile-top.
PROFILE_OVER = 0.1
S = Severity

#: Shapes of real findings (copied from scans of Django and the example shop): scanner, rule,
#: title, severity, CWE, how many of the 10,000 are of this shape.
CODE = [
    ("bandit", "B101", "assert used", S.LOW, (703,), 1400, "assert isinstance(value, str)"),
    (
        "bandit",
        "B608",
        "hardcoded sql expressions",
        S.MEDIUM,
        (89,),
        700,
        'cursor.execute("SELECT * FROM %s WHERE id = %%s" % table, [pk])',
    ),
    (
        "bandit",
        "B603",
        "subprocess without shell equals true",
        S.LOW,
        (78,),
        500,
        "subprocess.run(argv, check=True)",
    ),
    ("bandit", "B324", "hashlib", S.HIGH, (327,), 300, "hashlib.md5(data).hexdigest()"),
    ("bandit", "B105", "hardcoded password string", S.LOW, (259,), 400, 'password = "********"'),
    ("bandit", "B110", "try except pass", S.LOW, (703,), 500, "except Exception:\n    pass"),
    ("bandit", "B201", "flask debug true", S.HIGH, (94,), 200, "app.run(debug=True)"),
    (
        "semgrep",
        "python-sql-injection",
        "SQL built from request data",
        S.HIGH,
        (89,),
        500,
        "db.execute(f\"SELECT * FROM orders WHERE user = {request.args['u']}\")",
    ),
    (
        "semgrep",
        "python-command-injection",
        "Shell command from request data",
        S.HIGH,
        (78,),
        300,
        "os.system('convert ' + request.form['file'])",
    ),
    (
        "semgrep",
        "python-unsafe-deserialization",
        "pickle of untrusted data",
        S.HIGH,
        (502,),
        300,
        "pickle.loads(request.data)",
    ),
    (
        "semgrep",
        "python-ssrf",
        "Server-side request forgery",
        S.MEDIUM,
        (918,),
        200,
        "requests.get(request.args['url'])",
    ),
    (
        "semgrep",
        "python-open-redirect",
        "Open redirect",
        S.MEDIUM,
        (601,),
        200,
        "return redirect(request.args.get('next'))",
    ),
]
IAC = [
    ("DS-0002", "Image user should not be 'root'", S.HIGH, "Dockerfile", 250, None),
    ("DS-0001", "':latest' tag used", S.MEDIUM, "Dockerfile", 250, "FROM python:latest"),
    (
        "AWS-0086",
        "S3 Access block should block public ACL",
        S.HIGH,
        "main.tf",
        500,
        'resource "aws_s3_bucket" "reports" {',
    ),
    (
        "AWS-0104",
        "A security group rule should not allow unrestricted egress",
        S.CRITICAL,
        "main.tf",
        500,
        'cidr_blocks = ["0.0.0.0/0"]',
    ),
    (
        "KSV-0014",
        "Root file system is not read-only",
        S.HIGH,
        "deployment.yaml",
        500,
        "readOnlyRootFilesystem: false",
    ),
    ("KSV-0017", "Privileged container", S.HIGH, "deployment.yaml", 500, "privileged: true"),
]
SECRETS = [
    ("aws-access-key-id", "AWS Access Key ID", S.CRITICAL, 150, 'AWS_ACCESS_KEY_ID = "****"'),
    ("github-pat", "GitHub Personal Access Token", S.CRITICAL, 100, 'TOKEN = "ghp_****"'),
    ("private-key", "Asymmetric Private Key", S.HIGH, 50, "-----BEGIN RSA PRIVATE KEY-----****"),
]
DEPS = [
    ("PyPI", "pillow", "8.1.0", "9.0.1", 45),
    ("PyPI", "django", "3.2.4", "3.2.25", 40),
    ("PyPI", "urllib3", "1.23", "1.26.18", 11),
    ("PyPI", "werkzeug", "0.15.2", "2.3.8", 7),
    ("PyPI", "jinja2", "2.10", "3.1.4", 5),
]
IMAGE = [
    ("Debian:11", "openssl", "1.1.1k-1+deb11u1", "1.1.1n-1", 2),
    ("Debian:11", "zlib1g", "1:1.2.11.dfsg-2", "1:1.2.11.dfsg-2+deb11u2", 1),
]


def generate(count: int = 10_000, seed: int = 8) -> ScanResult:
    """A scan result shaped like a big real one: every kind, many files, long messages."""
    rng = random.Random(seed)
    weights = {"code": 0.6, "iac": 0.25, "secret": 0.03, "dependency": 0.09, "image": 0.03}
    quota = {k: round(count * w) for k, w in weights.items()}
    quota["code"] += count - sum(quota.values())
    by_scanner: dict[str, list[Finding]] = {}

    def add(f: Finding) -> None:
        by_scanner.setdefault(f.scanner, []).append(f)

    code_total = sum(t[5] for t in CODE)
    for scanner, rule, title, sev, cwe, share, snippet in CODE:
        for _ in range(max(1, quota["code"] * share // code_total)):
            n = rng.randrange(1500)
            line = rng.randrange(1, 900)
            add(
                Finding(
                    scanner=scanner,
                    rule_id=rule,
                    title=title,
                    message=f"{title}: review this call; untrusted input may reach it "
                    f"(seen in module {n}). " + "Details follow. " * rng.randrange(1, 6),
                    severity=sev,
                    confidence=rng.choice(list(Confidence)),
                    kind=FindingKind.CODE,
                    location=Location(
                        f"src/pkg{n // 60:02d}/module_{n:04d}.py", line, line + 1, 5, 40, snippet
                    ),
                    cwe=cwe,
                    references=(f"https://cwe.mitre.org/data/definitions/{cwe[0]}.html",),
                    tags=("security",),
                )
            )
    iac_total = sum(t[4] for t in IAC)
    for rule, title, sev, fname, share, snippet in IAC:
        for _ in range(max(1, quota["iac"] * share // iac_total)):
            env = rng.randrange(300)
            line = rng.randrange(1, 120)
            add(
                Finding(
                    scanner="iac",
                    rule_id=rule,
                    title=title,
                    message=f"{title} (resource in environment {env:03d})",
                    severity=sev,
                    kind=FindingKind.IAC,
                    location=Location(
                        f"infra/env-{env:03d}/{fname}", line, line + 2, None, None, snippet
                    ),
                    references=(f"https://avd.aquasec.com/misconfig/{rule.lower()}",),
                    remediation="Apply the fix the check describes.",
                    aliases=(f"AVD-{rule}",),
                    tags=("iac",),
                    resource=f"aws_s3_bucket.reports_{env}" if fname == "main.tf" else None,
                )
            )
    secret_total = sum(t[3] for t in SECRETS)
    for rule, title, sev, share, preview in SECRETS:
        for _ in range(max(1, quota["secret"] * share // secret_total)):
            n = rng.randrange(1500)
            add(
                Finding(
                    scanner="secrets",
                    rule_id=rule,
                    title=title,
                    message=f"{title} found; the value is masked and not stored by secscan",
                    severity=sev,
                    kind=FindingKind.SECRET,
                    location=Location(
                        f"src/pkg{n // 60:02d}/settings_{n:04d}.py",
                        rng.randrange(1, 80),
                        None,
                        None,
                        None,
                        preview,
                    ),
                    cwe=(798,),
                    tags=("secret",),
                )
            )
    for kind, scanner, table in (
        (FindingKind.DEPENDENCY, "pip-audit", DEPS),
        (FindingKind.IMAGE, "image", IMAGE),
    ):
        total = sum(t[4] for t in table)
        want = quota["dependency" if kind is FindingKind.DEPENDENCY else "image"]
        i = 0
        for eco, name, version, fixed, share in table:
            for _ in range(max(1, want * share // total)):
                i += 1
                manifest = f"services/svc{i % 40:02d}/requirements.txt"
                path = manifest if kind is FindingKind.DEPENDENCY else "image:bench/shop"
                add(
                    Finding(
                        scanner=scanner,
                        rule_id=f"PYSEC-2021-{i:05d}",
                        title=f"{name} {version}: known vulnerability {i}",
                        message=f"{name} {version} is affected; fixed in {fixed}. " * 3,
                        severity=rng.choice([S.CRITICAL, S.HIGH, S.MEDIUM]),
                        kind=kind,
                        location=Location(path, rng.randrange(1, 30) if i % 2 else None),
                        package=Package(name, version, eco, f"pkg:pypi/{name}@{version}", (fixed,)),
                        aliases=(f"CVE-2021-{20000 + i}", f"GHSA-xxxx-{i:04d}"),
                        references=(f"https://osv.dev/vulnerability/PYSEC-2021-{i:05d}",),
                        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                        cvss_score=9.8,
                    )
                )
    # Shares are rounded down per shape: top up with the most common shape to exactly `count`.
    filler = by_scanner["bandit"][0]
    shortfall = count - sum(len(v) for v in by_scanner.values())
    for i in range(max(0, shortfall)):
        line = 1000 + i
        add(replace(filler, location=replace(filler.location, start_line=line, end_line=line)))
    kinds = {
        "bandit": FindingKind.CODE,
        "semgrep": FindingKind.CODE,
        "iac": FindingKind.IAC,
        "secrets": FindingKind.SECRET,
        "pip-audit": FindingKind.DEPENDENCY,
        "image": FindingKind.IMAGE,
    }
    source = AdvisorySource("local-osv", "/srv/osv", "2024-10-10T00:00:00Z", 265)
    runs = tuple(
        ScannerRun(
            scanner=name,
            kind=kinds[name],
            status=RunStatus.OK,
            tool_version="1.0.0",
            duration_s=12.5,
            findings=fingerprint.assign(found, Path("/nonexistent")),
            not_analyzed=tuple(NotAnalyzed(f"src/broken_{i}.py", "syntax error") for i in range(5)),
            targets=2800,
            advisory_source=source
            if kinds[name] in (FindingKind.DEPENDENCY, FindingKind.IMAGE)
            else None,
        )
        for name, found in sorted(by_scanner.items())
    )
    return ScanResult(
        root="/srv/bench",
        started_at=NOW - timedelta(minutes=2),
        finished_at=NOW,
        secscan_version=__version__,
        runs=runs,
        git_commit="0" * 40,
    )


WAIVERS = """\
version: 1
waivers:
  - rule: B101
    path: "src/pkg0*/**"
    reason: "asserts in test helpers"
    owner: "bench@example.invalid"
    created: 2025-12-01
    expires: 2026-02-28
  - rule: DS-0001
    path: "infra/env-00*/Dockerfile"
    reason: "pinned by the build system"
    owner: "bench@example.invalid"
    created: 2025-12-01
    expires: 2026-02-28
  - rule: B608
    path: "src/**"
    reason: "an expired waiver, still reported"
    owner: "bench@example.invalid"
    created: 2019-12-01
    expires: 2020-01-01
"""


def _timed(
    fn: Callable[..., Any], repeat: int, setup: Callable[[], Any] | None = None
) -> tuple[float, float, Any]:
    """Median wall and CPU seconds of `repeat` calls, and the last call's result; `setup`
    (not timed) makes each call's argument afresh."""
    times, cpu, out = [], [], None
    for _ in range(repeat):
        args = () if setup is None else (setup(),)
        start, start_cpu = time.perf_counter(), time.process_time()
        out = fn(*args)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(times), statistics.median(cpu), out


def _profile(fn: Callable[..., Any], top: int, setup: Callable[[], Any] | None = None) -> str:
    """The stage's own-time profile, with repository and site-packages prefixes trimmed."""
    prof = cProfile.Profile()
    prof.runcall(fn, *(() if setup is None else (setup(),)))
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    text = (
        buf.getvalue().replace(f"{REPO}/", "").replace(f"{Path(json.__file__).parent.parent}/", "")
    )
    text = re.sub(r"/\S*/site-packages/", "", text)
    lines = [ln.rstrip() for ln in text.splitlines()]
    start = next((i for i, ln in enumerate(lines) if ln.strip().startswith("ncalls")), 0)
    head = [ln.strip() for ln in lines[:start] if "function calls" in ln]
    return "\n".join([*head, *(ln for ln in lines[start:] if ln.strip())])


#: policy + every format of a 10,000-finding scan, in seconds (issue 17).
TARGET_S = 1.0


def run(count: int, repeat: int, profile_top: int = 0) -> dict[str, Any]:
    """Median seconds per stage: policy load and judge, the report model, each format, the
    compliance documents, the terminal summary, and the JSON read-back.

    A run writes every format of one scan from one report model (`report.model.build` keeps
    the last one), so the model is its own stage and each `render:` stage is the format's
    own work on that model; `render:all` times them together from a cold model, as
    `secscan scan --format ...` writes them, and is what the total counts. `compliance:`
    stages are `secscan compliance` documents, summed over every judged framework.

    With profile_top, every stage slower than PROFILE_OVER seconds is run once more under
    cProfile, after the timed runs.
    """
    gen_s, _, result = _timed(lambda: generate(count), 1)
    out: dict[str, Any] = {"findings": len(result.findings), "generate_s": gen_s}
    #: Wall seconds per stage, and CPU seconds (on a shared machine the steadier of the two).
    stages: dict[str, float] = {}
    cpu: dict[str, float] = {}
    out["stages"], out["cpu"] = stages, cpu

    def stage(name: str, fn: Callable[..., Any], setup: Callable[[], Any] | None = None) -> Any:
        stages[name], cpu[name], value = _timed(fn, repeat, setup)
        return value

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / ".secscan-waivers.yaml").write_text(WAIVERS)
        config = Config(base_dir=root)
        inputs = stage(
            "policy:load", lambda: judge.resolve(root, config, catalog=judge.default_catalog())
        )
        judged = stage("policy:judge", lambda: judge.judge(result, inputs, NOW))
    saved = SavedResults(*judged)

    def fresh() -> SavedResults:
        """The same results in a new object: nothing of its reports is built yet."""
        return SavedResults(saved.result, saved.decision)

    def modelled() -> SavedResults:
        """Fresh results with their report model built (each format's stage starts here)."""
        new = fresh()
        build(new, NOW)
        return new

    model = stage("report:model", lambda: build(fresh(), NOW))
    sizes: dict[str, int] = {}
    for name, fmt in FORMATS.items():
        files = stage(f"render:{name}", lambda s, fmt=fmt: fmt.outputs(s, NOW), modelled)
        sizes[name] = sum(len(t.encode()) for t in files.values())
    frameworks = [fw.id for fw in model.frameworks]

    def documents(s: SavedResults, formats: Iterable[Format]) -> None:
        for fmt in formats:
            for fw in frameworks:
                fmt.render(s, NOW, framework=fw)

    for name, fmt in COMPLIANCE_FORMATS.items():
        stage(f"compliance:{name}", lambda s, fmt=fmt: documents(s, [fmt]), modelled)
    stage("terminal:summary", lambda s: summary(s, list(FORMATS)), modelled)

    def every_format(s: SavedResults) -> None:
        for fmt in FORMATS.values():
            fmt.outputs(s, NOW)

    # What `secscan scan --format <every format>` and `secscan compliance` (every framework,
    # every format) render, each from results not modelled yet.
    stage("render:all", every_format, fresh)
    stage("compliance:all", lambda s: documents(s, COMPLIANCE_FORMATS.values()), fresh)
    text = dumps(*judged)
    stage("results:read-back", lambda: loads(text))
    out["bytes"] = sizes
    out["formats"] = list(FORMATS)
    out["frameworks"] = frameworks
    decision = judged[1]
    out["decision"] = {"outcome": str(decision.outcome), "controls": len(decision.controls)}
    total = ("policy:load", "policy:judge", "render:all", "terminal:summary")
    out["policy_and_formats_s"] = sum(stages[k] for k in total)
    out["policy_and_formats_cpu_s"] = sum(cpu[k] for k in total)
    out["target_s"] = TARGET_S
    if profile_top:
        calls: dict[str, tuple[Callable[..., Any], Callable[[], Any] | None]] = {
            "policy:judge": (lambda: judge.judge(result, inputs, NOW), None),
            "report:model": (lambda s: build(s, NOW), fresh),
            **{
                f"render:{n}": (lambda s, f=f: f.outputs(s, NOW), modelled)
                for n, f in FORMATS.items()
            },
        }
        out["profiles"] = {
            stage: _profile(fn, profile_top, setup)
            for stage, (fn, setup) in calls.items()
            if stages.get(stage, 0.0) > PROFILE_OVER
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--findings", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs per stage; the median is kept")
    ap.add_argument("--json", action="store_true", help="print the timings as JSON")
    ap.add_argument(
        "--profile-top", type=int, default=0, help="profile slow stages, keep this many rows"
    )
    ns = ap.parse_args(argv)
    out = run(ns.findings, ns.repeat, ns.profile_top)
    if ns.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"{out['findings']} findings (generated in {out['generate_s']:.2f} s)")
    print(f"  {'stage':<34} {'wall s':>8} {'CPU s':>8}")
    for stage, secs in out["stages"].items():
        size = out["bytes"].get(stage.removeprefix("render:"))
        extra = f"  {size / 1e6:.1f} MB" if stage.startswith("render:") and size else ""
        print(f"  {stage:<34} {secs:8.3f} {out['cpu'][stage]:8.3f}{extra}")
    total, target = out["policy_and_formats_s"], out["target_s"]
    verdict = "met" if total <= target else f"missed by {total - target:.3f} s"
    print(
        f"  {'policy + all formats':<34} {total:8.3f} {out['policy_and_formats_cpu_s']:8.3f}"
        f"  (policy, render:all, summary; target <= {target:g} s: {verdict})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
