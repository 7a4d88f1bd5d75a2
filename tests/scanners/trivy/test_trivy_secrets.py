"""secrets (trivy fs --scanners secret): masked previews only, and no output ever holds a value."""

import json
import secrets
import string
from fnmatch import fnmatch
from pathlib import Path

import pytest
from trivy_helpers import FIX, context

from secscan.model.findings import FindingKind, Severity
from secscan.report.formats import FORMATS
from secscan.scanners.trivy_secrets import SECRET_CONFIG, TrivySecretsScanner, masked_preview

TARGETS = ("app/settings.py", "keys/deploy.pem", "values.txt")


def test_parse_real_output_keeps_rule_place_and_masked_preview() -> None:
    report = (FIX / "secrets.json").read_text()
    outcome = TrivySecretsScanner().parse(report, context(FIX, *TARGETS))
    got = sorted(
        (f.location.path, f.rule_id, f.location.start_line, f.location.end_line)
        for f in outcome.findings
    )
    assert got == [
        ("app/settings.py", "aws-access-key-id", 5, 5),
        ("app/settings.py", "github-pat", 9, 9),
        ("keys/deploy.pem", "private-key", 2, 5),
        ("values.txt", "aws-access-key-id", 1, 1),
        ("values.txt", "github-pat", 2, 2),
        ("values.txt", "private-key", 4, 7),
    ]
    for f in outcome.findings:
        assert f.kind is FindingKind.SECRET
        assert f.cwe == (798,)
        assert f.severity is Severity.CRITICAL or f.rule_id == "private-key"
        assert f.location.snippet and "*" in f.location.snippet
        assert "masked" in f.message
        assert f.remediation and "rotate" in f.remediation
    key = next(f for f in outcome.findings if f.location.path == "keys/deploy.pem")
    # four masked lines: three kept, the rest counted
    assert key.location.snippet is not None
    assert key.location.snippet.splitlines()[-1] == "... (1 more masked line(s))"
    aws = next(f for f in outcome.findings if f.rule_id == "aws-access-key-id")
    assert aws.location.snippet == 'AWS_ACCESS_KEY_ID = "********************"'


def test_results_outside_the_selection_and_non_secret_results_are_dropped() -> None:
    report = json.loads((FIX / "secrets.json").read_text())
    report["Results"].append({"Target": "requirements.txt", "Class": "lang-pkgs", "Type": "pip"})
    # trivy ran in the targets' common directory (the root here) and saw keys/ too
    picked = context(FIX, "app/settings.py", "values.txt")
    outcome = TrivySecretsScanner().parse(json.dumps(report), picked)
    assert {f.location.path for f in outcome.findings} == {"app/settings.py", "values.txt"}


def test_preview_is_none_when_trivy_did_not_mask() -> None:
    unmasked = {"Lines": [{"Number": 3, "Content": 'token = "plain-text-value"', "IsCause": True}]}
    assert masked_preview(unmasked) is None
    assert masked_preview({}) is None
    assert masked_preview(None) is None


def test_preview_of_a_long_line_is_cut_around_the_mask() -> None:
    line = "var a=1;" * 100 + 'var t="' + "*" * 40 + '";' + "var b=2;" * 100
    preview = masked_preview({"Lines": [{"Number": 1, "Content": line, "IsCause": True}]})
    assert preview is not None
    assert "*" * 40 in preview
    assert len(preview) <= 170
    assert preview.startswith("...") and preview.endswith("...")


