"""The trivy plumbing the three scanners share: check ids, log problems, scope, JSON loading."""

from pathlib import Path

import pytest
from trivy_helpers import FIX

from secscan.errors import ScannerOutputError
from secscan.policy.match import canonical_check_id
from secscan.scanners import _trivy


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("DS-0001", "DS-0001"),
        ("DS001", "DS-0001"),
        ("AVD-DS-0001", "DS-0001"),
        ("ksv012", "KSV-0012"),
        ("AVD-AWS-0086", "AWS-0086"),
        ("AWS-0086", "AWS-0086"),
        ("not-a-check", "not-a-check"),
        ("B602", "B602"),  # bandit ids pass through
    ],
)
def test_canonical_check_id_accepts_the_older_forms(given: str, canonical: str) -> None:
    assert canonical_check_id(given) == canonical


def test_aliases_name_the_older_forms_but_not_the_id_itself() -> None:
    assert _trivy.check_aliases("DS-0001", "builtin.dockerfile.DS001") == ("AVD-DS-0001", "DS001")
    assert _trivy.check_aliases("KSV-0017", "builtin.kubernetes.KSV017") == (
        "AVD-KSV-0017",
        "KSV017",
    )
    # AWS namespaces are `aws0086`, which never was an id
    assert _trivy.check_aliases("AWS-0086", "builtin.aws.s3.aws0086") == ("AVD-AWS-0086",)


def test_version_line() -> None:
    assert _trivy.parse_version("Version: 0.76.0\n") == "0.76.0"
    text = "Version: 0.76.0\nVulnerability DB:\n  Version: 2\n"
    assert _trivy.parse_version(text) == "0.76.0"
    assert _trivy.parse_version("garbage") == "unknown"


def test_log_problems_from_real_stderr_name_each_unparsable_file_once() -> None:
    problems = _trivy.log_problems((FIX / "config.stderr").read_text())
    assert [p.path for p in problems] == ["tf/broken.tf"]
    assert "Unclosed configuration block" in problems[0].message
    assert problems[0].message.startswith("trivy terraform parser: Error parsing file")
    # the harmless offline line names no file and is not a problem
    assert "embedded checks" not in problems[0].message


def test_log_problems_never_quote_file_content() -> None:
    line = (
        '2026-11-26T14:00:06Z\tERROR\t[terraform parser] Error parsing file\tmodule="root" '
        'file_path="db.tf" cause="password = \\"hunter2-but-real\\"" err="db.tf:3,1-2: Bad"'
    )
    (problem,) = _trivy.log_problems(line)
    assert problem.path == "db.tf"
    assert "hunter2" not in problem.message
    assert "hunter2" not in _trivy.redact_log(line)
    assert 'err="db.tf:3,1-2: Bad"' in _trivy.redact_log(line)


def test_base_dir_and_to_root() -> None:
    assert _trivy.base_dir(["deploy/k8s/a.yaml", "deploy/k8s/b.yaml"]) == "deploy/k8s"
    assert _trivy.base_dir(["deploy/k8s/a.yaml", "deploy/tf/main.tf"]) == "deploy"
    assert _trivy.base_dir(["Dockerfile", "deploy/tf/main.tf"]) == ""
    assert _trivy.base_dir([]) == ""
    assert _trivy.to_root("deploy", "tf/main.tf") == "deploy/tf/main.tf"
    assert _trivy.to_root("", "./Dockerfile") == "Dockerfile"


def test_scope_skips_everything_that_is_not_a_target(tmp_path: Path) -> None:
    for rel in ("a/keep.tf", "a/drop.tf", "a/b/keep.yaml", "c/x.tf", "node_modules/m/x.yaml"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    where = _trivy.scope(tmp_path, ["a/keep.tf", "a/b/keep.yaml"])
    assert where.directory == "a"
    assert where.skip_files == ("drop.tf",)
    assert where.skip_dirs == ()
    whole = _trivy.scope(tmp_path, ["a/keep.tf", "c/x.tf"])
    assert whole.directory == ""
    assert set(whole.skip_dirs) == {"a/b", "node_modules"}
    assert set(whole.skip_files) == {"a/drop.tf"}


def test_scope_argv_escapes_glob_characters() -> None:
    where = _trivy.Scope("", skip_dirs=("we[ir]d",), skip_files=("a*b?.tf",))
    assert where.argv() == ["--skip-dirs", "we\\[ir\\]d", "--skip-files", "a\\*b\\?.tf"]


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "not json",
        "[]",
        '{"Results": []}',
        '{"SchemaVersion": 1}',
        '{"SchemaVersion": 2, "Results": 5}',
    ],
)
def test_anything_but_a_trivy_report_is_an_error(garbage: str) -> None:
    with pytest.raises(ScannerOutputError, match="iac"):
        _trivy.load_results(garbage, "iac")


def test_a_report_without_results_is_empty_not_an_error() -> None:
    assert _trivy.load_results('{"SchemaVersion": 2, "ArtifactName": "."}', "iac") == []


def test_a_warning_about_a_file_trivy_analyzed_does_not_mark_it_not_analyzed() -> None:
    """Issue 15: trivy analyzed the CloudFormation template (26 checks passed, 8 failed) and
    warned "Missing parameter values" about it; that is no failure to parse."""
    stderr = (FIX / "cfn-params.stderr").read_text()
    assert "Missing parameter values" in stderr and 'file_path="template.yaml"' in stderr
    assert _trivy.log_problems(stderr) == ()


def test_a_warning_that_says_the_file_could_not_be_parsed_still_counts() -> None:
    line = (
        "2026-12-01T08:59:38Z\tWARN\t[kubernetes scanner] Failed to parse manifest\t"
        'file_path="k8s/odd.yaml" err="yaml: line 3: mapping values are not allowed"'
    )
    (problem,) = _trivy.log_problems(line)
    assert problem.path == "k8s/odd.yaml" and "mapping values" in problem.message
