"""A matrix of planted credentials: found by the real scanners, and written nowhere by secscan.

Every format of tests/hardening/credentials.py is pasted into every context (a Python call
with other literals before it, f-strings, multi-line strings, YAML, JSON, .env, Terraform,
a Dockerfile, a Kubernetes pod, a requirements file, Markdown, a line bandit flags for
another reason) in one tree, scanned once by bandit, semgrep, iac, secrets and pip-audit
(with a local advisory database). Then every report format, both compliance documents, a
baseline, an explanation, the result cache, the terminal with -v and the log are searched
for every 8-character piece of every credential, in any letter case. Values are random
and built at test time from pieces, so no credential-shaped literal is ever committed.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import random
import shutil
from pathlib import Path

import pytest
from credentials import CONTEXTS, Credential, formats, pieces

from secscan.model import results
from secscan.report.formats import COMPLIANCE_FORMATS, FORMATS

OSV = Path(__file__).resolve().parents[1] / "data" / "osv"
SCANNERS = ("bandit", "semgrep", "iac", "secrets", "pip-audit")


def build(root: Path, creds: list[Credential]) -> dict[str, Credential]:
    """One folder per credential format, one file per context; path -> credential."""
    placed: dict[str, Credential] = {}
    for c in creds:
        for name, (filename, render) in CONTEXTS.items():
            rel = f"{c.kind}/{name}/{filename}"
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(render(c), encoding="utf-8")
            placed[rel] = c
    shutil.copytree(OSV, root.parent / "osv")
    (root / ".secscan.yaml").write_text(
        f"version: 1\nadvisories: {{db: '{root.parent / 'osv'}'}}\n"
    )
    return placed


class _Records(logging.Handler):
    """Every log line secscan emits while the fixture runs, at any level."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.name}: {record.getMessage()}")


@pytest.fixture(scope="module")
def leaked_into(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], dict, list]:  # type: ignore[type-arg]
    """Everything secscan wrote or printed about the tree, by name; the credentials; the run."""
    from secscan.cli import main

    base = tmp_path_factory.mktemp("leak")
    root, out, cache = base / "repo", base / "out", base / "cache"
    # a new matrix each run; the seed is named when a leak is found, to replay it with
    # SECSCAN_LEAK_SEED=<seed> (it is no Hypothesis seed: --hypothesis-seed does not set it)
    seed = int(os.environ.get("SECSCAN_LEAK_SEED") or random.SystemRandom().randrange(2**32))
    creds = formats(random.Random(seed))
    root.mkdir()
    placed = build(root, creds)
    printed: dict[str, bytes] = {}
    log = _Records()
    logging.getLogger().addHandler(log)

    def run(name: str, *argv: str) -> int:
        stdout, stderr = io.StringIO(), io.StringIO()
        with (
            pytest.MonkeyPatch.context() as mp,
            contextlib.redirect_stdout(stdout),
            contextlib.redirect_stderr(stderr),
        ):
            mp.setenv("SECSCAN_CACHE_DIR", str(cache))
            code = main(list(argv))
        printed[f"terminal: {name}"] = (stdout.getvalue() + stderr.getvalue()).encode()
        return code

    format_args = [arg for f in FORMATS for arg in ("--format", f)]
    scanners = [arg for s in SCANNERS for arg in ("--scanner", s)]
    code = run(
        "scan -v", "scan", str(root), "--output-dir", str(out), "-v", *format_args, *scanners
    )
    saved_path = out / "secscan-results.json"
    saved = results.loads(saved_path.read_text(encoding="utf-8"))
    for framework in ("iso27001-2022", "gdpr"):
        for fmt in COMPLIANCE_FORMATS:
            run(
                f"compliance {framework} {fmt}",
                "compliance",
                "--from",
                str(saved_path),
                "--framework",
                framework,
                "--format",
                fmt,
                "--output-dir",
                str(out),
            )
    run(
        "report",
        "report",
        "--from",
        str(saved_path),
        "--output-dir",
        str(out / "again"),
        *format_args,
    )
    run("gate", "gate", "--from", str(saved_path), "--output", str(out / "gated.json"))
    run(
        "baseline",
        "baseline",
        "create",
        "--from",
        str(saved_path),
        "--output",
        str(out / "baseline.json"),
    )
    explained: set[str] = set()
    for f in saved.result.findings:
        if f.rule_id not in explained:  # one per rule keeps this affordable
            explained.add(f.rule_id)
            run(f"explain {f.rule_id}", "explain", f.fingerprint, "--results", str(saved_path))
    logging.getLogger().removeHandler(log)
    printed["log"] = "\n".join(log.lines).encode()
    files = {
        f"file: {p.relative_to(base)}": p.read_bytes()
        for d in (out, cache)
        for p in sorted(d.rglob("*"))
        if p.is_file()
    }
    printed["seed"] = str(seed).encode()
    return {**printed, **files}, creds, [code, saved, placed]


