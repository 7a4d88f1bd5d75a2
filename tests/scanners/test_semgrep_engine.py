"""semgrep's two command lines: the OCaml one by default, the Python one as the reported
fallback, the same findings from both; and only the rule files a run's languages need."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secscan.app.registry import installed
from secscan.errors import ScannerError
from secscan.model.findings import Finding, ScanResult
from secscan.model.results import dumps, loads
from secscan.scan import pipeline
from secscan.scanners.base import ScanContext
from secscan.scanners.semgrep import (
    EXTENSIONS,
    OFFLINE_ENV,
    SemgrepOptions,
    SemgrepScanner,
    cli_rule_id,
    reads,
    rule_files,
)
from secscan.settings import trust
from secscan.util import proc as _subprocess

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "vulnerable-shop"
FIX = REPO / "tests" / "fixtures" / "semgrep"
PACK = REPO / "policies" / "semgrep"
RULES = PACK / "python" / "command-injection.yaml"
#: What semgrep 1.185.0's Python CLI itself hides in the fixture (see test_semgrep_inline.py).
HIDDEN_BY_SEMGREP = {7, 8, 9, 10, 13, 16}
NOTE = "semgrep ran its Python CLI: the OCaml engine failed: "


def ctx(root: Path, *targets: str, timeout: float = 120, **semgrep: Any) -> ScanContext:
    config = (
        installed().scanners.make_config(semgrep=semgrep)
        if semgrep
        else installed().scanners.make_config()
    )
    return ScanContext(root=root, targets=targets, config=config, timeout=timeout)


# --- the fallback, with a stand-in semgrep --------------------------------------------------


def _doc(root: Path, scanned: list[str], results: int = 1, **extra: Any) -> str:
    result = {
        "check_id": "python-subprocess-shell-injection",
        "path": str(root / "app.py"),
        "start": {"line": 2, "col": 1},
        "end": {"line": 2, "col": 30},
        "extra": {"message": "shell", "severity": "WARNING", "metadata": {}},
    }
    paths = {"scanned": [str(root / s) for s in scanned]}
    return json.dumps({"results": [result] * results, "errors": [], "paths": paths, **extra})


#: OCaml runs that must never pass: each falls back under `auto`, fails under `ocaml`.
#: case -> (stdout, exit code, words the note or error has)
BROKEN: dict[str, tuple[Callable[[Path], str], int, str]] = {
    "exit-2": (lambda root: _doc(root, ["app.py", "other.py"]), 2, "exited with code 2"),
    "killed": (lambda root: "", 139, "exited with code 139"),
    "exit-7-invalid-rule": (
        lambda root: json.dumps(
            {"results": [], "errors": [{"level": "error", "message": "Rule parse error in\n r"}]}
        ),
        7,
        "exited with code 7: Rule parse error in r",
    ),
    "garbage": (lambda root: "Segmentation fault\n", 0, "not semgrep JSON"),
    "empty-document": (lambda root: "", 0, "not semgrep JSON"),
    "nothing-scanned": (
        lambda root: _doc(root, [], results=0),
        0,
        "accounts for none it surely reads; not analyzed: app.py, other.py",
    ),
    "no-paths": (lambda root: '{"results": [], "errors": []}', 0, "does not say which files"),
    "rule-error": (
        lambda root: json.dumps(
            {
                "results": [],
                "errors": [{"level": "error", "type": "Rule parse error", "message": "bad rule"}],
                "paths": {"scanned": [str(root / "app.py"), str(root / "other.py")]},
            }
        ),
        0,
        "semgrep reported an error: bad rule",
    ),
    "skipped-rules": (
        lambda root: _doc(root, ["app.py", "other.py"], skipped_rules=[{"rule_id": "x"}]),
        0,
        "skipped 1 rule(s)",
    ),
    "exit-1-no-results": (
        lambda root: _doc(root, ["app.py", "other.py"], results=0),
        1,
        "exited 1 but reported no result",
    ),
}


class Fake:
    """A stand-in semgrep behind SECSCAN_TOOL_SEMGREP: `--experimental` (the OCaml CLI)
    prints one output, the Python CLI another; every start is logged."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.dir = tmp_path
        self.root = tmp_path / "tree"
        self.root.mkdir()
        (self.root / "app.py").write_text("import subprocess\nsubprocess.call(cmd, shell=True)\n")
        (self.root / "other.py").write_text("print(1)\n")
        self.log = tmp_path / "calls.log"
        self.tool = tmp_path / "bin" / "semgrep"
        self.tool.parent.mkdir()
        monkeypatch.setenv("SECSCAN_TOOL_SEMGREP", str(self.tool))
        self.answer(ocaml=_doc(self.root, ["app.py", "other.py"]))

    def answer(
        self,
        *,
        ocaml: str,
        ocaml_exit: int = 0,
        python: str | None = None,
        python_exit: int = 0,
        ocaml_sleep: float = 0,
    ) -> None:
        (self.dir / "ocaml.out").write_text(ocaml)
        good = _doc(self.root, ["app.py", "other.py"])
        (self.dir / "python.out").write_text(good if python is None else python)
        self.tool.write_text(
            "#!/bin/sh\n"
            f'echo "$*" >> "{self.log}"\n'
            'case " $* " in\n'
            f'  *" --version "*) echo 1.185.0;;\n'
            f'  *" --experimental "*) sleep {ocaml_sleep}; cat "{self.dir}/ocaml.out"; '
            f"exit {ocaml_exit};;\n"
            f'  *) cat "{self.dir}/python.out"; exit {python_exit};;\n'
            "esac\n"
        )
        self.tool.chmod(0o755)

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Fake:
    return Fake(tmp_path, monkeypatch)


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_auto_falls_back_to_the_python_cli_and_says_why(fake: Fake, case: str) -> None:
    out, code, words = BROKEN[case]
    fake.answer(ocaml=out(fake.root), ocaml_exit=code)
    outcome = SemgrepScanner().scan(ctx(fake.root, "app.py", "other.py"))
    first, second = fake.calls()
    assert "--experimental" in first and "--experimental" not in second
    # The Python CLI's result, whole, and a note saying what happened.
    assert [f.location.path for f in outcome.findings] == ["app.py"]
    assert outcome.analyzed == {"app.py", "other.py"}
    (note,) = outcome.notes
    assert note.startswith(NOTE) and words in note


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_the_ocaml_engine_never_falls_back(fake: Fake, case: str) -> None:
    out, code, words = BROKEN[case]
    fake.answer(ocaml=out(fake.root), ocaml_exit=code)
    with pytest.raises(ScannerError, match="semgrep") as e:
        SemgrepScanner().scan(ctx(fake.root, "app.py", "other.py", engine="ocaml"))
    assert words in str(e.value)
    assert len(fake.calls()) == 1


