"""secscan's AST proof that a shell command is constant (secscan/scan/shellproof.py).

Each proven case is a dead-branch or overwritten-value pattern of issue 31; each adversarial
case is the same code with one thing a hostile pull request could add that makes the value
live again (or could, as far as the pass can tell): the proof must not hold for any of them.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from secscan.model.findings import (
    Confidence,
    Finding,
    FindingKind,
    Location,
    RunStatus,
    ScannerRun,
    Severity,
)
from secscan.scan import flaws, shellproof
from secscan.scanners import installed

HEAD = """\
import configparser
import os
import subprocess
from flask import request


def view():
    param = request.args.get("q", "")
"""


def proven(body: str, head: str = HEAD) -> list[int]:
    """Lines of the shell calls proven constant in a view with this body."""
    source = head + textwrap.indent(textwrap.dedent(body), "    ")
    return [c.lineno for c in shellproof.proven_calls(ast.parse(source))]


# --- what it proves ---------------------------------------------------------------------------

PROVEN = {
    "overwritten": """
        bar = param
        bar = "safe"
        os.system("echo " + bar)
        """,
    "folded if/else": """
        num = 86
        if (7 * 42) - num > 200:
            bar = "x"
        else:
            bar = param
        os.system("echo " + bar)
        """,
    "folded conditional expression": """
        num = 106
        bar = "safe" if (7 * 18) + num > 200 else param
        subprocess.run("echo " + bar, shell=True)
        """,
    "dict key never the tainted one": """
        values = {"keyA": "a_Value", "keyB": param}
        bar = values["keyA"]
        os.system(f"echo {bar}")
        """,
    "dict get": """
        values = {"keyA": "a_Value", "keyB": param}
        values["keyC"] = param
        bar = values.get("keyA")
        os.popen("echo " + bar)
        """,
    "configparser option": """
        conf = configparser.ConfigParser()
        conf.add_section("s")
        conf.set("s", "keyA", "a_Value")
        conf.set("s", "keyB", param)
        bar = conf.get("s", "KEYA")
        return str(os.system("echo " + bar))
        """,
    "list head": """
        parts = []
        parts.append("safe")
        parts.append(param)
        bar = parts[0]
        os.system("echo " + bar)
        """,
    "list, tainted element removed": """
        parts = ["safe", param, "moresafe"]
        parts.pop(1)
        bar = parts[1]
        os.system("echo " + bar)
        """,
    "switch-like chain": """
        guess = "ABC"[1]
        if guess == "A":
            bar = param
        elif guess == "B":
            bar = "bob"
        else:
            bar = param
        os.system("echo " + bar)
        """,
    "same constant on both live branches": """
        if param:
            bar = "a"
        else:
            bar = "a"
        os.system("echo " + bar)
        """,
}


@pytest.mark.parametrize("name", sorted(PROVEN))
def test_dead_branches_and_overwritten_values_are_proven_constant(name: str) -> None:
    assert len(proven(PROVEN[name])) == 1, name


# --- what it must not prove -------------------------------------------------------------------

NOT_PROVEN = {
    "live value": """
        bar = param
        os.system("echo " + bar)
        """,
    "live branch holds the request value": """
        num = 86
        if (7 * 42) - num > 200:
            bar = param
        else:
            bar = "x"
        os.system("echo " + bar)
        """,
    "unknown condition, branches differ": """
        if param:
            bar = "a"
        else:
            bar = param
        os.system("echo " + bar)
        """,
    "tainted dict key": """
        values = {"keyA": "a_Value", "keyB": param}
        bar = values["keyB"]
        os.system("echo " + bar)
        """,
    "list element of the request value": """
        parts = ["safe", param]
        bar = parts[1]
        os.system("echo " + bar)
        """,
    "remove compares against an unknown element first": """
        parts = [param, "safe", "other"]
        parts.remove("safe")
        bar = parts[1]
        os.system("echo " + bar)
        """,
    "configparser interpolation pulls the other option": """
        conf = configparser.ConfigParser()
        conf.add_section("s")
        conf.set("s", "keyB", param)
        conf.set("s", "keyA", "%(keyB)s")
        bar = conf.get("s", "keyA")
        os.system("echo " + bar)
        """,
    "inside a loop": """
        bar = "safe"
        for _ in range(2):
            os.system("echo " + bar)
            bar = param
        """,
    "inside try": """
        bar = "safe"
        try:
            os.system("echo " + bar)
        except OSError:
            pass
        """,
    "with may swallow the overwrite": """
        bar = param
        with open("x") as fh:
            bar = "safe"
        os.system("echo " + bar)
        """,
    "another argument is not a constant (executable=)": """
        subprocess.run("ls", shell=True, executable=param)
        """,
    "the command is a parameter": """
        os.system("echo " + param)
        """,
    # hostile pull requests
    "shadowed builtin": """
        str = lambda value: param
        bar = str("safe")
        os.system("echo " + bar)
        """,
    "global": """
        global bar
        bar = "safe"
        helper()
        os.system("echo " + bar)
        """,
    "mutation through an alias": """
        parts = ["safe"]
        alias = parts
        alias.insert(0, param)
        bar = parts[0]
        os.system("echo " + bar)
        """,
    "mutation of a dict through a call": """
        values = {"keyA": "a_Value"}
        fill(values)
        bar = values["keyA"]
        os.system("echo " + bar)
        """,
    "walrus": """
        bar = "safe"
        if (bar := param):
            pass
        os.system("echo " + bar)
        """,
    "walrus in the sink statement": """
        bar = "safe"
        os.system("echo " + bar) if (bar := param) else None
        """,
    "walrus in a comprehension": """
        bar = "safe"
        [bar := p for p in [param]]
        os.system("echo " + bar)
        """,
    "exec": """
        bar = "safe"
        exec("bar = param")
        os.system("echo " + bar)
        """,
    "locals()": """
        bar = "safe"
        locals()["bar"] = param
        os.system("echo " + bar)
        """,
    "frame": """
        import sys
        bar = "safe"
        sys._getframe().f_locals["bar"] = param
        os.system("echo " + bar)
        """,
    "nested function rebinding": """
        bar = "safe"
        def rebind():
            nonlocal bar
            bar = param
        rebind()
        os.system("echo " + bar)
        """,
    "nested function mutating the list": """
        parts = ["safe"]
        def spoil():
            parts.insert(0, param)
        spoil()
        bar = parts[0]
        os.system("echo " + bar)
        """,
    "call between the overwrite and the sink": """
        bar = "safe"
        helper()
        os.system("echo " + bar)
        """,
    "call in the sink statement before the command": """
        bar = "safe"
        print(helper(), os.system("echo " + bar))
        """,
    "del": """
        bar = "safe"
        del bar
        os.system("echo " + bar)
        """,
    "augmented with the request value": """
        bar = "safe"
        bar += param
        os.system("echo " + bar)
        """,
    "tuple unpacking": """
        bar = "safe"
        bar, other = param, 1
        os.system("echo " + bar)
        """,
    "huge string built by the pull request": """
        bar = "a" * 10
        bar = bar + bar
        os.system("echo " + ("x" * 100000) + bar)
        """,
}


@pytest.mark.parametrize("name", sorted(NOT_PROVEN))
def test_a_live_or_unprovable_value_is_never_proven(name: str) -> None:
    assert proven(NOT_PROVEN[name]) == [], name


@pytest.mark.parametrize(
    "head",
    [
        HEAD.replace("import os\n", "import os\nos = object()\n"),  # rebound module
        HEAD.replace("import os\n", "from evil import *\nimport os\n"),  # star import
        HEAD.replace("import os\n", "import evil as os\n"),  # not the real os
        HEAD.replace("def view():", "def view(os):"),  # a parameter shadows it
    ],
)
def test_the_shell_module_must_be_the_one_imported_and_never_rebound(head: str) -> None:
    assert proven(PROVEN["overwritten"], head=head) == []


def test_async_views_forget_everything_at_an_await() -> None:
    head = HEAD.replace("def view():", "async def view():")
    body = """
        bar = "safe"
        await helper()
        os.system("echo " + bar)
        """
    assert proven(body, head=head) == []
    assert len(proven(PROVEN["overwritten"], head=head)) == 1


# --- the post-pass over findings --------------------------------------------------------------


def _bandit(path: str, line: int, col: int) -> Finding:
    return Finding(
        scanner="bandit",
        rule_id="B605",
        title="start process with a shell",
        message="Starting a process with a shell, possible injection detected",
        severity=Severity.HIGH,
        confidence=Confidence.HIGH,
        kind=FindingKind.CODE,
        location=Location(path=path, start_line=line, end_line=line, start_column=col),
        cwe=(78,),
    )


#: What the built-in scanners say reports a non-literal shell command.
VOUCHED = installed().shell_command_rules()


def test_the_scanners_name_their_shell_command_rules() -> None:
    assert {"bandit:B602", "bandit:B605"} <= VOUCHED


def _run(*findings: Finding) -> ScannerRun:
    return ScannerRun("bandit", FindingKind.CODE, RunStatus.OK, findings=findings, targets=1)


def _tree(tmp_path: Path, files: dict[str, str]) -> list[str]:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return sorted(files)


def _rated(tmp_path: Path, files: dict[str, str], line: int) -> Severity:
    tree = _tree(tmp_path, files)
    run = _run(_bandit("app/views.py", line, 5))
    runs = flaws.one_per_flaw(shellproof.add_proofs([run], tmp_path, tree, VOUCHED))
    (f,) = [f for r in runs for f in r.findings]
    return f.severity


SAFE_VIEW = HEAD + '    bar = param\n    bar = "safe"\n    os.system("echo " + bar)\n'


def test_a_proven_call_lowers_bandits_rating_and_says_why(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"app/views.py": SAFE_VIEW})
    run = _run(
        _bandit("app/views.py", 11, 5),
    )
    (out,) = flaws.one_per_flaw(shellproof.add_proofs([run], tmp_path, tree, VOUCHED))
    (f,) = out.findings
    assert f.severity is Severity.LOW
    assert f.rating is not None and f.rating.proven_safe
    assert f.rating.rule_id == shellproof.RULE_ID


def test_a_finding_elsewhere_is_not_vouched_for(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"app/views.py": SAFE_VIEW})
    run = _run(
        _bandit("app/views.py", 12, 5),
    )
    (out,) = flaws.one_per_flaw(shellproof.add_proofs([run], tmp_path, tree, VOUCHED))
    assert out.findings[0].severity is Severity.HIGH


@pytest.mark.parametrize(
    "other",
    [
        "import sys\n\ndef spoil():\n    sys._getframe(1).f_locals['bar'] = 'x'\n",
        "import inspect\n\ndef spoil():\n    inspect.stack()[1]\n",
        "import gc\n\ndef spoil():\n    gc.get_referrers(1)\n",
        "import ctypes\n",
        "def spoil(frame, name):\n    return getattr(frame, name)\n",
        "def spoil(frame):\n    return getattr(frame, 'f_' + 'locals')\n",
    ],
)
def test_frame_access_anywhere_in_the_tree_turns_proofs_off(tmp_path: Path, other: str) -> None:
    files = {"app/views.py": SAFE_VIEW, "app/other.py": other}
    assert _rated(tmp_path, files, 11) is Severity.HIGH


def test_a_file_named_like_a_trusted_module_or_a_native_extension_turns_proofs_off(
    tmp_path: Path,
) -> None:
    assert _rated(tmp_path, {"app/views.py": SAFE_VIEW, "app/os.py": ""}, 11) is Severity.HIGH
    native = {"app/views.py": SAFE_VIEW, "app/x.cpython-311-x86_64-linux-gnu.so": ""}
    assert _rated(tmp_path / "n", native, 11) is Severity.HIGH
    assert _rated(tmp_path / "ok", {"app/views.py": SAFE_VIEW}, 11) is Severity.LOW


def test_a_scan_of_named_files_proves_nothing(tmp_path: Path) -> None:
    _tree(tmp_path, {"app/views.py": SAFE_VIEW})
    run = _run(
        _bandit("app/views.py", 11, 5),
    )
    (out,) = flaws.one_per_flaw(shellproof.add_proofs([run], tmp_path, None, VOUCHED))
    assert out.findings[0].severity is Severity.HIGH


@pytest.mark.integration
def test_ci_passes_the_dead_branch_and_fails_the_live_twin(tmp_path: Path) -> None:
    """Through bandit itself: its B605 on the dead-branch twin no longer fails `ci`."""
    branch = (
        "    num = 86\n    if (7 * 42) - num > 200:\n        bar = {}\n"
        "    else:\n        bar = {}\n"
    )
    sink = "    return str(os.system('echo ' + bar))\n"
    codes = {}
    for name, arms in (("safe", ("'x'", "param")), ("vuln", ("param", "'x'"))):
        tree = tmp_path / name
        _tree(tree, {"app/views.py": HEAD + branch.format(*arms) + sink})
        (tree / ".secscan.yaml").write_text("scanners: [bandit]\n")
        proc = subprocess.run(
            [sys.executable, "-m", "secscan", "scan", str(tree), "--profile", "ci"]
            + ["--output-dir", str(tmp_path / f"{name}-out"), "--no-cache", "-q"],
            capture_output=True,
            text=True,
            env={**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0"},
            cwd=tmp_path,
            check=False,
        )
        codes[name] = proc.returncode
    assert codes == {"safe": 0, "vuln": 1}


MORE_PROVEN = {
    "true division in the folded condition": """
        num = 196
        if (500 / 42) + num > 200:
            bar = "This should always happen"
        else:
            bar = param
        os.system("echo " + bar)
        """,
    "match on a constant": """
        target = "ABC"[2]
        match target:
            case "A":
                bar = param
            case "B" | "C":
                bar = "bob"
            case _:
                bar = param
        os.system("echo " + bar)
        """,
}

MORE_NOT_PROVEN = {
    "match with a guard": """
        target = "B"
        match target:
            case "B" if param:
                bar = "bob"
            case _:
                bar = param
        os.system("echo " + bar)
        """,
    "match capture": """
        match param:
            case other:
                bar = other
        os.system("echo " + bar)
        """,
    "match on 1 where True is the subject (True == 1)": """
        bar = param
        match True:
            case 1:
                pass
            case _:
                bar = "safe"
        os.system("echo " + bar)
        """,
    "division by zero": """
        bar = param
        if 1 / 0 > 0:
            bar = "safe"
        os.system("echo " + bar)
        """,
}


@pytest.mark.parametrize("name", sorted(MORE_PROVEN))
def test_division_and_match_chains_are_folded(name: str) -> None:
    assert len(proven(MORE_PROVEN[name])) == 1, name


@pytest.mark.parametrize("name", sorted(MORE_NOT_PROVEN))
def test_match_and_division_that_do_not_fold_prove_nothing(name: str) -> None:
    assert proven(MORE_NOT_PROVEN[name]) == [], name


#: A view nested in an app factory that imports its shell module itself (the shape of many
#: generated test suites): every binding of the name in the file is that import.
LOCAL_HEAD = """\
from flask import request


