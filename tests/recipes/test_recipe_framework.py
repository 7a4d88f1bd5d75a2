"""Recipe "add a compliance framework" (docs/architecture.md), done as it says: one file,
`frameworks/<id>.yaml` in a policy directory, whose control names the mapping rules that
evidence it (`rules:`, the one line that connects it). Nothing in `secscan/` is edited; the
gate judges it and `secscan compliance` documents it."""

from __future__ import annotations

import json
from pathlib import Path

from recipekit import install
from test_recipe_scanner import MODULE as SCANNER
from test_recipe_scanner import REGISTRATION as SCANNER_REGISTRATION

FRAMEWORK = """\
version: 1
framework:
  id: acme-sec
  title: ACME secure coding standard
  version: "1"
  source: "ACME internal standard SC-1 (test data)"
controls:
  - id: SC-1
    title: No code built from input
    theme: Secure coding
    statement: Code never runs strings it was given.
    evidence: [code]
    rules: [code-injection]
  - id: SC-2
    title: No hard-coded credentials
    theme: Secure coding
    statement: Credentials come from the environment.
    evidence: [code]
    rules: [code-hard-coded-credentials]
"""


def test_a_new_framework_is_one_file_in_a_policy_directory(tmp_path: Path) -> None:
    plugin = install(tmp_path, "secscan-evalgrep", "evalgrep", SCANNER, SCANNER_REGISTRATION)
    root = tmp_path / "project"
    (root / "policy" / "frameworks").mkdir(parents=True)
    (root / "policy" / "frameworks" / "acme-sec.yaml").write_text(FRAMEWORK)
    (root / "app.py").write_text("y = eval(input())\n")
    (root / ".secscan.yaml").write_text("version: 1\nscanners: [evalgrep]\npolicy: policy\n")

    ran = plugin.secscan(
        "compliance", ".", "--framework", "acme-sec", "--format", "json", "-o", "-", cwd=root
    )

    assert ran.returncode == 1, ran.stdout + ran.stderr  # the scan's own verdict: gate failed
    doc = json.loads(ran.stdout)
    assert doc["framework"]["id"] == "acme-sec"
    states = {c["id"]: c["state"] for c in doc["controls"]}
    assert states == {"SC-1": "fail", "SC-2": "pass"}
