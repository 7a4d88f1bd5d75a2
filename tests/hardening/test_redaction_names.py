"""Names are text too (issue 22 item 9): a credential in a file name, a branch name or a
repository name is masked wherever the name is written, the same way everywhere, and two
names never mask alike.

Tokens are random and built at test time from pieces, so no credential-shaped literal is
ever committed.
"""

from __future__ import annotations

import contextlib
import io
import json
import secrets
import string
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from credentials import pieces

from secscan.model import fingerprint, results
from secscan.model.findings import (
    Excluded,
    Finding,
    FindingKind,
    Location,
    NotAnalyzed,
    RunStatus,
    ScannerRun,
    ScanResult,
    Severity,
)
from secscan.model.redact import MASK_RE, Redactor, mask_name, masked_names, names_of
from secscan.policy.baseline import Baseline
from secscan.report.formats import FORMATS, Kind

ALNUM = string.ascii_letters + string.digits


def _r(n: int) -> str:
    return "".join(secrets.choice(ALNUM) for _ in range(n))


def _gitlab() -> str:
    return "gl" + "pat-" + _r(20)


def _stripe() -> str:
    return "sk_" + "live_" + _r(24)


def _leaks(secret: str, text: str) -> list[str]:
    low = text.lower()
    return sorted(p for p in pieces(secret) if p.lower() in low)


def _finding(path: str, line: int = 3, rule: str = "B602") -> Finding:
    return Finding(
        "bandit",
        rule,
        "subprocess call with shell=True",
        "subprocess call with shell=True identified, security issue.",
        Severity.HIGH,
        FindingKind.CODE,
        Location(path, line, line, snippet="subprocess.call(cmd, shell=True)"),
        cwe=(78,),
    )


@pytest.mark.parametrize(
    "name",
    [
        "app/{t}.py",  # a token as the whole file name
        "app/test_{t}.py",  # behind an underscore, where `\\b` sees no boundary
        "{t}/settings.py",  # a folder
        "feature/{t}",  # a branch
        "https://git.example/org/{t}.git",  # a repository URL
    ],
)
@pytest.mark.parametrize("make", [_gitlab, _stripe])
def test_a_token_in_a_name_is_masked_and_the_rest_kept(name: str, make: object) -> None:
    token = make()  # type: ignore[operator]
    real = name.format(t=token)
    masked = mask_name(real)
    assert not _leaks(token, masked), masked
    assert MASK_RE.search(masked)
    before, _, after = name.partition("{t}")
    assert masked.startswith(before) and masked.endswith(after)  # folder and suffix kept
    assert mask_name(real) == masked  # a pure function of the name
    assert mask_name(masked) == masked  # a masked name is never masked again


def test_ordinary_names_are_not_masked() -> None:
    """Only token formats: a name is an identifier, not file content (entropy and keyword
    rules would take content hashes, `api-key-rotation` or migration names)."""
    for name in (
        "features/api-key-rotation",
        "app/migrations/0001_auto_20240101_1200.py",
        "static/main.8f3a2b1c9d0e4f5a6b7c.js",
        "charts/app/templates/secret-token.yaml",
        "src/aBcDeFgHiJkLmNoPqRsTuV123.py",
        "release/v2.3.4-rc.1",
    ):
        assert mask_name(name) == name


def test_names_that_would_mask_alike_are_numbered_in_real_order() -> None:
    a, b = "gl" + "pat-" + "A" + _r(19), "gl" + "pat-" + "B" + _r(19)
    paths = [f"app/{b}.py", f"app/{a}.py", "app/views.py"]
    table = masked_names(paths)
    assert table["app/views.py"] == "app/views.py"
    assert len(set(table.values())) == 3  # no collision
    assert table[f"app/{a}.py"].endswith("chars].py")  # first in real order: unnumbered
    assert table[f"app/{b}.py"].endswith("chars #2].py")
    assert masked_names(reversed(paths)) == table  # order of meeting does not matter
    # a file already named like the mask cannot take the masked name of another
    dressed = mask_name(f"app/{a}.py")
    table = masked_names([f"app/{a}.py", dressed])
    assert table[dressed] == dressed and table[f"app/{a}.py"] != dressed


