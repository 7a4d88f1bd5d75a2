"""secscan's cross-function pass (scanners/crossflow.py): request data into sinks through calls,
in the same module and across modules, with the whole path as a SARIF codeFlow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from secscan.scanners.crossflow import _finding, analyse, module_name

VIEWS = b"""\
from flask import Flask, request

from app import helpers
from app.tools import ping

app = Flask(__name__)


@app.route("/run")
def run():
    host = request.args.get("host", "")
    return helpers.run_cmd(host)


@app.route("/ping")
def do_ping():
    return ping(request.args["h"])


@app.route("/overwritten")
def overwritten():
    host = request.args.get("host", "")
    host = "localhost"
    return helpers.run_cmd(host)


@app.route("/quoted")
def quoted():
    return helpers.quoted(request.args["h"])


@app.route("/number")
def number():
    return helpers.run_cmd(int(request.args["n"]))


def local(cmd):
    import os
    os.system("echo " + cmd)


@app.route("/local")
def use_local():
    local(request.form["c"])


@app.route("/constant")
def constant():
    return helpers.run_cmd("example.org")


def django_view(request):
    helpers.lookup(request.GET["q"])
"""

HELPERS = b"""\
import shlex
import sqlite3
import subprocess


def run_cmd(target):
    cmd = "nslookup " + target
    return subprocess.run(cmd, shell=True, capture_output=True).stdout


def quoted(target):
    return subprocess.run("nslookup " + shlex.quote(target), shell=True)


def lookup(name):
    db = sqlite3.connect("app.db")
    return db.execute("SELECT * FROM hosts WHERE name = '%s'" % name).fetchall()
"""

TOOLS = b"""\
from app.helpers import run_cmd


def ping(h):
    return run_cmd(h)
"""

PROJECT = {
    "app/__init__.py": b"",
    "app/views.py": VIEWS,
    "app/helpers.py": HELPERS,
    "app/tools.py": TOOLS,
}


def _paths(flow):  # type: ignore[no-untyped-def]
    return [(s.path, s.line) for s in flow.steps]


def test_module_names_follow_the_path() -> None:
    assert module_name("pkg/sub/mod.py") == "pkg.sub.mod"
    assert module_name("pkg/__init__.py") == "pkg"


def test_request_data_into_a_helper_of_another_module_is_a_flow_naming_both_files() -> None:
    flows = analyse(PROJECT)
    command = [f for f in flows if f.kind == "command"]
    sinks = {(f.sink.path, f.sink.line) for f in command}
    assert ("app/helpers.py", 8) in sinks
    via_run = next(f for f in command if f.steps[1].line == 12)
    assert via_run.steps[1].note == "passed to run_cmd() as target"
    assert _paths(via_run) == [("app/views.py", 11), ("app/views.py", 12), ("app/helpers.py", 8)]


def test_two_calls_deep_through_a_third_module() -> None:
    flows = analyse(PROJECT)
    deep = [f for f in flows if len(f.steps) == 4]
    assert [_paths(f) for f in deep] == [
        [("app/views.py", 17), ("app/views.py", 17), ("app/tools.py", 5), ("app/helpers.py", 8)]
    ]


def test_same_module_helper_and_django_request_parameter() -> None:
    flows = analyse(PROJECT)
    assert ("app/views.py", 39) in {(f.sink.path, f.sink.line) for f in flows}
    sql = [f for f in flows if f.kind == "sql"]
    assert [(f.steps[0].path, f.sink.path, f.sink.line) for f in sql] == [
        ("app/views.py", "app/helpers.py", 17)
    ]


def test_overwritten_quoted_numeric_and_constant_values_are_no_flow() -> None:
    flows = analyse(PROJECT)
    callers = {s.line for f in flows for s in f.steps if s.path == "app/views.py"}
    # /overwritten (24), /quoted (29), /number (34), /constant (49): none of their calls.
    assert callers == {11, 12, 17, 39, 44, 53}


def test_a_file_that_does_not_parse_contributes_nothing() -> None:
    broken = {**PROJECT, "app/tools.py": b"def ping(h:\n"}
    flows = analyse(broken)
    assert all("app/tools.py" not in {s.path for s in f.steps} for f in flows)
    assert any(f.sink.path == "app/helpers.py" for f in flows)  # the rest still analysed


@pytest.mark.integration
@pytest.mark.parametrize(
    "config",
    [None, "scanners: [bandit, semgrep, crossflow]\n"],
    ids=["no-config-default-scanners", "named-scanners"],
)
def test_ci_fails_with_a_sarif_code_flow_naming_both_files(
    tmp_path: Path, config: str | None
) -> None:
    """A new user's scan (no config file: the default scanners include crossflow) and one
    naming its scanners both fail `ci` on the view -> helper flow, traced through both files."""
    tree = tmp_path / "tree"
    for rel, data in PROJECT.items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_bytes(data)
    if config is not None:
        (tree / ".secscan.yaml").write_text(config)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "secscan", "scan", str(tree), "--profile", "ci"]
        + ["--output-dir", str(out), "--no-cache", "-q", "--format", "sarif"],
        capture_output=True,
        text=True,
        env={**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0"},
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    sarif = json.loads((out / "secscan.sarif").read_text())
    flows = [
        [
            (
                step["location"]["physicalLocation"]["artifactLocation"]["uri"],
                step["location"]["physicalLocation"]["region"]["startLine"],
            )
            for step in result["codeFlows"][0]["threadFlows"][0]["locations"]
        ]
        for run in sarif["runs"]
        for result in run["results"]
        if result.get("codeFlows") and result["level"] == "error"
    ]
    files = [{uri.rsplit("/", 2)[-1] for uri, _ in flow} for flow in flows]
    assert {"views.py", "helpers.py"} in files
    results = json.loads((out / "secscan-results.json").read_text())
    failing = set(results["decision"]["failing_fingerprints"])
    gated = [
        {step["location"]["path"] for step in f["flow"]}
        for run in results["result"]["runs"]
        if run["scanner"] == "crossflow"
        for f in run["findings"]
        if f["fingerprint"] in failing
    ]
    assert {"app/views.py", "app/helpers.py"} in gated  # the traced flow itself fails the gate


def test_a_method_of_a_computed_receiver_is_a_sink_by_its_name() -> None:
    views = (
        b"import sqlite3\nfrom flask import request\n\n\n"
        b"def view():\n    return helper(request.args['q'])\n\n\n"
        b"def helper(value):\n"
        b"    return sqlite3.connect('db').execute('SELECT ' + value).fetchall()\n"
    )
    (flow,) = analyse({"app/views.py": views})
    assert flow.kind == "sql" and _paths(flow)[-1] == ("app/views.py", 10)


def test_each_view_into_one_shared_sink_is_its_own_finding_at_its_call() -> None:
    findings = [_finding(f) for f in analyse(PROJECT) if f.kind == "command"]
    places = {(f.location.path, f.location.start_line) for f in findings}
    assert {("app/views.py", 12), ("app/views.py", 17)} <= places
    assert len(places) == len(findings)  # no two share a place (and so a fingerprint)
