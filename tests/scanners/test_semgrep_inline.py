"""`# nosemgrep` is data, and semgrep must account for every file it was handed."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from secscan.errors import ScannerError
from secscan.scanners.base import ScanContext
from secscan.scanners.semgrep import (
    OFFLINE_ENV,
    SemgrepOptions,
    SemgrepScanner,
    nosem_directive,
    reads,
)
from secscan.settings.config import Config
from secscan.util import proc as _subprocess

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "semgrep"
REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "policies" / "semgrep" / "python" / "command-injection.yaml"
#: What semgrep 1.185.0 itself hides without --disable-nosem (see the README).
HIDDEN_BY_SEMGREP = {7, 8, 9, 10, 13, 16}
RULE = "policies.semgrep.python.python-subprocess-shell-injection"


def ctx(root: Path, *targets: str, rules: tuple[str, ...] = ("builtin",)) -> ScanContext:
    config = Config(base_dir=root)
    semgrep = config.section("semgrep", SemgrepOptions)
    config = config.model_copy(
        update={"semgrep": semgrep.model_copy(update={"rules": list(rules)})}
    )
    return ScanContext(root=root, targets=targets, config=config, timeout=120)


def test_captured_output_marks_exactly_what_semgrep_hides() -> None:
    outcome = SemgrepScanner().parse(
        (FIX / "disable-nosem.json").read_text(), ctx(FIX / "src", "suppressed.py")
    )
    assert len(outcome.findings) == 11  # every match is kept
    marked = {f.location.start_line for f in outcome.findings if f.suppression}
    assert marked == HIDDEN_BY_SEMGREP
    by_line = {f.location.start_line: f.suppression for f in outcome.findings}
    assert by_line[7] is not None and by_line[7].directive == "nosemgrep"
    assert by_line[16] is not None and by_line[16].line == 15  # the comment alone above it
    assert outcome.analyzed == frozenset({"suppressed.py"})


@pytest.mark.parametrize(
    ("line", "previous", "hidden"),
    [
        ("call()  # nosemgrep", None, True),
        ("call()  // nosem: python-subprocess-shell-injection", None, True),
        ("call()  # nosemgrep: a, python-subprocess-shell-injection", None, True),
        ("call()  # nosemgrep: shell-injection", None, False),
        ("call()  #nosemgrep", None, False),
        ("call()", "    # nosemgrep", True),
        ("call()", "x = 1  # nosemgrep", False),
    ],
)
def test_comment_rules(line: str, previous: str | None, hidden: bool) -> None:
    assert (nosem_directive(line, previous, RULE) is not None) is hidden


def test_rule_languages_come_from_the_rule_files(tmp_path: Path) -> None:
    langs = SemgrepScanner().plan(ctx(tmp_path, "a.py")).languages
    assert langs == frozenset({"python", "go", "javascript", "typescript"})
    assert reads(langs, "a/b.py") and reads(langs, "x.ts")
    assert not reads(langs, "main.rs")
    assert reads(None, "main.rs")  # a registry config: every language may be read
    assert SemgrepScanner().plan(ctx(tmp_path, "a.py", rules=("p/python",))).languages is None


def _fake(tmp_path: Path, doc: object, code: int) -> SemgrepScanner:
    tool = tmp_path / "semgrep"
    payload = json.dumps(doc).replace("'", "'\\''")
    tool.write_text(f"#!/bin/sh\necho '{payload}'\nexit {code}\n")
    tool.chmod(0o755)

    class Fake(SemgrepScanner):
        def tool_path(self) -> str:
            return str(tool)

    return Fake()


@pytest.mark.parametrize(
    ("doc", "code", "message"),
    [
        ({"results": []}, 0, "does not say which files it analyzed"),
        ({"results": [], "errors": [], "paths": {"scanned": []}}, 0, "not analyzed: app.py"),
        ({"results": [], "paths": {"scanned": ["{root}/app.py"]}}, 1, "exited 1"),
        ({"results": [], "paths": {"scanned": ["{root}/other.py"]}}, 0, "not analyzed: app.py"),
    ],
    ids=["empty-document", "nothing-scanned", "exit-1-no-results", "other-file"],
)
def test_a_tool_that_does_not_account_for_its_targets_is_an_error(
    tmp_path: Path, doc: dict[str, object], code: int, message: str
) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "app.py").write_text("print(1)\n")
    text = json.dumps(doc).replace("{root}", str(root))
    with pytest.raises(ScannerError, match=re.escape(message)):
        _fake(tmp_path, json.loads(text), code).scan(ctx(root, "app.py"))


def test_a_language_no_rule_reads_is_not_analyzed_not_an_error(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    doc = {"results": [], "errors": [], "paths": {"scanned": [str(root / "app.py")]}}
    outcome = _fake(tmp_path, doc, 0).scan(ctx(root, "app.py", "main.rs"))
    assert [(n.path, n.reason) for n in outcome.not_analyzed] == [
        ("main.rs", "semgrep: no configured rule reads this file's language")
    ]


@pytest.mark.integration
def test_real_semgrep_marks_what_it_would_hide(tmp_path: Path) -> None:
    """Run semgrep both ways: the marked findings are exactly those plain semgrep drops."""
    (tmp_path / "suppressed.py").write_text((FIX / "src" / "suppressed.py").read_text())
    (tmp_path / "main.rs").write_text("fn main() {}\n")
    scanner = SemgrepScanner()
    c = ctx(tmp_path, "suppressed.py", "main.rs", rules=(str(RULES),))
    outcome = scanner.scan(c)
    marked = {f.location.start_line for f in outcome.findings if f.suppression}
    assert marked == HIDDEN_BY_SEMGREP
    assert [n.path for n in outcome.not_analyzed] == ["main.rs"]
    plain = [a for a in scanner.argv(c) if a != "--disable-nosem" and not a.endswith("main.rs")]
    done = _subprocess.run(
        plain, ok_codes=(0, 1), timeout=120, cwd=tmp_path, env={**os.environ, **OFFLINE_ENV}
    )
    kept = {r["start"]["line"] for r in json.loads(done.stdout)["results"]}
    assert {f.location.start_line for f in outcome.findings} - kept == marked


@pytest.mark.integration
def test_real_semgrep_reads_a_named_file_the_trees_semgrepignore_lists(tmp_path: Path) -> None:
    """A `.semgrepignore` in the scanned tree does not hide a file secscan names (semgrep
    1.185 scans explicit targets); were it ever to, the accounting above makes it exit 3."""
    (tmp_path / "app.py").write_text("import subprocess\nsubprocess.call(x, shell=True)\n")
    (tmp_path / "ok.py").write_text("print(1)\n")
    (tmp_path / ".semgrepignore").write_text("app.py\n")
    outcome = SemgrepScanner().scan(ctx(tmp_path, "app.py", "ok.py", rules=(str(RULES),)))
    assert [f.location.path for f in outcome.findings] == ["app.py"]
    assert outcome.analyzed == frozenset({"app.py", "ok.py"})


def test_the_directive_kept_is_only_what_semgrep_reads() -> None:
    """The rest of the scanned line (a value, a credential) never reaches the results."""
    line = 'call()  # nosemgrep: python-subprocess-shell-injection token="s3cr3t-value"'
    assert nosem_directive(line, None, RULE) == "nosemgrep: python-subprocess-shell-injection"
    assert nosem_directive('call()  # nosemgrep "s3cr3t"', None, RULE) == "nosemgrep"