def test_a_value_learnt_from_a_file_is_masked_in_other_names(tmp_path: Path) -> None:
    """A password is no token format: known from `.env`, it is masked in a file name."""
    pw = _r(10) + "-" + _r(6)
    (tmp_path / ".env").write_text(f"DB_PASSWORD={pw}\n")
    r = Redactor(tmp_path)
    r.learn_file(".env")
    masked = r.name(f"notes/{pw}.md")
    assert not _leaks(pw, masked) and masked.endswith(".md")


def test_the_result_masks_every_name_and_keeps_fingerprints(tmp_path: Path) -> None:
    token, branch_token = _gitlab(), _stripe()
    path = f"app/{token}.py"
    (tmp_path / "app").mkdir()
    (tmp_path / path).write_text("import subprocess\n\n\nsubprocess.call(cmd, shell=True)\n")
    r = Redactor(tmp_path)
    found = fingerprint.assign([_finding(path, 4)], tmp_path, r)
    result = ScanResult(
        root=str(tmp_path / token),
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        secscan_version="t",
        runs=(
            ScannerRun(
                "bandit",
                FindingKind.CODE,
                RunStatus.OK,
                findings=found,
                not_analyzed=(NotAnalyzed(path, "syntax error"),),
                paths=(path, "app/views.py"),
            ),
        ),
        metadata=(("branch", f"feature/{branch_token}"), ("toplevel", str(tmp_path))),
        not_analyzed=(NotAnalyzed(path, "too large"),),
        excluded=(Excluded(f"{token}/vendor", "vendored"),),
    )
    out = r.result(result)
    text = results.dumps(out)
    assert not _leaks(token, text) and not _leaks(branch_token, text), text
    (f,) = out.findings
    assert f.fingerprint == found[0].fingerprint  # the final pass never re-keys a finding
    masked = f.location.path
    assert masked == mask_name(path)
    assert out.runs[0].paths[0] == masked and out.not_analyzed[0].path == masked
    assert out.runs[0].not_analyzed[0].path == masked
    # the fingerprint is keyed by the masked path: derived from no credential
    assert fingerprint.base_key(f) == fingerprint.base_key(found[0])
    assert masked in fingerprint.base_key(found[0])


def test_every_reader_masks_names_of_an_older_results_file(tmp_path: Path) -> None:
    """A results file written before names were masked: loading, every report format and a
    baseline made from it show no piece of the token."""
    token = _gitlab()
    path = f"app/{token}.py"
    result = ScanResult(
        root="/src",
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        secscan_version="t",
        runs=(
            ScannerRun(
                "bandit",
                FindingKind.CODE,
                RunStatus.OK,
                findings=fingerprint.assign([_finding(path)], tmp_path),
                paths=(path,),
            ),
        ),
        metadata=(("branch", f"feature/{token}"),),
    )
    raw = json.dumps(results.to_dict(result))  # as an older secscan wrote it
    assert token in raw
    saved = results.loads(raw)
    assert not _leaks(token, results.dumps(saved.result))
    now = datetime(2026, 1, 2, tzinfo=UTC)
    # the report model masks what it is handed in memory, too
    unmasked = results.SavedResults(result, None)
    for name, fmt in FORMATS.items():
        if fmt.kind is Kind.SCAN:
            for text in fmt.outputs(unmasked, now).values():
                assert not _leaks(token, text), name
    baseline = Baseline.from_findings(result.findings)
    assert all(not _leaks(token, e.path) for e in baseline.entries)
    assert names_of(saved.result) is saved.result  # masking twice changes nothing


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True
    ).stdout


