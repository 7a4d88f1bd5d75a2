"""pip-audit: parsed from captured real output; run for real against secscan's local OSV server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from secscan.errors import ScannerOutputError
from secscan.model import results
from secscan.model.findings import RunStatus, ScannerRun
from secscan.scanners.pip_audit import UNPINNED_RULE, _failure, parse_audit

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures" / "pip-audit"
OSV_DATA = HERE.parent / "data" / "osv" / "PyPI"
EXAMPLE = HERE.parents[1] / "examples" / "vulnerable-shop"

# Worked out independently of secscan (json + packaging.version over the records; see
# tests/advisories/test_advisory_store.py for how): the records whose ranges contain the version.
DJANGO_3_2_0 = {
    "PYSEC-2021-109", "PYSEC-2021-439", "PYSEC-2021-7", "PYSEC-2021-8", "PYSEC-2021-98",
    "PYSEC-2021-99", "PYSEC-2022-1", "PYSEC-2022-19", "PYSEC-2022-190", "PYSEC-2022-191",
    "PYSEC-2022-2", "PYSEC-2022-20", "PYSEC-2022-213", "PYSEC-2022-245", "PYSEC-2022-3",
    "PYSEC-2022-304", "PYSEC-2023-100", "PYSEC-2023-12", "PYSEC-2023-13", "PYSEC-2023-222",
    "PYSEC-2023-225", "PYSEC-2023-226", "PYSEC-2023-61", "PYSEC-2024-28", "PYSEC-2024-47",
}  # fmt: skip
REQUESTS_2_19_0 = {"PYSEC-2018-28", "PYSEC-2023-74"}

VERSION = 'if [ "$1" = "--version" ]; then echo "pip-audit 2.10.1"; exit 0; fi\n'


# --- parsing captured output ----------------------------------------------------------------


def test_parse_real_output_against_the_local_server() -> None:
    audit = parse_audit((FIXTURES / "local-osv.json").read_text())
    assert set(audit.resolved) == {("django", "3.2.0"), ("requests", "2.19.0")}
    assert {v.id for v in audit.resolved[("django", "3.2.0")]} == DJANGO_3_2_0
    assert {v.id for v in audit.resolved[("requests", "2.19.0")]} == REQUESTS_2_19_0
    cve = next(v for v in audit.resolved[("requests", "2.19.0")] if v.id == "PYSEC-2023-74")
    assert "CVE-2023-32681" in cve.aliases and cve.fix_versions == ("2.31.0",)
    assert audit.skipped == ()


def test_parse_skipped_dependencies() -> None:
    audit = parse_audit((FIXTURES / "pypi-skipped.json").read_text())
    assert audit.resolved == {}
    assert [name for name, _ in audit.skipped] == ["idna", "requests"]
    assert all("Dependency not found on PyPI" in reason for _, reason in audit.skipped)
    url = parse_audit((FIXTURES / "url-skipped.json").read_text())
    assert ("idna", "2.7") in url.resolved and url.skipped[0][0] == "leftpad"


@pytest.mark.parametrize("text", ["", "not json", '{"dependencies": 3}', "[]", '{"deps": []}'])
def test_garbage_is_an_output_error(text: str) -> None:
    with pytest.raises(ScannerOutputError, match="not pip-audit JSON"):
        parse_audit(text)


def test_unreachable_service_message() -> None:
    message = _failure((FIXTURES / "unreachable.stderr").read_text(), "http://127.0.0.1:9")
    assert "advisory service at http://127.0.0.1:9 is unreachable" in message
    assert "not a clean result" in message
    # one line that says what to do, not the tool's traceback
    assert "\n" not in message and "Traceback" not in message and "Errno" not in message
    assert "secscan advisories import" in message and "advisories.db" in message


# --- fail closed, with a stand-in pip-audit replaying captured output -----------------------


def _project(tmp_path: Path, requirements: str) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "requirements.txt").write_text(requirements)
    return root


def _run(res_dir: Path) -> ScannerRun:
    saved = results.loads((res_dir / "secscan-results.json").read_text())
    return next(r for r in saved.result.runs if r.scanner == "pip-audit")


def test_skipped_dependencies_are_not_a_pass(tmp_path: Path, run_cli, fake_tool) -> None:  # type: ignore[no-untyped-def]
    """pip-audit's false "No known vulnerabilities found" (exit 0, every dependency skipped)."""
    fake_tool("pip-audit", VERSION + f"cat '{FIXTURES / 'pypi-skipped.json'}'; exit 0")
    root = _project(tmp_path, "idna==2.7\nrequests==0.0.0.1\n")
    res = run_cli(
        "scan", str(root), "--scanner", "pip-audit", "--output-dir", str(tmp_path / "out")
    )
    run = _run(tmp_path / "out")
    assert res.code == 3
    assert run.status is RunStatus.ERROR and run.findings == ()
    assert "2 dependencies were NOT audited" in (run.error or "")
    assert "idna: Dependency not found on PyPI" in (run.error or "")


