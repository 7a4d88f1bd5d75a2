"""A console script's version read from pip's records equals what the tool says, and any doubt
about which code the script runs makes the caller ask the tool instead."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from secscan.app.registry import installed
from secscan.scanners.base import ToolScanner
from secscan.util.installed import distribution_version


def _venv(tmp_path: Path, *, cfg: str = "include-system-site-packages = false\n") -> Path:
    prefix = tmp_path / "env"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "pyvenv.cfg").write_text(f"home = /usr/bin\n{cfg}version = 3.11.7\n")
    return prefix


def _install(
    prefix: Path, dist: str, version: str, script: str = "tool", *, shebang: str | None = None
) -> Path:
    """What pip leaves: bin/SCRIPT, and DIST-VERSION.dist-info recording its hash."""
    interpreter = shebang or str(prefix / "bin" / "python3")
    path = prefix / "bin" / script
    body = f"#!{interpreter}\nimport sys\nfrom {dist}.cli import main\nsys.exit(main())\n"
    path.write_text(body)
    path.chmod(0o755)
    site = prefix / "lib" / "python3.11" / "site-packages"
    info = site / f"{dist}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[console_scripts]\n{script} = {dist}.cli:main\n")
    digest = base64.urlsafe_b64encode(hashlib.sha256(body.encode()).digest()).rstrip(b"=")
    rel = os.path.relpath(path, site)
    (info / "RECORD").write_text(
        f"{dist}/__init__.py,,\n{rel},sha256={digest.decode()},{len(body)}\n"
    )
    return path


def test_the_recording_distribution_names_the_version(tmp_path: Path) -> None:
    script = _install(_venv(tmp_path), "acme", "2.3.4")
    assert distribution_version(str(script), {}) == "2.3.4"


def test_a_script_changed_after_install_is_not_trusted(tmp_path: Path) -> None:
    script = _install(_venv(tmp_path), "acme", "2.3.4")
    script.write_text(script.read_text() + "# edited\n")
    assert distribution_version(str(script), {}) is None


def test_pythonhome_asks_the_tool(tmp_path: Path) -> None:
    script = _install(_venv(tmp_path), "acme", "2.3.4")
    assert distribution_version(str(script), {"PYTHONHOME": str(tmp_path)}) is None


@pytest.mark.parametrize(
    "planted", ["acme", "acme.py", "acme.cpython-311-x86_64-linux-gnu.so", "acme.pyc"]
)
def test_a_package_of_that_name_on_pythonpath_asks_the_tool(tmp_path: Path, planted: str) -> None:
    script = _install(_venv(tmp_path), "acme", "2.3.4")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PYTHONPATH": f"{tmp_path / 'empty'}{os.pathsep}{elsewhere}"}
    assert distribution_version(str(script), env) == "2.3.4"  # nothing there to shadow it
    (elsewhere / planted).mkdir() if "." not in planted else (elsewhere / planted).write_text("")
    assert distribution_version(str(script), env) is None


def test_a_package_beside_the_script_asks_the_tool(tmp_path: Path) -> None:
    script = _install(_venv(tmp_path), "acme", "2.3.4")
    (script.parent / "acme.py").write_text("def main(): ...\n")
    assert distribution_version(str(script), {}) is None


def test_an_environment_reading_system_site_packages_asks_the_tool(tmp_path: Path) -> None:
    prefix = _venv(tmp_path, cfg="include-system-site-packages = true\n")
    assert distribution_version(str(_install(prefix, "acme", "2.3.4")), {}) is None


def test_no_virtual_environment_asks_the_tool(tmp_path: Path) -> None:
    prefix = _venv(tmp_path)
    script = _install(prefix, "acme", "2.3.4")
    (prefix / "pyvenv.cfg").unlink()
    assert distribution_version(str(script), {}) is None


def test_a_script_run_by_another_environments_python_asks_the_tool(tmp_path: Path) -> None:
    script = _install(_venv(tmp_path), "acme", "2.3.4", shebang="/usr/bin/python3")
    assert distribution_version(str(script), {}) is None


def test_two_distributions_claiming_the_script_ask_the_tool(tmp_path: Path) -> None:
    prefix = _venv(tmp_path)
    script = _install(prefix, "acme", "2.3.4")
    site = prefix / "lib" / "python3.11" / "site-packages"
    twin = site / "acme_fork-9.9.dist-info"
    twin.mkdir()
    for name in ("entry_points.txt", "RECORD"):
        (twin / name).write_text((site / "acme-2.3.4.dist-info" / name).read_text())
    (twin / "METADATA").write_text("Name: acme-fork\nVersion: 9.9\n")
    assert distribution_version(str(script), {}) is None


def test_a_binary_or_missing_tool_asks_the_tool(tmp_path: Path) -> None:
    binary = tmp_path / "env" / "bin" / "tool"
    _venv(tmp_path)
    binary.write_bytes(b"\x7fELF\x02\x01")
    assert distribution_version(str(binary), {}) is None
    assert distribution_version(str(tmp_path / "missing"), {}) is None


class _Acme(ToolScanner):
    name = "acme-test"
    executable = "acme"
    version_from_distribution = True


def test_version_reads_the_records_and_starts_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = _install(_venv(tmp_path), "acme", "2.3.4")
    script.chmod(0o644)  # starting it would fail: the version must come from the records
    monkeypatch.setenv("SECSCAN_TOOL_ACME", str(script))
    assert _Acme().version() == "2.3.4"


@pytest.mark.integration
@pytest.mark.parametrize("name", ["bandit", "semgrep", "pip-audit"])
def test_the_records_say_what_the_real_tool_says(name: str) -> None:
    """The fast path is taken for this venv's tools, and agrees with `TOOL --version`."""
    scanner = installed().scanners.build([name])[0]
    assert isinstance(scanner, ToolScanner) and scanner.version_from_distribution
    tool = scanner.tool_path()
    env = {**os.environ, **scanner.env()}
    fast = distribution_version(tool, env)
    assert fast is not None, f"{tool} is pip's script in {sys.prefix}: its records name it"
    done = subprocess.run(
        [tool, *scanner.version_args], capture_output=True, text=True, env=env, timeout=300
    )
    assert fast == scanner.parse_version(done.stdout + done.stderr)
