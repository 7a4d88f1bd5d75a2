"""The CI templates users copy: valid YAML, and their commands are exactly the README's."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from secscan.cli.ci import ci
from secscan.report.formats import FORMATS

REPO = Path(__file__).resolve().parent.parent
TEMPLATES = REPO / "ci-templates"
REPORTS = "secscan-reports"


def load(name: str) -> dict[Any, Any]:
    data = yaml.safe_load((TEMPLATES / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def github_commands() -> list[str]:
    steps = load("github-actions.yml")["jobs"]["secscan"]["steps"]
    return [s["run"] for s in steps if "run" in s]


def gitlab_commands() -> list[str]:
    data = load("gitlab-ci.yml")
    out: list[str] = []
    for name, job in data.items():
        if name.startswith(".") or not isinstance(job, dict):
            continue
        base = data.get(job.get("extends", ""), {})
        out += [*job.get("before_script", base.get("before_script", [])), *job["script"]]
    return out


def readme_ci_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## CI\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "README's CI section has no sh block"
    return [ln for ln in block.group(1).splitlines() if ln.strip() and not ln.startswith("#")]


def test_templates_run_exactly_the_commands_the_readme_documents() -> None:
    documented = readme_ci_commands()
    used = github_commands() + gitlab_commands()
    assert set(used) == set(documented)
    assert len(documented) == len(set(documented))


@pytest.mark.parametrize("command", readme_ci_commands())
def test_each_documented_secscan_command_parses(command: str) -> None:
    argv = shlex.split(command.replace("$", "EXAMPLE_"))
    if argv[0] != "secscan":
        # Never the bare name: there is no `secscan` on PyPI, anyone could register it.
        assert argv == ["pip", "install", "secscan @ EXAMPLE_SECSCAN_SOURCE"]
        return
    assert argv[1] == "ci"
    ctx = ci.make_context("ci", argv[2:])
    assert ctx.params["output_dir"] == Path(REPORTS)


def test_github_template_uploads_the_sarif_and_fails_the_job_on_the_gate() -> None:
    data = load("github-actions.yml")
    assert set(data[True]) == {"pull_request", "push"}  # YAML 1.1 reads `on:` as true
    # The workflow's token has no permission; the job's may read and upload SARIF only.
    assert data["permissions"] == {}
    assert data["jobs"]["secscan"]["permissions"] == {
        "contents": "read",
        "security-events": "write",
    }
    steps = data["jobs"]["secscan"]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    assert checkout["with"]["persist-credentials"] is False
    upload = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == f"{REPORTS}/{FORMATS['sarif'].filename}"
    assert upload["if"].startswith("always()")  # findings are uploaded when the gate fails
    # the secscan steps carry no continue-on-error: their exit code fails the job
    for s in steps:
        if "secscan ci" in s.get("run", ""):
            assert "continue-on-error" not in s


def test_gitlab_template_keeps_sarif_junit_and_html() -> None:
    data = load("gitlab-ci.yml")
    base = data[".secscan"]
    artifacts = base["artifacts"]
    assert artifacts["when"] == "always"
    # The whole folder: every report whatever its name (no glob: GitLab refuses one with
    # expose_as).
    assert artifacts["paths"] == [f"{REPORTS}/"]
    assert artifacts["reports"]["junit"] == f"{REPORTS}/{FORMATS['junit'].filename}"
    # Every GitLab report secscan writes is uploaded under the key GitLab reads it from.
    reports = artifacts["reports"]
    for key, fmt in {
        "sast": "gitlab-sast",
        "dependency_scanning": "gitlab-dependency-scanning",
        "container_scanning": "gitlab-container-scanning",
        "secret_detection": "gitlab-secret-detection",
        "codequality": "gitlab-codequality",
        "cyclonedx": "cyclonedx",
    }.items():
        assert reports[key] == f"{REPORTS}/{FORMATS[fmt].filename}", key
    assert base["variables"]["GIT_DEPTH"] == "0"
    jobs = [j for n, j in data.items() if not n.startswith(".")]
    assert {j["extends"] for j in jobs} == {".secscan"}
    assert all("allow_failure" not in j for j in jobs)