def test_a_good_ocaml_run_is_taken_as_it_is(fake: Fake) -> None:
    outcome = SemgrepScanner().scan(ctx(fake.root, "app.py", "other.py"))
    (call,) = fake.calls()
    assert "--experimental" in call and "--max-target-bytes 0" in call
    assert outcome.notes == () and len(outcome.findings) == 1


def test_the_python_engine_never_starts_the_ocaml_cli(fake: Fake) -> None:
    fake.answer(ocaml="garbage")
    outcome = SemgrepScanner().scan(ctx(fake.root, "app.py", "other.py", engine="python"))
    (call,) = fake.calls()
    assert "--experimental" not in call
    assert outcome.notes == () and len(outcome.findings) == 1


def test_both_engines_failing_is_a_scanner_error_naming_both(fake: Fake) -> None:
    fake.answer(ocaml="garbage", python="{}", python_exit=2)
    with pytest.raises(ScannerError) as e:
        SemgrepScanner().scan(ctx(fake.root, "app.py", "other.py"))
    text = str(e.value)
    assert "exited with code 2" in text and "before it, the OCaml engine failed" in text
    assert "not semgrep JSON" in text


def test_registry_rules_go_to_the_python_cli_with_a_note(fake: Fake) -> None:
    outcome = SemgrepScanner().scan(ctx(fake.root, "app.py", "other.py", rules=["p/python"]))
    (call,) = fake.calls()
    assert "--experimental" not in call and "--config p/python" in call
    assert outcome.notes == (
        "semgrep ran its Python CLI: registry rule sets (p/python) are fetched by the Python CLI",
    )
    with pytest.raises(ScannerError, match="semgrep.engine is ocaml, but registry"):
        SemgrepScanner().scan(
            ctx(fake.root, "app.py", "other.py", rules=["p/python"], engine="ocaml")
        )


