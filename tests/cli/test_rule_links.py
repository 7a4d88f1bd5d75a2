"""Links from rule metadata are clickable only for rule sets the trusted side configured.

Issue 22 item 10: a rule set a pull request adds is applied (it only strengthens the gate)
but its `metadata.references` are the PR author's text: in the HTML report, SARIF `helpUri`
and help, GitLab and CycloneDX they would be links a reviewer clicks. The same rule file
configured by the merge base keeps its links; secscan's pack keeps its own. Real semgrep,
real git, `secscan ci --new-since main`.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

RULE = """\
rules:
  - id: shop-eval-call
    languages: [python]
    severity: ERROR
    message: eval of request data
    pattern: eval(...)
    metadata:
      references:
        - https://phish.example.com/login
"""
APP = "def handler(request):\n    return eval(request.args['x'])\n"
BASE = "version: 1\nscanners: [semgrep]\n"
WITH_RULES = BASE + "semgrep:\n  rules: [builtin, rules]\n"


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)


def make_repo(tmp_path: Path, base_config: str) -> Path:
    repo = tmp_path / "shop"
    (repo / "app").mkdir(parents=True)
    (repo / "rules").mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "dev@example.com")
    git(repo, "config", "user.name", "Dev")
    (repo / ".secscan.yaml").write_text(base_config)
    (repo / "rules" / "shop.yaml").write_text(RULE)
    (repo / "app" / "__init__.py").write_text("")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "pr")
    return repo


def run_ci(repo: Path, out: Path, run_cli: Callable[..., Any]) -> Any:
    (repo / ".secscan.yaml").write_text(WITH_RULES)
    (repo / "app" / "views.py").write_text(APP)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "pr")
    return run_cli("ci", "--new-since", "main", "--output-dir", str(out), "--no-cache")


def sarif_links(out: Path) -> list[str]:
    sarif = json.loads((out / "secscan.sarif").read_text())
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    return [r.get("helpUri", "") for r in rules if r["id"].endswith("shop-eval-call")]


@pytest.mark.parametrize("who", ["pr-adds-the-rule-set", "base-configured-it"])
def test_rule_links_are_links_only_for_rule_sets_the_base_configured(
    who: str, tmp_path: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path, BASE if who == "pr-adds-the-rule-set" else WITH_RULES)
    monkeypatch.chdir(repo)
    out = tmp_path / "out"
    ran = run_ci(repo, out, run_cli)
    assert ran.code == 1, ran.out + ran.err
    assert "shop-eval-call" in ran.out  # the rule set applies either way
    html = (out / "secscan-report.html").read_text()
    assert "shop-eval-call" in html
    clickable = 'href="https://phish.example.com/login"' in html
    if who == "pr-adds-the-rule-set":
        assert not clickable
        assert "phish.example.com" not in json.dumps(sarif_links(out))
        for name in ("gl-sast-report.json", "secscan-sbom.cdx.json", "secscan-summary.md"):
            assert "phish.example.com" not in (out / name).read_text(), name
    else:
        assert clickable
        assert sarif_links(out) == ["https://phish.example.com/login"]