def init(app):
    @app.route("/run")
    def view():
        param = request.args.get("q", "")
"""


def _local(body: str, head: str = LOCAL_HEAD) -> list[int]:
    return proven(textwrap.indent(textwrap.dedent(body), "    "), head=head)


LOCAL_PROVEN = {
    "import subprocess in the view, after the dead branch": """
        num = 106
        bar = "safe" if (7 * 18) + num > 200 else param
        import subprocess
        subprocess.run("ls " + bar, shell=True, capture_output=True)
        """,
    "import os in the view, before the overwrite": """
        import os
        bar = param
        bar = "safe"
        os.system("echo " + bar)
        """,
    "from subprocess import run in the view": """
        bar = param
        bar = "safe"
        from subprocess import run
        run("echo " + bar, shell=True)
        """,
}

LOCAL_NOT_PROVEN = {
    "the live arm": """
        num = 106
        bar = "safe" if (7 * 42) - num > 200 else param
        import subprocess
        subprocess.run("ls " + bar, shell=True, capture_output=True)
        """,
    "another module imported under the name": """
        bar = "safe"
        import evil as subprocess
        subprocess.run("ls " + bar, shell=True)
        """,
    "an import of another module forgets what is known": """
        bar = param
        bar = "safe"
        import helpers
        import subprocess
        subprocess.run("ls " + bar, shell=True)
        """,
    "the name also assigned in the view": """
        import subprocess
        bar = "safe"
        subprocess = param
        subprocess.run("ls " + bar, shell=True)
        """,
    "the name imported from two places": """
        bar = "safe"
        from subprocess import run
        from os import system as run
        run("ls " + bar, shell=True)
        """,
}


@pytest.mark.parametrize("name", sorted(LOCAL_PROVEN))
def test_a_shell_module_imported_inside_the_view_counts(name: str) -> None:
    assert len(_local(LOCAL_PROVEN[name])) == 1, name


@pytest.mark.parametrize("name", sorted(LOCAL_NOT_PROVEN))
def test_a_local_import_proves_nothing_it_should_not(name: str) -> None:
    assert _local(LOCAL_NOT_PROVEN[name]) == [], name


@pytest.mark.parametrize(
    "other",
    [
        "def helper(subprocess):\n    return subprocess\n",  # a parameter elsewhere
        "def helper():\n    global subprocess\n    subprocess = None\n",  # a global rebinding
        "def helper():\n    import subprocess\n    del subprocess\n",  # del is a binding
    ],
)
def test_any_other_binding_of_the_name_in_the_file_defeats_a_local_import(other: str) -> None:
    head = other + "\n\n" + LOCAL_HEAD
    assert _local(LOCAL_PROVEN["import subprocess in the view, after the dead branch"], head) == []


def test_the_packs_command_injection_taint_rules_are_vouched_for() -> None:
    """A command proven constant holds no request data: the taint rules' report on the same
    call is rated by the proof like bandit's."""
    assert {
        "semgrep:python-command-injection-request-data",
        "semgrep:python-command-injection-local-input",
    } <= VOUCHED