def test_the_fallback_gets_what_is_left_of_the_time_not_a_second_budget(fake: Fake) -> None:
    fake.answer(ocaml=_doc(fake.root, ["app.py", "other.py"]), ocaml_sleep=30)
    started = time.monotonic()
    with pytest.raises(ScannerError, match="no time was left for the Python CLI") as e:
        SemgrepScanner().scan(ctx(fake.root, "app.py", "other.py", timeout=1.5))
    assert time.monotonic() - started < 15
    assert "did not finish within 1.5 s" in str(e.value)
    assert len(fake.calls()) == 1


def test_the_fallback_note_reaches_the_run_the_results_file_and_the_hook(
    fake: Fake, monkeypatch: pytest.MonkeyPatch, run_cli: Callable[..., Any]
) -> None:
    fake.answer(ocaml="oops", ocaml_exit=2)
    (fake.root / ".secscan.yaml").write_text("version: 1\nscanners: [semgrep]\n")
    files = [str(fake.root / "app.py"), str(fake.root / "other.py")]
    result = pipeline.scan(
        fake.root, installed().load_config(fake.root, None), files=files, use_cache=False
    )
    (run,) = result.runs
    assert run.status.value == "ok" and run.notes[0].startswith(NOTE)
    saved = loads(dumps(result))
    assert saved.result.runs[0].notes == run.notes
    monkeypatch.chdir(fake.root)
    ran = run_cli("hook", "app.py")
    assert f"  ! semgrep: {NOTE}semgrep exited with code 2" in ran.out, ran.out
    # The scan summary says it too.
    from secscan.cli.views import terminal

    assert f"      note: {NOTE}" in terminal.summary(saved)


def test_a_fractional_rule_timeout_is_passed_in_whole_seconds(tmp_path: Path) -> None:
    argv = SemgrepScanner().argv(ctx(tmp_path, "a.py", rule_timeout=0.5))
    assert argv[argv.index("--timeout") + 1] == "1"  # the Python CLI refuses "0.5"


# --- which rule files a run loads ---------------------------------------------------------


def _pack_dirs(scanner: SemgrepScanner, c: ScanContext) -> set[str]:
    return {Path(f.path).parent.name for f in scanner.plan(c).files}


def test_a_run_loads_only_the_rule_files_of_its_targets_languages(tmp_path: Path) -> None:
    s = SemgrepScanner()
    assert _pack_dirs(s, ctx(tmp_path, "a.py", "b/c.py")) == {"python"}
    assert _pack_dirs(s, ctx(tmp_path, "web/app.ts")) == {"javascript"}
    assert _pack_dirs(s, ctx(tmp_path, "main.go")) == {"go"}
    every = ctx(tmp_path, "a.py", "b.js", "c.go")
    assert [f.path for f in s.plan(every).files] == list(rule_files(str(PACK)))
    # What the run can read is still the whole configuration's (for "not analyzed").
    assert s.plan(ctx(tmp_path, "a.py")).languages == {"python", "javascript", "typescript", "go"}


def test_no_rule_for_any_target_starts_no_semgrep(fake: Fake) -> None:
    (fake.root / "main.rs").write_text("fn main() {}\n")
    outcome = SemgrepScanner().scan(ctx(fake.root, "main.rs"))
    assert fake.calls() == []
    assert [(n.path, n.reason) for n in outcome.not_analyzed] == [
        ("main.rs", "semgrep: no configured rule reads this file's language")
    ]


def test_a_pyw_file_is_not_analyzed_not_a_scanner_error(fake: Fake) -> None:
    """Measured: no rule language of semgrep 1.185 reads `.pyw` (it was counted as Python,
    so semgrep leaving it out made every scan of such a tree exit 3)."""
    (fake.root / "gui.pyw").write_text("print(1)\n")
    outcome = SemgrepScanner().scan(ctx(fake.root, "app.py", "other.py", "gui.pyw"))
    assert [n.path for n in outcome.not_analyzed] == ["gui.pyw"]


