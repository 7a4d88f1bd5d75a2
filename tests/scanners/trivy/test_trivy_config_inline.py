"""`trivy:ignore` is data, and trivy config must vouch for every IaC file it was handed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from trivy_helpers import FIX, context

from secscan.errors import ScannerError
from secscan.model.findings import SuppressionKind
from secscan.scanners.trivy_config import TrivyConfigScanner, defuse, directive_near

TREE = FIX / "iac-ignore"
TARGETS = ("Dockerfile", "main.tf", "other.tf")


def test_defuse_keeps_lines_and_columns_and_only_touches_directives() -> None:
    src = (
        b"#trivy:ignore:AVD-AWS-0086\n"
        b'x = "a" # tfsec:ignore:x\n'
        b"// trivy:exp:2030-01-01:ignore:y\n"
        b'name = "trivy"\n'
    )
    out = defuse(src)
    assert len(out) == len(src) and out.count(b"\n") == src.count(b"\n")
    assert b"trivy:" not in out and b"tfsec:" not in out
    assert out.endswith(b'name = "trivy"\n')


def test_the_directive_named_is_the_closest_above() -> None:
    content = (TREE / "main.tf").read_bytes()
    assert directive_near(content, 8).directive == "trivy:ignore:AVD-AWS-0086"
    near = directive_near(content, 16)
    assert (near.directive, near.line, near.kind) == (
        "trivy:ignore:AVD-AWS-0107",
        16,
        SuppressionKind.IN_SOURCE,
    )


def test_captured_report_vouches_for_every_file() -> None:
    """`other.tf` has no result of its own: the module `.` result covers it."""
    accounted = TrivyConfigScanner().accounted(
        (FIX / "config-ignore.json").read_text(), context(TREE, *TARGETS)
    )
    assert accounted == frozenset(TARGETS)


def test_a_terraform_file_outside_every_reported_module_is_not_vouched_for() -> None:
    report = json.loads((FIX / "config-ignore.json").read_text())
    report["Results"] = [r for r in report["Results"] if r["Target"] != "."]
    accounted = TrivyConfigScanner().accounted(json.dumps(report), context(TREE, *TARGETS))
    assert "other.tf" not in accounted and "main.tf" in accounted


def _fake(tmp_path: Path, doc: object) -> TrivyConfigScanner:
    tool = tmp_path / "trivy"
    payload = json.dumps(doc).replace("'", "'\\''")
    tool.write_text(f"#!/bin/sh\necho '{payload}'\nexit 0\n")
    tool.chmod(0o755)

    class Fake(TrivyConfigScanner):
        def tool_path(self) -> str:
            return str(tool)

    return Fake()


@pytest.mark.parametrize(
    "doc",
    [{"SchemaVersion": 2, "Results": []}, {"SchemaVersion": 2}],
    ids=["empty-results", "no-results"],
)
def test_an_empty_report_for_iac_files_is_an_error(tmp_path: Path, doc: object) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "Dockerfile").write_text("FROM alpine:3.19\n")
    (root / "values.yaml").write_text("a: 1\n")
    with pytest.raises(ScannerError, match=re.escape("not analyzed: Dockerfile")):
        _fake(tmp_path, doc).scan(context(root, "Dockerfile", "values.yaml"))


def test_an_empty_report_for_plain_yaml_is_not_held_against_trivy(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "values.yaml").write_text("a: 1\n")
    outcome = _fake(tmp_path, {"SchemaVersion": 2, "Results": []}).scan(
        context(root, "values.yaml")
    )
    assert outcome.findings == ()


@pytest.mark.integration
def test_real_trivy_ignores_are_kept_and_marked(tmp_path: Path) -> None:
    for name in TARGETS:
        (tmp_path / name).write_bytes((TREE / name).read_bytes())
    outcome = TrivyConfigScanner().scan(context(tmp_path, *TARGETS))
    marked = {
        (f.rule_id, f.location.start_line, f.suppression.directive)
        for f in outcome.findings
        if f.suppression
    }
    assert marked == {
        ("AWS-0086", 8, "trivy:ignore:AVD-AWS-0086"),
        ("AWS-0107", 16, "trivy:ignore:AVD-AWS-0107"),
    }
    # the plain report (captured) holds exactly the unmarked ones
    plain = json.loads((FIX / "config-ignore.json").read_text())
    plain_ids = {m["ID"] for r in plain["Results"] for m in r.get("Misconfigurations") or []}
    assert {f.rule_id for f in outcome.findings if not f.suppression} == plain_ids


@pytest.mark.integration
def test_real_trivy_tfsec_spelling_is_marked_too(tmp_path: Path) -> None:
    text = (TREE / "main.tf").read_text().replace("#trivy:ignore:", "#tfsec:ignore:")
    (tmp_path / "main.tf").write_text(text)
    outcome = TrivyConfigScanner().scan(context(tmp_path, "main.tf"))
    marked = {f.rule_id: f.suppression for f in outcome.findings if f.suppression}
    assert marked["AWS-0086"] is not None and marked["AWS-0086"].directive.startswith("tfsec:")


@pytest.mark.integration
def test_real_trivy_secret_scanning_has_no_inline_ignore(tmp_path: Path) -> None:
    """trivy 0.76's secret scanner reads no `trivy:ignore` comment: nothing to mark, and
    nothing hidden (checked, so a future trivy that starts honouring one is noticed)."""
    import secrets as random_source

    from secscan.scanners.trivy_secrets import TrivySecretsScanner

    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    key = "AKIA" + "".join(random_source.choice(alphabet) for _ in range(16))
    (tmp_path / "settings.py").write_text(
        f'AWS_ACCESS_KEY_ID = "{key}"  # trivy:ignore:aws-access-key-id\n'
    )
    (found,) = TrivySecretsScanner().scan(context(tmp_path, "settings.py")).findings
    assert found.rule_id == "aws-access-key-id" and found.suppression is None
    assert key not in repr(found)