def test_argv_is_offline_and_ignores_the_trees_own_secret_rules(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("")
    argv = TrivySecretsScanner().argv(context(tmp_path, "a.txt"))
    assert argv[argv.index("--scanners") + 1] == "secret"
    # secscan's own secret config, never the tree's `trivy-secret.yaml`
    assert f"--secret-config={SECRET_CONFIG}" in argv and SECRET_CONFIG.is_file()
    for flag in (
        "--config=",
        "--ignorefile=",
        "--skip-version-check",
        "--disable-telemetry",
    ):
        assert flag in argv


#: trivy's built-in allow rules skip all of these paths; secscan's secret config does not.
ALLOW_LISTED = (
    "README.md",
    "docs/setup.md",
    "tests/conftest.py",
    "test_app.py",
    "app_test.go",
    "examples/client.py",
    ".env.example",
    "deploy.example.yaml",
    "src/vendor/lib/x.py",
    "src/locales/en.py",
    "a.dist-info/METADATA",
)


@pytest.mark.integration
def test_tokens_in_docs_tests_and_examples_are_found_but_doc_example_keys_are_not(
    tmp_path: Path,
) -> None:
    alnum = string.ascii_letters + string.digits
    token = "gh" + "p_" + "".join(secrets.choice(alnum) for _ in range(36))
    for rel in ALLOW_LISTED:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(f'token = "{token}"\n')
    # AWS's own documentation key: in every tutorial, opens nothing
    (tmp_path / "aws.md").write_text("aws_access_key_id = " + "AKIA" + "IOSFODNN7EXAMPLE\n")
    scanner = TrivySecretsScanner()
    ctx = context(tmp_path, *ALLOW_LISTED, "aws.md")
    outcome = scanner.scan(ctx)
    found = {f.location.path for f in outcome.findings}
    assert found == set(ALLOW_LISTED)
    assert {f.rule_id for f in outcome.findings} == {"github-pat"}


@pytest.mark.integration
def test_files_trivy_never_reads_go_through_secscans_detector(tmp_path: Path) -> None:
    alnum = string.ascii_letters + string.digits
    token = "gh" + "p_" + "".join(secrets.choice(alnum) for _ in range(36))
    skipped = ("package-lock.json", "yarn.lock", "go.sum", "Pipfile.lock", "docs/logo.svg")
    for rel in skipped:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(f'{{"a": 1,\n "token": "{token}"}}\n')
    # integrity hashes are random-looking but no credential: not reported
    (tmp_path / "Gemfile.lock").write_text("sha512-" + "Ab1" * 30 + "\n")
    outcome = TrivySecretsScanner().scan(context(tmp_path, *skipped, "Gemfile.lock"))
    got = sorted((f.location.path, f.rule_id, f.location.start_line) for f in outcome.findings)
    assert got == sorted((rel, "secscan-github-token", 2) for rel in skipped)
    assert all(f.location.snippet is None and token not in f.message for f in outcome.findings)


def planted_credentials() -> dict[str, str]:
    """Realistic values built at test time from pieces, so the repository holds none."""
    alnum = string.ascii_letters + string.digits
    return {
        "aws-access-key-id": "AK"
        + "IA"
        + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16)),
        "github-pat": "gh" + "p_" + "".join(secrets.choice(alnum) for _ in range(36)),
        "stripe-secret-token": "sk_" + "live_" + "".join(secrets.choice(alnum) for _ in range(24)),
    }


@pytest.mark.integration
def test_a_planted_credential_reaches_no_output(tmp_path: Path, run_cli, in_tmp) -> None:  # type: ignore[no-untyped-def]
    values = planted_credentials()
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "app" / "settings.py").write_text(
        '"""Settings."""\n\n'
        f'AWS_ACCESS_KEY_ID = "{values["aws-access-key-id"]}"\n\n'
        f'GITHUB_TOKEN = "{values["github-pat"]}"\n\n'
        f'STRIPE_KEY = "{values["stripe-secret-token"]}"\n'
    )
    (root / ".secscan.yaml").write_text("version: 1\nscanners: [secrets]\n")
    out = tmp_path / "out"
    formats = [arg for name in FORMATS for arg in ("--format", name)]
    res = run_cli("scan", str(root), "--output-dir", str(out), "-v", *formats)

    saved = json.loads((out / "secscan-results.json").read_text())
    (run,) = saved["result"]["runs"]
    assert run["status"] == "ok", run["error"]
    assert {f["rule_id"] for f in run["findings"]} == set(values)  # found, so the test bites
    written = sorted(p for p in out.rglob("*") if p.is_file())
    # Every format's file; OpenVEX is written only with a statement to make (a dependency or
    # image vulnerability), and a secrets scan has none.
    assert not any(fnmatch(p.name, FORMATS["openvex"].pattern) for p in written)
    assert all(
        any(fnmatch(p.name, f.pattern) for p in written)
        for f in FORMATS.values()
        if f.name != "openvex"
    )
    outputs = {"terminal": res.out + res.err, **{p.name: p.read_text() for p in written}}
    for rule, value in values.items():
        for name, text in outputs.items():
            assert value not in text, f"{rule} value leaked into {name}"
            # nor any long piece of it (the key id prefix AKIA is public, the rest is not)
            assert value[4:20] not in text, f"part of the {rule} value leaked into {name}"