def test_rule_files_in_other_or_unknown_languages(tmp_path: Path) -> None:
    def rule_file(name: str, languages: str) -> str:
        path = tmp_path / name
        path.write_text(
            f"rules:\n  - id: {path.stem}\n    pattern: x\n    message: m\n"
            f"    languages: [{languages}]\n    severity: INFO\n"
        )
        return str(path)

    files = {
        "yaml": rule_file("yaml.yaml", "yaml"),
        "docker": rule_file("docker.yaml", "dockerfile"),
        "js": rule_file("js.yaml", "javascript"),
        "new": rule_file("new.yaml", "a-language-of-2030"),
        "regex": rule_file("regex.yaml", "regex"),
        "broken": str(tmp_path / "broken.yaml"),
    }
    Path(files["broken"]).write_text("rules: [\n")
    kept = SemgrepScanner().plan(ctx(tmp_path, "a.py", rules=list(files.values()))).configs
    # Unknown, any-language and unreadable files are kept (semgrep judges them); a
    # JavaScript, YAML or Dockerfile rule file is not loaded for a Python file...
    assert set(kept) == {files["new"], files["regex"], files["broken"]}
    # ... but a javascript rule reads TypeScript (measured below).
    ts = SemgrepScanner().plan(ctx(tmp_path, "a.ts", rules=[files["js"]])).configs
    assert ts == (files["js"],)


def test_a_rule_directory_lists_the_files_the_python_cli_loads(tmp_path: Path) -> None:
    rules = _rule_directory(tmp_path / "rules")
    names = {str(Path(p).relative_to(rules)) for p in rule_files(str(rules))}
    assert names == {"a.yaml", "sub/b.yml", ".hidden/c.yaml", ".h.yaml"}


def _rule_directory(where: Path) -> Path:
    """Rule files that semgrep's two CLIs load differently when handed the directory."""
    for name in (
        "a.yaml",
        "sub/b.yml",
        ".hidden/c.yaml",
        ".h.yaml",
        "d.test.yaml",
        "e.fixed.yaml",
        "f.YAML",
    ):
        path = where / name
        path.parent.mkdir(parents=True, exist_ok=True)
        rule_id = "r-" + "".join(ch for ch in name if ch.isalnum())
        path.write_text(
            f"rules:\n  - id: {rule_id}\n    pattern: eval(...)\n    message: m\n"
            "    languages: [python]\n    severity: ERROR\n"
        )
    return where


def test_the_python_cli_rule_id_is_rebuilt_as_it_prints_it(tmp_path: Path) -> None:
    assert cli_rule_id(str(RULES), "x", REPO) == "policies.semgrep.python.x"
    outside = cli_rule_id(str(RULES), "x", tmp_path)
    assert outside == re.sub(r"[^a-zA-Z0-9._-]", "", ".".join(RULES.parent.parts[1:])) + ".x"
    assert cli_rule_id("/a b/c+d/r.yaml", "x", tmp_path) == "ab.cd.x"


# --- trust: the engine is no gate setting ---------------------------------------------------


def test_choosing_an_engine_weakens_no_gate_and_never_reaches_a_trusted_gate() -> None:
    """Both engines report the same findings or fail (exit 3): the choice is speed, not what
    passes. A tree's `engine: ocaml` only turns a fallback into an error; under `ci
    --new-since` the gate keeps the base's choice anyway."""

    JUDGES = installed().scanners.section_judges()

    def side(**semgrep: Any) -> trust.Settings:
        cfg = installed().scanners.make_config(semgrep=semgrep)
        return trust.Settings(config=cfg, scanners=("semgrep",), source=".secscan.yaml")

    for engine in ("ocaml", "python", "auto"):
        head = side(engine=engine)
        assert trust.compare(side(), head, JUDGES) == ()
        gate = trust.strengthened(side(engine="python"), head, JUDGES)
        assert gate.section("semgrep", SemgrepOptions).engine == "python"


# --- the real semgrep, both engines -------------------------------------------------------


def _key(f: Finding) -> tuple[object, ...]:
    loc = f.location
    return (
        f.rule_id,
        loc.path,
        loc.start_line,
        loc.start_column,
        loc.end_line,
        loc.end_column,
        f.fingerprint,
        f.severity,
        f.message,
        f.suppression,
    )