@pytest.mark.integration
def test_ci_new_since_writes_no_piece_of_a_name_token_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real `ci --new-since main` on a branch `feature/sk_live_…` adding
    `app/glpat-….py` (holding a GitHub token: the gate fails) and a file named after a
    password from `.env`: the token fails the gate, under a masked path; no 8-character piece
    of any of the three values in any report format, the SARIF provenance, the step summary,
    the cache, the baseline, the history database, `history list/export` or the terminal.
    """
    from secscan.cli import main

    token, branch_token, pw = _gitlab(), _stripe(), _r(10) + "-" + _r(6)
    repo, out, cache = tmp_path / "repo", tmp_path / "out", tmp_path / "cache"
    summary, history = tmp_path / "summary.md", f"sqlite:///{tmp_path / 'history.db'}"
    (repo / "app").mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    (repo / "app" / "__init__.py").write_text("")
    (repo / "app" / "views.py").write_text("def index():\n    return 'ok'\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    _git(repo, "checkout", "-qb", f"feature/{branch_token}")
    content_token = "gh" + "p_" + _r(36)
    (repo / "app" / f"{token}.py").write_text(
        "import subprocess\n\n"
        f'API_TOKEN = "{content_token}"\n\n\n'
        "def run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
    )
    # the redactor learns the files scanners report in: the token makes `.env` one of them
    env_token = "gh" + "p_" + _r(36)
    (repo / ".env").write_text(f"DB_PASSWORD={pw}\nGITHUB_TOKEN={env_token}\n")
    (repo / "notes").mkdir()
    (repo / "notes" / f"{pw}.md").write_text("# Notes\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "feature")

    printed: dict[str, str] = {}

    def run(name: str, *argv: str) -> int:
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(list(argv))
        printed[name] = stdout.getvalue() + stderr.getvalue()
        return code

    monkeypatch.setenv("SECSCAN_CACHE_DIR", str(cache))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("SEMGREP_ENABLE_VERSION_CHECK", "0")
    monkeypatch.chdir(repo)
    fmts = [a for f in FORMATS for a in ("--format", f)]
    code = run(
        "ci", "ci", str(repo), "--new-since", "main", "--output-dir", str(out),
        "--history", history,
    )  # fmt: skip
    code_warm = run(
        "ci warm", "ci", str(repo), "--new-since", "main", "--output-dir", str(out / "warm"),
    )  # fmt: skip
    saved_path = out / "secscan-results.json"
    run("report", "report", "--from", str(saved_path), "--output-dir", str(out / "r"), *fmts)
    run("baseline", "baseline", "create", "--from", str(saved_path), "--output",
        str(out / "baseline.json"))  # fmt: skip
    run("history list", "history", "list", "--history", history, "--json")
    run("history export", "history", "export", "--history", history, "--format", "json")

    assert code == 1 and code_warm == 1, printed["ci"]
    saved = results.loads(saved_path.read_text())
    flaws = [
        f
        for f in saved.result.findings
        if f.kind is FindingKind.SECRET and f.location.path.startswith("app/")
    ]
    assert flaws, printed["ci"]
    masked_path = flaws[0].location.path
    assert masked_path.startswith("app/[redacted gitlab-token glpa...") and masked_path.endswith(
        "chars].py"
    )
    sarif = json.loads(next(out.glob("*.sarif")).read_text())
    (provenance,) = sarif["runs"][0]["versionControlProvenance"]
    assert provenance["branch"].startswith("feature/[redacted stripe-key sk_l...")
    assert any(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("app/%5B")
        for r in sarif["runs"][0]["results"]
    )
    warm = results.loads((out / "warm" / "secscan-results.json").read_text())
    assert {f.fingerprint for f in warm.result.findings} == {
        f.fingerprint for f in saved.result.findings
    }
    assert printed["history list"].strip() and summary.read_text().strip()
    written = {
        str(p): p.read_bytes().decode("utf-8", "replace")
        for d in (out, cache, tmp_path)
        for p in (sorted(d.rglob("*")) if d != tmp_path else [summary, tmp_path / "history.db"])
        if p.is_file()
    }
    for where, text in {**written, **printed}.items():
        for secret in (token, branch_token, pw, content_token, env_token):
            assert not _leaks(secret, text), (where, secret)