def test_a_dependency_pip_audit_leaves_out_is_not_a_pass(
    tmp_path: Path, run_cli, fake_tool
) -> None:  # type: ignore[no-untyped-def]
    fake_tool("pip-audit", VERSION + f"cat '{FIXTURES / 'local-osv.json'}'; exit 1")
    root = _project(tmp_path, "django==3.2.0\nrequests==2.19.0\nflask==0.12.2\n")
    res = run_cli(
        "scan", str(root), "--scanner", "pip-audit", "--output-dir", str(tmp_path / "out")
    )
    run = _run(tmp_path / "out")
    assert res.code == 3 and run.status is RunStatus.ERROR
    assert "flask==0.12.2: pip-audit did not report on it" in (run.error or "")


def test_crash_without_output_is_an_error(tmp_path: Path, run_cli, fake_tool) -> None:  # type: ignore[no-untyped-def]
    stderr = FIXTURES / "unreachable.stderr"
    fake_tool("pip-audit", VERSION + f"cat '{stderr}' >&2; exit 1")
    root = _project(tmp_path, "django==3.2.0\n")
    res = run_cli(
        "scan", str(root), "--scanner", "pip-audit", "--output-dir", str(tmp_path / "out")
    )
    run = _run(tmp_path / "out")
    assert res.code == 3 and run.status is RunStatus.ERROR
    assert "is unreachable" in (run.error or "")


def test_syntax_error_in_requirements_names_file_and_line(
    tmp_path: Path, run_cli, fake_tool
) -> None:  # type: ignore[no-untyped-def]
    fake_tool("pip-audit", VERSION + "echo should not run >&2; exit 2")
    root = _project(tmp_path, "django==3.2.0\nrequests=2.19.0\n")
    res = run_cli(
        "scan", str(root), "--scanner", "pip-audit", "--output-dir", str(tmp_path / "out")
    )
    run = _run(tmp_path / "out")
    assert res.code == 3 and run.status is RunStatus.ERROR
    assert "requirements.txt:2: invalid requirement 'requests=2.19.0'" in (run.error or "")


def test_missing_advisory_database_is_a_usage_error(tmp_path: Path, run_cli, fake_tool) -> None:  # type: ignore[no-untyped-def]
    fake_tool("pip-audit", VERSION + "exit 2")
    root = _project(tmp_path, "django==3.2.0\n")
    (root / ".secscan.yaml").write_text("version: 1\nadvisories: {db: no-such-dir}\n")
    res = run_cli(
        "scan", str(root), "--scanner", "pip-audit", "--output-dir", str(tmp_path / "out")
    )
    assert res.code == 2
    assert "no-such-dir is not a directory" in res.err


def test_huge_requirements_file_is_never_audited_silently(
    tmp_path: Path, run_cli, fake_tool
) -> None:  # type: ignore[no-untyped-def]
    """Discovery leaves it out with its reason; the pip-audit run is then not an OK run."""
    fake_tool("pip-audit", VERSION + "echo should not run >&2; exit 2")
    root = _project(tmp_path, "django==3.2.0\n" + "# padding\n" * 150_000)  # ~1.5 MB
    (root / ".secscan.yaml").write_text("version: 1\nmax_file_size_mb: 1\n")
    run_cli("scan", str(root), "--scanner", "pip-audit", "--output-dir", str(tmp_path / "out"))
    saved = results.loads((tmp_path / "out" / "secscan-results.json").read_text())
    assert [(n.path, n.reason) for n in saved.result.not_analyzed] == [
        ("requirements.txt", "larger than max_file_size_mb (1 MB)")
    ]
    assert _run(tmp_path / "out").status is not RunStatus.OK


# --- the real pip-audit ---------------------------------------------------------------------