def _scan(root: Path, engine: str, files: list[str] | None = None, **semgrep: Any) -> ScanResult:
    config = installed().load_config(root, None)
    section = SemgrepOptions.model_validate({**semgrep, "engine": engine})
    config = config.model_copy(update={"semgrep": section})
    return pipeline.scan(root, config, scanner_names=["semgrep"], files=files, use_cache=False)


@pytest.mark.integration
def test_both_engines_report_the_same_findings_on_the_example() -> None:
    ocaml, python = (_scan(EXAMPLE, e).runs[0] for e in ("ocaml", "python"))
    for run in (ocaml, python):
        assert run.status.value == "ok" and run.notes == (), run.error
    assert len(ocaml.findings) >= 15
    assert sorted(map(_key, ocaml.findings)) == sorted(map(_key, python.findings))
    assert ocaml.not_analyzed == python.not_analyzed and ocaml.targets == python.targets


@pytest.mark.integration
@pytest.mark.parametrize("rules_inside_root", [False, True])
def test_both_engines_mark_the_same_nosemgrep_comments(
    tmp_path: Path, rules_inside_root: bool
) -> None:
    """Line 10 names a dotted rule id (`semgrep.python.<id>`): the Python CLI's id has the
    rule file's directories before it, the OCaml CLI's has not; secscan rebuilds it."""
    (tmp_path / "suppressed.py").write_text((FIX / "src" / "suppressed.py").read_text())
    rules = RULES
    if rules_inside_root:
        rules = tmp_path / "policies" / "semgrep" / "python" / RULES.name
        rules.parent.mkdir(parents=True)
        rules.write_text(RULES.read_text())
    marks = {}
    for engine in ("ocaml", "python"):
        c = ctx(tmp_path, "suppressed.py", rules=[str(rules)], engine=engine)
        outcome = SemgrepScanner().scan(c)
        assert outcome.notes == ()
        marks[engine] = {f.location.start_line: f.suppression for f in outcome.findings}
    assert marks["ocaml"] == marks["python"]
    assert {n for n, s in marks["ocaml"].items() if s} == HIDDEN_BY_SEMGREP


@pytest.mark.integration
def test_both_engines_load_the_same_rules_of_a_rule_directory(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "app.py").write_text("eval(x)\n")
    rules = _rule_directory(tmp_path / "rules")
    ids = {}
    for engine in ("ocaml", "python"):
        outcome = SemgrepScanner().scan(ctx(root, "app.py", rules=[str(rules)], engine=engine))
        ids[engine] = sorted(f.rule_id for f in outcome.findings)
    # Not d.test.yaml (a test target), e.fixed.yaml or f.YAML, which the OCaml CLI loads.
    assert ids["ocaml"] == ids["python"] == ["r-ayaml", "r-hiddencyaml", "r-hyaml", "r-subbyml"]


@pytest.mark.integration
def test_the_language_table_is_what_semgrep_reads(tmp_path: Path) -> None:
    """One regex rule per language name over one file per extension secscan hands semgrep:
    `reads` says a rule of a language reads a file exactly when semgrep (both CLIs) does."""
    names = ["python", "py", "python2", "python3", "javascript", "js", "typescript", "ts"]
    names += ["go", "java", "ruby", "php", "rust", "c", "csharp", "kotlin", "scala", "bash"]
    names += ["sh", "yaml", "json", "dockerfile", "terraform", "html"]
    rules = tmp_path / "langs.yaml"
    rules.write_text(
        "rules:\n"
        + "".join(
            f"  - id: lang-{n}\n    pattern-regex: marker_here\n    message: m\n"
            f"    languages: [{n}]\n    severity: INFO\n"
            for n in names
        )
    )
    root = tmp_path / "tree"
    root.mkdir()
    targets = [f"t{ext}" for ext in EXTENSIONS]
    for t in targets:
        (root / t).write_text("marker_here\n")
    for experimental in (["--experimental"], []):
        argv = [SemgrepScanner().tool_path(), "scan", *experimental, "--json", "--quiet"]
        argv += ["--disable-version-check", "--metrics=off", "--config", str(rules), "--"]
        done = _subprocess.run(
            [*argv, *(str(root / t) for t in targets)],
            ok_codes=(0, 1, 2),
            timeout=300,
            cwd=root,
            env=OFFLINE_ENV,
        )
        seen = {
            (Path(r["path"]).name, r["check_id"].rsplit("lang-", 1)[-1])
            for r in json.loads(done.stdout)["results"]
        }
        # Files whose marker does not parse in their language (Java, C#) match nothing:
        # only the files semgrep parsed can say which languages read them.
        parsed = {t for t, _ in seen}
        claimed = {(t, n) for t in parsed for n in names if reads(frozenset({n}), t)}
        assert seen == claimed, (experimental, sorted(seen ^ claimed))


