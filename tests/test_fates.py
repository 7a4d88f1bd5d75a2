"""Every file has one stated fate; Python is recognised by content; what a scanner could not
analyze in a pull request fails `ci`; coverage gaps are their own fate.

Through the real tools (bandit, semgrep, trivy) wherever the behaviour depends on them.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from secscan.model import fates
from secscan.model.findings import (
    Authority,
    Excluded,
    Fate,
    FindingKind,
    NotAnalyzed,
    RunStatus,
    ScannerRun,
    ScanResult,
)
from secscan.model.targets import names_python, notebook_code

FLAW = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"


def notebook(*cells: tuple[str, str]) -> str:
    """An nbformat 4 notebook of (cell_type, source) cells, sources as lists of lines."""
    return json.dumps(
        {
            "cells": [
                {
                    "cell_type": kind,
                    "metadata": {},
                    "source": src.splitlines(keepends=True),
                    **({"execution_count": None, "outputs": []} if kind == "code" else {}),
                }
                for kind, src in cells
            ],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        },
        indent=1,
    )


NOTEBOOK = notebook(
    ("markdown", "# Report\nrun things\n"),
    ("code", "%matplotlib inline\nimport subprocess\n!pip install requests\n"),
    ("code", "def run(cmd):\n    %time x = 1\n    return subprocess.call(cmd, shell=True)\n"),
    ("code", "%%bash\necho this is no python\n"),
    ("code", "files = !ls\nt = %timeit -o f()\nlen?\n"),
)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


def results(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "secscan-results.json").read_text())
    return data


# --- pure parts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "python"),
    [
        (b"#!/usr/bin/env python3\n", True),
        (b"#!/usr/bin/python\nprint(1)\n", True),
        (b"#!/usr/bin/env -S python3.12 -u\n", True),
        (b"#! /usr/local/bin/python2.7\n", True),
        (b"#!/bin/sh\nexec python3 x\n", False),
        (b"#!/usr/bin/env pythonista\n", False),
        (b"# python\n", False),
        (b"import os  #!python\n", False),
    ],
)
def test_a_shebang_names_python_only_on_the_first_line(head: bytes, python: bool) -> None:
    assert names_python(head) is python


def test_notebook_code_keeps_cell_lines_and_neutralises_ipython() -> None:
    code = notebook_code(NOTEBOOK)
    lines = code.source.split("\n")
    # Cell 2 line 3 is the shell call; the line magic inside the function stays indented.
    (second,) = [c for c in code.cells if c.number == 2]
    assert lines[second.first - 1 + 2] == "    return subprocess.call(cmd, shell=True)"
    assert lines[second.first - 1 + 1] == "    pass  # IPython: %time x = 1"
    assert code.locate(second.first + 2) == (2, 3)
    # A cell magic makes its cell comments; the markdown cell is not counted.
    assert [c.number for c in code.cells] == [1, 2, 3, 4]
    compile(code.source, "nb", "exec")


def test_notebook_cells_keep_their_lines_with_or_without_a_final_newline() -> None:
    text = json.dumps(
        {
            "cells": [
                {"cell_type": "code", "source": "x = 1\n!ls"},
                {"cell_type": "code", "source": ["%%bash\n", "echo hi\n"]},
                {"cell_type": "code", "source": []},
            ]
        }
    )
    code = notebook_code(text)
    assert code.source == "x = 1\npass  # IPython: !ls\n\n# %%bash\n# echo hi\n\n\n"
    assert [(c.number, c.first) for c in code.cells] == [(1, 1), (2, 4), (3, 7)]


def test_not_a_notebook_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not a Jupyter notebook"):
        notebook_code('{"cells": 3}')


def _run(name: str, kind: FindingKind, paths: tuple[str, ...], *na: NotAnalyzed) -> ScannerRun:
    return ScannerRun(name, kind, RunStatus.OK, paths=paths, not_analyzed=na)


def test_fate_order_not_analyzed_then_excluded_then_coverage() -> None:
    from datetime import UTC, datetime

    result = ScanResult(
        root="/nonexistent",
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        secscan_version="x",
        runs=(
            _run(
                "semgrep",
                FindingKind.CODE,
                ("a.py", "b.py", "run.sh"),
                NotAnalyzed("b.py", "semgrep: Syntax error"),
                NotAnalyzed("run.sh", "no rule", uncovered=True),
            ),
            _run("secrets", FindingKind.SECRET, ("a.py", "b.py", "run.sh", "v/x.py", "n.txt")),
            ScannerRun("iac", FindingKind.IAC, RunStatus.ERROR, error="boom", paths=("k.yaml",)),
        ),
        not_analyzed=(NotAnalyzed("big.py", "larger than max_file_size_mb (1 MB)"),),
        excluded=(
            Excluded("v/x.py", "vendored third-party code", Authority.DEFAULT),
            Excluded("build", "excluded by the config: 'build/'", Authority.CONFIG),
        ),
    )
    got = {
        f.path: f
        for f in fates.assign(result, ["a.py", "b.py", "run.sh", "v/x.py", "n.txt", "k.yaml"])
    }
    assert {p: f.fate for p, f in got.items()} == {
        "a.py": Fate.ANALYZED,
        "b.py": Fate.NOT_ANALYZED,
        "big.py": Fate.NOT_ANALYZED,
        "build": Fate.EXCLUDED,
        "k.yaml": Fate.NOT_ANALYZED,
        "n.txt": Fate.ANALYZED,
        "run.sh": Fate.OUTSIDE_COVERAGE,
        "v/x.py": Fate.EXCLUDED,
    }
    assert got["a.py"].scanners == ("semgrep", "secrets")
    # The secret scanner read the shell script, but no code scanner has a rule for it.
    assert got["run.sh"].scanners == ("secrets",) and got["run.sh"].file_type == ".sh"
    assert got["v/x.py"].authority is Authority.DEFAULT and got["v/x.py"].scanners == ("secrets",)
    assert got["build"].authority is Authority.CONFIG
    assert "iac failed: boom" in got["k.yaml"].reason
    assert "Syntax error" in got["b.py"].reason


def test_a_file_outside_coverage_gives_what_the_scanner_said() -> None:
    """The licence scanner cannot read requirements.txt without an environment named; the
    dependency scanner did read it. The fate gives the licence scanner's own reason (it used
    to say "no rule of license reads .txt files", which sent users looking for a rule)."""
    from datetime import UTC, datetime

    why = "license: no Python environment named (license.environments): the licences …"
    result = ScanResult(
        root="/nonexistent",
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        secscan_version="x",
        runs=(
            _run("pip-audit", FindingKind.DEPENDENCY, ("requirements.txt",)),
            _run(
                "license",
                FindingKind.LICENSE,
                ("requirements.txt", "run.sh"),
                NotAnalyzed("requirements.txt", why, uncovered=True),
                NotAnalyzed("run.sh", "", uncovered=True),
            ),
        ),
    )
    got = {f.path: f for f in fates.assign(result, ["requirements.txt", "run.sh"])}
    assert got["requirements.txt"].fate is Fate.OUTSIDE_COVERAGE
    assert got["requirements.txt"].reason == why
    assert got["requirements.txt"].scanners == ("pip-audit",)
    assert got["run.sh"].reason == "no rule of license reads .sh files"  # it said nothing


# --- the four fates partition the tree (real bandit and semgrep) ----------------------------


def _tree(root: Path) -> None:
    (root / "app").mkdir(parents=True)
    (root / "app" / "views.py").write_text(FLAW)
    (root / "app" / "broken.py").write_text("def f(:\n")
    (root / "app" / "tool").write_text("#!/usr/bin/env python3\n" + FLAW)
    (root / "app" / "legacy.py3").write_text(FLAW)
    (root / "app" / "win.pyw").write_text("print(1)\n")
    (root / "app" / "report.ipynb").write_text(NOTEBOOK)
    (root / "app" / "deploy.sh").write_text("#!/bin/sh\necho hi\n")
    (root / "app" / "notes.txt").write_text("plain\n")
    (root / "app" / "big.py").write_text("x = 1\n" + "#" * (1024 * 1024 + 10) + "\n")
    (root / "app" / "alias.py").symlink_to("views.py")
    (root / "app" / "outside.py").symlink_to("/etc/hostname")
    (root / "build").mkdir()
    (root / "build" / "gen.py").write_text(FLAW)
    (root / ".venv").mkdir()
    (root / ".venv" / "pyvenv.cfg").write_text("home = /usr\n")
    (root / ".venv" / "lib.py").write_text("x = 1\n")
    (root / "dist.min.js").write_text("var a=1;" * 10 + "\n")
    (root / ".secscan.yaml").write_text(
        "version: 1\nscanners: [bandit, semgrep]\nmax_file_size_mb: 1\nexclude: ['build/']\n"
    )


def _walk(root: Path) -> set[str]:
    out = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel = Path(dirpath).relative_to(root)
        for name in filenames + [d for d in dirnames if (Path(dirpath) / d).is_symlink()]:
            out.add((rel / name).as_posix())
    return out


@pytest.mark.integration
def test_the_four_fates_partition_the_tree(tmp_path: Path, run_cli) -> None:
    root = tmp_path / "proj"
    _tree(root)
    out = tmp_path / "out"
    res = run_cli("scan", str(root), "--output-dir", str(out), "--no-cache", "--format", "html")
    assert res.code in (0, 1), res.out
    entries = results(out)["result"]["fates"]
    dirs = [e["path"] for e in entries if e["directory"]]
    files = [e["path"] for e in entries if not e["directory"]]
    assert len(files) == len(set(files)), "a file has two fates"
    for f in _walk(root):
        under = [d for d in dirs if f.startswith(d + "/")]
        listed = f in files
        assert listed + len(under) == 1, f"{f}: listed={listed}, under={under}"
    fate = {e["path"]: e for e in entries}
    assert fate["app/views.py"]["fate"] == "analyzed"
    assert fate["app/views.py"]["scanners"] == ["bandit", "semgrep"]
    for script in ("app/tool", "app/legacy.py3", "app/win.pyw", "app/report.ipynb"):
        assert fate[script]["fate"] == "analyzed", fate[script]
        assert "bandit" in fate[script]["scanners"], fate[script]
    assert fate["app/tool"]["file_type"] == "#!python"
    assert fate["app/broken.py"]["fate"] == "not-analyzed"
    assert fate["app/big.py"]["fate"] == "not-analyzed"
    assert "max_file_size_mb" in fate["app/big.py"]["reason"]
    assert fate["app/outside.py"]["fate"] == "not-analyzed"
    assert fate["app/alias.py"]["fate"] == "excluded"
    assert fate["build"] | {"directory": True} == fate["build"]
    assert (fate["build"]["fate"], fate["build"]["authority"]) == ("excluded", "config")
    assert (fate[".venv"]["fate"], fate[".venv"]["authority"]) == ("excluded", "default")
    assert fate["app/deploy.sh"]["fate"] == "outside-coverage"
    assert fate["app/notes.txt"]["fate"] == "outside-coverage"
    assert fate["app/notes.txt"]["reason"] == "no selected scanner reads .txt files"
    html = (out / "secscan-report.html").read_text()
    assert "Every file&#39;s fate" in html or "Every file's fate" in html
    assert "<code>.sh</code>" in html


# --- Python by content, through the real tools ---------------------------------------------


@pytest.mark.integration
def test_python_by_shebang_suffix_and_notebook_is_scanned_by_both_tools(
    tmp_path: Path, run_cli
) -> None:
    root = tmp_path / "proj"
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "deploy").write_text("#!/usr/bin/env python3\n" + FLAW)
    (root / "old.py3").write_text(FLAW)
    (root / "analysis.ipynb").write_text(NOTEBOOK)
    (root / ".secscan.yaml").write_text("version: 1\nscanners: [bandit, semgrep]\n")
    out = tmp_path / "out"
    res = run_cli("scan", str(root), "--output-dir", str(out), "--no-cache")
    assert res.code in (0, 1), res.out
    runs = {r["scanner"]: r for r in results(out)["result"]["runs"]}
    for name in ("bandit", "semgrep"):
        run = runs[name]
        assert run["status"] == "ok", run["error"]
        paths = {f["location"]["path"] for f in run["findings"]}
        also = {
            s["scanner"]
            for r in runs.values()
            for f in r["findings"]
            for s in f.get("also_reported_by", [])
        }
        assert paths == {"bin/deploy", "old.py3", "analysis.ipynb"} or name in also, (name, paths)
    shell = [
        f
        for r in runs.values()
        for f in r["findings"]
        if f["location"]["path"] == "analysis.ipynb" and f["location"]["start_line"] == 3
    ]
    assert shell, "no finding on cell 2, line 3 of the notebook"
    assert {f["location"]["cell"] for f in shell} == {2}
    assert "subprocess.call(cmd, shell=True)" in shell[0]["location"]["snippet"]
    # Nothing is written into the tree: no views left beside the targets.
    assert sorted(p.name for p in root.rglob("*") if p.is_file()) == [
        ".secscan.yaml",
        "analysis.ipynb",
        "deploy",
        "old.py3",
    ]


# --- ci --new-since: what a scanner could not analyze in the change fails --------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "shop"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "dev@example.com")
    git(path, "config", "user.name", "Dev")
    (path / ".secscan.yaml").write_text("version: 1\nscanners: [bandit]\nmax_file_size_mb: 0.05\n")
    (path / "app").mkdir()
    (path / "app" / "__init__.py").write_text("")
    (path / "app" / "views.py").write_text("from app import helpers\n")
    (path / "app" / "helpers.py").write_text("def ok():\n    return 1\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "base")
    git(path, "checkout", "-q", "-b", "feature")
    return path


def _ci(run_cli, repo: Path, out: Path) -> Any:
    cwd = Path.cwd()
    os.chdir(repo)
    try:
        return run_cli("ci", str(repo), "--new-since", "main", "--output-dir", str(out))
    finally:
        os.chdir(cwd)


def _commit(repo: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "change")


@pytest.mark.integration
@pytest.mark.parametrize(
    ("files", "words"),
    [
        (
            {"app/helpers.py": FLAW + '\n"""' + "padding " * 8000 + '"""\n'},
            "larger than max_file_size_mb",
        ),
        (
            {"app/helpers.py": FLAW + "\ntype Command = list[str]\n"},
            "syntax error",
        ),
    ],
    ids=["padded-past-max-size", "python-3.12-syntax"],
)
def test_a_changed_file_a_scanner_could_not_analyze_fails_ci(
    repo: Path, tmp_path: Path, run_cli, files: dict[str, str], words: str
) -> None:
    _commit(repo, files)
    res = _ci(run_cli, repo, tmp_path / "out")
    assert res.code == 1, res.out
    reasons = results(tmp_path / "out")["decision"]["reasons"]
    mine = [r for r in reasons if r["rule"] == "changed-not-analyzed"]
    assert mine, reasons
    assert "app/helpers.py" in mine[0]["message"] and words in mine[0]["message"]


@pytest.mark.integration
@pytest.mark.parametrize(
    "files",
    [
        {"app/deploy": "#!/usr/bin/env python3\n" + FLAW},
        {"app/legacy.py3": FLAW},
        {"app/report.ipynb": NOTEBOOK},
    ],
    ids=["shebang", "py3", "notebook"],
)
def test_python_by_content_added_in_a_change_is_judged(
    repo: Path, tmp_path: Path, run_cli, files: dict[str, str]
) -> None:
    _commit(repo, files)
    res = _ci(run_cli, repo, tmp_path / "out")
    assert res.code == 1, res.out
    (path,) = files
    data = results(tmp_path / "out")
    hits = [f for f in data["result"]["runs"][0]["findings"] if f["rule_id"] == "B602"]
    assert [f["location"]["path"] for f in hits] == [path]
    assert data["result"]["fates"] and {f["path"] for f in data["result"]["fates"]} >= {path}


@pytest.mark.integration
def test_a_benign_change_passes_ci(repo: Path, tmp_path: Path, run_cli) -> None:
    _commit(
        repo,
        {
            "app/helpers.py": "def ok():\n    return 2\n",
            "bin/tool": "#!/usr/bin/env python3\nprint(1)\n",
        },
    )
    res = _ci(run_cli, repo, tmp_path / "out")
    assert res.code == 0, res.out
    fate = {f["path"]: f["fate"] for f in results(tmp_path / "out")["result"]["fates"]}
    assert fate == {"app/helpers.py": "analyzed", "bin/tool": "analyzed"}


# --- coverage is its own fate -----------------------------------------------------------


def _coverage_tree(root: Path) -> None:
    root.mkdir()
    (root / "app.py").write_text("print(1)\n")
    (root / "deploy.sh").write_text("#!/bin/sh\necho hi\n")
    (root / "Index.php").write_text("<?php echo 1;\n")
    (root / "Main.java").write_text("class Main {}\n")


@pytest.mark.integration
def test_release_does_not_fail_on_files_no_rule_reads(tmp_path: Path, run_cli) -> None:
    root = tmp_path / "proj"
    _coverage_tree(root)
    (root / ".secscan.yaml").write_text("version: 1\nscanners: [bandit, semgrep]\n")
    out = tmp_path / "out"
    res = run_cli("scan", str(root), "--profile", "release", "--output-dir", str(out), "--no-cache")
    data = results(out)
    rules = [r["rule"] for r in data["decision"]["reasons"]]
    assert "not-analyzed" not in rules and "outside-coverage" not in rules, res.out
    assert res.code == 0, res.out
    gaps = [w for w in data["decision"]["warnings"] if "outside coverage" in w]
    assert gaps and all(t in gaps[0] for t in (".sh 1", ".php 1", ".java 1")), gaps
    fate = {f["path"]: f["fate"] for f in data["result"]["fates"]}
    assert fate == {
        ".secscan.yaml": "outside-coverage",
        "Index.php": "outside-coverage",
        "Main.java": "outside-coverage",
        "app.py": "analyzed",
        "deploy.sh": "outside-coverage",
    }


@pytest.mark.integration
def test_a_profile_that_lists_a_type_fails_on_its_coverage_gap(tmp_path: Path, run_cli) -> None:
    root = tmp_path / "proj"
    _coverage_tree(root)
    (root / "pol" / "gates").mkdir(parents=True)
    (root / "pol" / "gates" / "strict.yaml").write_text(
        "version: 1\ndescription: d\ngate:\n  uncovered_types: ['.sh']\n"
    )
    (root / ".secscan.yaml").write_text("version: 1\nscanners: [bandit, semgrep]\npolicy: pol\n")
    out = tmp_path / "out"
    res = run_cli("scan", str(root), "--profile", "strict", "--output-dir", str(out), "--no-cache")
    assert res.code == 1, res.out
    (reason,) = [r for r in results(out)["decision"]["reasons"] if r["rule"] == "outside-coverage"]
    assert ".sh 1 ('deploy.sh')" in reason["message"] and ".php" not in reason["message"]


# --- partial results are results ---------------------------------------------------------


@pytest.mark.integration
def test_a_file_trivy_does_not_recognise_keeps_the_other_files_findings(
    tmp_path: Path, run_cli
) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "Dockerfile").write_text("FROM alpine:latest\nRUN apk add curl\n")
    (root / "Dockerfile.builder.yarn").write_text("FROM alpine:latest\nRUN apk add curl\n")
    (root / ".secscan.yaml").write_text("version: 1\nscanners: [iac]\n")
    out = tmp_path / "out"
    res = run_cli("scan", str(root), "--output-dir", str(out), "--no-cache")
    assert res.code == 1, res.out
    data = results(out)
    (run,) = data["result"]["runs"]
    assert run["status"] == "ok", run["error"]
    assert {f["location"]["path"] for f in run["findings"]} == {"Dockerfile"}
    fate = {f["path"]: f for f in data["result"]["fates"]}
    assert fate["Dockerfile"]["fate"] == "analyzed"
    assert fate["Dockerfile.builder.yarn"]["fate"] == "not-analyzed"
    assert "trivy config reported no result for it" in fate["Dockerfile.builder.yarn"]["reason"]


def test_a_results_file_from_before_fates_is_still_read() -> None:
    from dataclasses import replace
    from datetime import UTC, datetime

    from secscan.model import results
    from secscan.model.findings import Finding, Location, Severity

    finding = Finding(
        "bandit",
        "B602",
        "t",
        "m",
        Severity.HIGH,
        FindingKind.CODE,
        Location("nb.ipynb", 3, 3, cell=2),
        fingerprint="f" * 32,
    )
    result = ScanResult(
        root="/r",
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        secscan_version="x",
        runs=(
            ScannerRun(
                "bandit",
                FindingKind.CODE,
                RunStatus.OK,
                findings=(finding,),
                not_analyzed=(NotAnalyzed("run.sh", "no rule", uncovered=True),),
            ),
        ),
        excluded=(Excluded(".venv", "Python virtual environment", Authority.DEFAULT),),
    )
    result = replace(result, fates=fates.assign(result, ["nb.ipynb", "run.sh"]), changed=())
    text = results.dumps(result)
    assert results.loads(text).result == result
    data = json.loads(text)
    # What a file written before these fields looks like: none of them present.
    for key in ("fates", "changed"):
        del data["result"][key]
    del data["result"]["excluded"][0]["authority"]
    del data["result"]["runs"][0]["not_analyzed"][0]["uncovered"]
    del data["result"]["runs"][0]["findings"][0]["location"]["cell"]
    old = results.loads(json.dumps(data)).result
    assert old.fates is None and old.changed is None
    assert old.excluded[0].authority is None
    assert old.runs[0].not_analyzed[0].uncovered is False
    assert old.runs[0].findings[0].location.cell is None


def test_merged_results_keep_the_least_reassuring_fate() -> None:
    a = (
        fates.FileFate("x.py", Fate.ANALYZED, ("bandit",), file_type=".py"),
        fates.FileFate("y.py", Fate.ANALYZED, ("bandit",), file_type=".py"),
    )
    b = (
        fates.FileFate(
            "x.py", Fate.NOT_ANALYZED, ("secrets",), "semgrep: Timeout", file_type=".py"
        ),
    )
    got = fates.merged([a, b])
    assert got is not None
    assert [(f.path, f.fate, f.scanners) for f in got] == [
        ("x.py", Fate.NOT_ANALYZED, ("bandit", "secrets")),
        ("y.py", Fate.ANALYZED, ("bandit",)),
    ]
    assert fates.merged([a, None]) is None