def _offline(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    """Run argv with no network but loopback: a fresh network namespace when the kernel lets
    us, else proxies that lead nowhere (what pip-audit's `requests` would have to use)."""
    env = dict(os.environ)
    unshare, ip = shutil.which("unshare"), shutil.which("ip")
    if unshare and ip:
        probe = subprocess.run([unshare, "-rn", ip, "link", "set", "lo", "up"], capture_output=True)
        if probe.returncode == 0:
            script = f'{ip} link set lo up && exec "$@"'
            return [unshare, "-rn", "sh", "-c", script, "sh", *argv], env
    dead = "http://127.0.0.1:9"
    env.update(HTTP_PROXY=dead, HTTPS_PROXY=dead, http_proxy=dead, https_proxy=dead)
    return argv, env


@pytest.fixture
def osv_db(tmp_path: Path) -> Path:
    db = tmp_path / "advisory-db"
    shutil.copytree(OSV_DATA, db / "PyPI")
    return db


def _findings(res_dir: Path) -> list[dict[str, Any]]:
    data = json.loads((res_dir / "secscan-results.json").read_text())
    run = next(r for r in data["result"]["runs"] if r["scanner"] == "pip-audit")
    assert run["status"] == "ok", run["error"]
    return list(run["findings"])


@pytest.mark.integration
def test_acceptance_django_and_requests_offline(tmp_path: Path, osv_db: Path) -> None:
    root = _project(tmp_path, "django==3.2.0\nrequests==2.19.0\n")
    out = tmp_path / "out"
    argv, env = _offline(
        [sys.executable, "-m", "secscan", "scan", str(root), "--scanner", "pip-audit",
         "--advisory-db", str(osv_db), "--output-dir", str(out), "--no-cache"]
    )  # fmt: skip
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr  # high findings fail the gate
    findings = _findings(out)
    by_pkg: dict[str, set[str]] = {}
    for f in findings:
        by_pkg.setdefault(f["package"]["name"], set()).add(f["rule_id"])
        assert f["kind"] == "dependency" and f["location"]["path"] == "requirements.txt"
        assert f["location"]["start_line"] == (1 if f["package"]["name"] == "django" else 2)
    assert by_pkg == {"django": DJANGO_3_2_0, "requests": REQUESTS_2_19_0}
    cve = next(f for f in findings if f["rule_id"] == "PYSEC-2023-74")
    assert cve["package"]["fixed_versions"] == ["2.31.0"]
    assert "CVE-2023-32681" in cve["aliases"] and cve["remediation"].startswith(
        "Upgrade requests to 2.31.0"
    )
    scored = next(f for f in findings if f["rule_id"] == "PYSEC-2023-74")
    assert scored["severity"] in {"high", "medium", "critical", "low"}
    data = json.loads((out / "secscan-results.json").read_text())
    run = next(r for r in data["result"]["runs"] if r["scanner"] == "pip-audit")
    src = run["advisory_source"]
    assert src["kind"] == "local-osv" and src["record_count"] == 264
    assert src["newest_modified"] == "2024-10-08T19:19:01.400873Z"


@pytest.mark.integration
def test_cvss_vector_sets_severity(tmp_path: Path, osv_db: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    # PYSEC-2023-192 (urllib3) carries CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N = 8.1, high;
    # PYSEC-2023-212 carries CVSS:3.1/AV:A/AC:H/PR:H/UI:N/S:U/C:H/I:N/A:N = 4.2, medium.
    root = _project(tmp_path, "urllib3==1.26.16\n")
    out = tmp_path / "out"
    res = run_cli("scan", str(root), "--scanner", "pip-audit", "--advisory-db", str(osv_db),
                  "--output-dir", str(out))  # fmt: skip
    found = {f["rule_id"]: f for f in _findings(out)}
    assert res.code == 1
    assert (found["PYSEC-2023-192"]["severity"], found["PYSEC-2023-192"]["cvss_score"]) == (
        "high",
        8.1,
    )
    assert found["PYSEC-2023-192"]["cvss_vector"].startswith("CVSS:3.1/AV:N/AC:L/PR:L")
    assert (found["PYSEC-2023-212"]["severity"], found["PYSEC-2023-212"]["cvss_score"]) == (
        "medium",
        4.2,
    )


@pytest.mark.integration
def test_unreachable_service_fails_closed(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    root = _project(tmp_path, "django==3.2.0\n")
    mirror = "http://ci:s3cret-token@127.0.0.1:9"  # nothing listens on the discard port
    (root / ".secscan.yaml").write_text(f"version: 1\nadvisories: {{url: '{mirror}'}}\n")
    out = tmp_path / "out"
    res = run_cli("scan", str(root), "--scanner", "pip-audit", "--output-dir", str(out))
    run = _run(out)
    assert res.code == 3
    assert run.status is RunStatus.ERROR and run.findings == ()
    assert "advisory service at http://***@127.0.0.1:9 is unreachable" in (run.error or "")
    # the mirror's credentials reach no output
    assert "s3cret" not in res.out + res.err
    assert all("s3cret" not in p.read_text() for p in out.iterdir())
    # the precommit profile only warns about it, as docs/usage.md says (with a scanner that
    # did assess something: zero scanners assessing anything fails in every profile)
    (root / "app.py").write_text("VALUE = 1\n")
    pre = run_cli(
        "scan", str(root), "--scanner", "pip-audit", "--scanner", "bandit",
        "--profile", "precommit", "--output-dir", str(tmp_path / "pre"),
    )  # fmt: skip
    assert pre.code == 0, pre.out + pre.err
    assert "unreachable" in pre.out + pre.err


@pytest.mark.integration
def test_unknown_package_and_unpinned_requirements(tmp_path: Path, osv_db: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    root = _project(tmp_path, "secscan-no-such-package==1.0\nrequests==2.32.3\ngunicorn>=20.0\n")
    (root / "pyproject.toml").write_text('[project]\nname = "p"\ndependencies = ["gunicorn>=20"]\n')
    out = tmp_path / "out"
    res = run_cli("scan", str(root), "--scanner", "pip-audit", "--advisory-db", str(osv_db),
                  "--output-dir", str(out))  # fmt: skip
    findings = _findings(out)
    # an unknown package has no advisory: audited, nothing known; one unpinned finding for
    # gunicorn although two files in the project leave it open (the requirements file wins)
    assert [
        (f["rule_id"], f["location"]["path"], f["location"]["start_line"]) for f in findings
    ] == [(UNPINNED_RULE, "requirements.txt", 3)]
    assert findings[0]["severity"] == "medium"
    assert res.code == 0


@pytest.mark.integration
def test_example_scans_offline_from_its_config(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    example = tmp_path / "shop"
    shutil.copytree(EXAMPLE, example)
    out = tmp_path / "out"
    run_cli("scan", str(example), "--scanner", "pip-audit", "--output-dir", str(out))
    findings = _findings(out)
    flaws = yaml.safe_load((EXAMPLE / "flaws.yaml").read_text())["flaws"]
    expected = {
        (flaw["file"], flaw["package"], rule)
        for flaw in flaws
        if flaw["kind"] == "dependency"
        for rule in flaw["checks"].get("pip-audit", [])
    }
    got = {
        (f["location"]["path"], f["package"]["name"].lower(), f["rule_id"])
        for f in findings
        if f["rule_id"] != UNPINNED_RULE
    }
    assert got == expected
    assert [f["package"]["name"] for f in findings if f["rule_id"] == UNPINNED_RULE] == ["gunicorn"]
    data = json.loads((out / "secscan-results.json").read_text())
    run = next(r for r in data["result"]["runs"] if r["scanner"] == "pip-audit")
    assert run["advisory_source"]["kind"] == "local-osv"


def test_the_cli_offline_helper_really_cuts_the_network() -> None:
    """Guard for the acceptance test: inside _offline(), only loopback answers."""
    probe = (
        "import socket, sys\n"
        "try:\n"
        "    socket.create_connection(('1.1.1.1', 443), timeout=3)\n"
        "except OSError:\n"
        "    sys.exit(0)\n"
        "sys.exit(1)\n"
    )
    argv, env = _offline([sys.executable, "-c", probe])
    if argv[0] == sys.executable:
        pytest.skip("no network namespace here: the proxy fallback only stops HTTP clients")
    assert subprocess.run(argv, env=env, timeout=30).returncode == 0


@pytest.mark.integration
def test_poetry_setup_cfg_and_setup_py_dependencies_are_audited(
    tmp_path: Path, osv_db: Path, run_cli
) -> None:  # type: ignore[no-untyped-def]
    """Before, these declared nothing to pip-audit and the run said ok, 0 findings."""
    root = tmp_path / "proj"
    (root / "svc" / "lib").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "shop"\n\n[tool.poetry.dependencies]\npython = "^3.11"\n'
        'django = "3.2.0"\n'
    )
    (root / "svc" / "setup.cfg").write_text("[options]\ninstall_requires =\n    requests==2.19.0\n")
    (root / "svc" / "lib" / "setup.py").write_text(
        "from setuptools import setup\nsetup(name='lib', install_requires=['urllib3==1.26.16'])\n"
    )
    (root / "setup.py").write_text(
        "from setuptools import setup\nsetup(install_requires=open('r.txt').read().split())\n"
    )
    out = tmp_path / "out"
    res = run_cli("scan", str(root), "--scanner", "pip-audit", "--advisory-db", str(osv_db),
                  "--output-dir", str(out), "--no-cache")  # fmt: skip
    assert res.code == 1, res.err
    where = {(f["package"]["name"], f["location"]["path"]) for f in _findings(out)}
    assert where == {
        ("django", "pyproject.toml"),
        ("requests", "svc/setup.cfg"),
        ("urllib3", "svc/lib/setup.py"),
    }
    data = json.loads((out / "secscan-results.json").read_text())
    run = next(r for r in data["result"]["runs"] if r["scanner"] == "pip-audit")
    assert run["not_analyzed"] == [
        {
            "path": "setup.py",
            "reason": "line 2: setup(install_requires=...) is not a literal list: not analyzed "
            "(audit it through a requirements or lock file)",
        }
    ]