@pytest.mark.integration
def test_the_ocaml_engine_reads_a_file_over_one_megabyte(tmp_path: Path) -> None:
    comment = "# " + "z" * 1000 + "\n"
    body = "import subprocess\nsubprocess.call(cmd, shell=True)\n" + comment * 1100
    (tmp_path / "big.py").write_text(body)
    assert (tmp_path / "big.py").stat().st_size > 1_000_000
    outcome = SemgrepScanner().scan(ctx(tmp_path, "big.py", rules=[str(RULES)], engine="ocaml"))
    assert outcome.analyzed == {"big.py"}
    assert [f.location.start_line for f in outcome.findings] == [2]


@pytest.mark.integration
def test_a_rule_file_the_ocaml_engine_refuses_falls_back_with_a_note(tmp_path: Path) -> None:
    """The OCaml CLI does not read YAML aliases (a rule parse error); the Python CLI does.
    Also: a fractional rule_timeout, which the Python CLI took as an error before."""
    rules = tmp_path / "aliased.yaml"
    rules.write_text(
        "rules:\n"
        "  - id: first\n    pattern-either: &sinks\n      - pattern: eval(...)\n"
        "    message: m\n    languages: [python]\n    severity: ERROR\n"
        "  - id: second\n    pattern-either: *sinks\n"
        "    message: m\n    languages: [python]\n    severity: ERROR\n"
    )
    root = tmp_path / "tree"
    root.mkdir()
    (root / "app.py").write_text("eval(x)\n")
    c = ctx(root, "app.py", rules=[str(rules)], rule_timeout=0.5)
    outcome = SemgrepScanner().scan(c)
    assert sorted(f.rule_id for f in outcome.findings) == ["first", "second"]
    (note,) = outcome.notes
    assert note.startswith(NOTE) and "exited with code 2" in note
    with pytest.raises(ScannerError, match="exited with code 2"):
        SemgrepScanner().scan(ctx(root, "app.py", rules=[str(rules)], engine="ocaml"))


# --- partial results: only the files the OCaml engine dropped go to the Python CLI ----------


def test_auto_hands_only_the_files_the_ocaml_engine_dropped_to_the_python_cli(
    fake: Fake,
) -> None:
    # The OCaml engine reports app.py (and its finding) and is silent about other.py, as it
    # is about a `.d.ts` file: the Python CLI runs for other.py alone.
    fake.answer(ocaml=_doc(fake.root, ["app.py"]), python=_doc(fake.root, ["other.py"], results=0))
    outcome = SemgrepScanner().scan(ctx(fake.root, "app.py", "other.py"))
    first, second = fake.calls()
    assert "--experimental" in first and "--experimental" not in second
    assert second.endswith(str(fake.root / "other.py")) and "app.py" not in second
    assert [f.location.path for f in outcome.findings] == ["app.py"]
    assert outcome.analyzed == {"app.py", "other.py"} and outcome.not_analyzed == ()
    (note,) = outcome.notes
    assert "left 1 of 2 file(s) unanalyzed (first: other.py)" in note


def test_the_ocaml_engine_keeps_what_it_analyzed_and_names_what_it_did_not(
    fake: Fake,
) -> None:
    fake.answer(ocaml=_doc(fake.root, ["app.py"]))
    outcome = SemgrepScanner().scan(ctx(fake.root, "app.py", "other.py", engine="ocaml"))
    assert len(fake.calls()) == 1
    assert [f.location.path for f in outcome.findings] == ["app.py"]
    (gone,) = outcome.not_analyzed
    assert gone.path == "other.py" and "does not mention it" in gone.reason