@pytest.mark.integration
def test_the_matrix_is_big_and_every_scanner_saw_it(leaked_into) -> None:  # type: ignore[no-untyped-def]
    _, creds, (code, saved, placed) = leaked_into
    assert len(creds) >= 15 and len(CONTEXTS) >= 10
    statuses = {r.scanner: (r.status.value, r.error) for r in saved.result.runs}
    # pip-audit fails closed on manifests it cannot read: its error text quotes their lines
    expected = {**dict.fromkeys(SCANNERS, "ok"), "pip-audit": "error"}
    assert {k: v[0] for k, v in statuses.items()} == expected, str(statuses)
    assert "invalid requirement" in str(statuses["pip-audit"][1])
    assert code == 3
    by_scanner: dict[str, set[str]] = {}
    for f in saved.result.findings:
        by_scanner.setdefault(f.scanner, set()).add(f.location.path)
    # the secret scanner found a credential of nearly every format, Markdown files included
    secret_kinds = {placed[p].kind for p in by_scanner["secrets"] if p in placed}
    assert len(secret_kinds) >= 12, sorted(secret_kinds)
    assert any(p.endswith("README.md") for p in by_scanner["secrets"])
    # the other scanners flagged the same files for other reasons, and quoted their lines
    assert any(p.endswith("deploy.py") for p in by_scanner["bandit"])
    assert any(p.endswith("main.tf") for p in by_scanner["iac"])
    assert "semgrep" in by_scanner
    # and trivy's parse errors quote Dockerfile lines holding credentials (searched too)
    reasons = [n.reason for r in saved.result.runs for n in r.not_analyzed]
    assert any("Dockerfile" in n.path for r in saved.result.runs for n in r.not_analyzed), reasons


@pytest.mark.integration
def test_every_output_was_searched(leaked_into) -> None:  # type: ignore[no-untyped-def]
    outputs, _, (_, saved, _) = leaked_into
    names = "\n".join(outputs)
    for f in FORMATS.values():
        if not f.outputs(saved, saved.result.started_at):
            continue  # OpenVEX with no statement to make: no file
        name = f.pattern.split("*", 1)[0]  # a per-scanner format: its files' common prefix
        assert f"out/{name}" in names and f"out/again/{name}" in names
    assert names.count("file: out/compliance-") == 2 * len(COMPLIANCE_FORMATS)
    assert "file: out/baseline.json" in names and "file: out/gated.json" in names
    assert any(n.startswith("file: cache/") for n in outputs), "the result cache was not written"
    assert sum(n.startswith("terminal: explain") for n in outputs) >= 1
    assert "log" in outputs  # log lines are searched too (there may be none)
    assert all(v for k, v in outputs.items() if k != "log")


@pytest.mark.integration
def test_no_value_nor_any_8_character_piece_of_it_is_written_or_printed(leaked_into) -> None:  # type: ignore[no-untyped-def]
    outputs, creds, _ = leaked_into
    lowered = {name: data.lower() for name, data in outputs.items() if name != "seed"}
    leaks = []
    for c in creds:
        for piece in pieces(c.secret):
            needle = piece.lower().encode()
            leaks += [(c.kind, piece, name) for name, data in lowered.items() if needle in data]
    where = sorted({f"{kind} -> {name}" for kind, _, name in leaks})
    seed = outputs["seed"].decode()
    assert not leaks, f"{len(leaks)} leaked piece(s) (seed {seed}):\n" + "\n".join(where)
