"""Shared test helpers: the CLI in-process, fake tools behind real interfaces, a pinned clock."""

from __future__ import annotations

import os
import stat
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from realtools import real_tool

from secscan.cli import main

#: tests/test_markers.py runs the real-tool guard below on generated tests.
pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "vulnerable-shop"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PINNED = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)

# Property tests in CI are reproducible: a fixed example sequence (derandomize) and no deadline
# (the machine is shared; a slow example is not a failure). Locally they stay random.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI", "").lower() == "true":
    settings.load_profile("ci")

# Tests never share the user's result cache (nor each other's: see the autouse fixture).
os.environ["SECSCAN_CACHE_DIR"] = tempfile.mkdtemp(prefix="secscan-test-cache-")
# Tools must never wait on the network in tests.
os.environ.setdefault("SEMGREP_ENABLE_VERSION_CHECK", "0")
os.environ.setdefault("SEMGREP_SEND_METRICS", "off")


@pytest.fixture(autouse=True)
def _own_result_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test starts with an empty result cache, so no test passes on another's results."""
    monkeypatch.setenv("SECSCAN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(autouse=True)
def _real_tools_are_marked(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """A test that starts a real scanner, browser or pre-commit must say so: `integration`."""
    if request.node.get_closest_marker("integration") is not None:
        yield
        return
    started: list[str] = []
    real_init = subprocess.Popen.__init__

    def spy(self: subprocess.Popen[bytes], args: object, *rest: object, **kw: object) -> None:
        first = args if isinstance(args, str | bytes | os.PathLike) else next(iter(args), "")  # type: ignore[call-overload]
        started.append(os.fsdecode(first))
        real_init(self, args, *rest, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(subprocess.Popen, "__init__", spy)
    yield
    real = sorted({t for a in started if (t := real_tool(a))})
    if real:
        pytest.fail(f"runs the real {', '.join(real)}: mark it @pytest.mark.integration")


@dataclass
class CliRun:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliRun]:
    def run(*argv: str) -> CliRun:
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return CliRun(code, captured.out, captured.err)

    return run


@pytest.fixture
def fake_tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], Path]:
    """Put a shell-script stand-in for a scanner's tool behind SECSCAN_TOOL_<NAME>."""

    def make(name: str, body: str) -> Path:
        path = tmp_path / "fake-bin" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text("#!/bin/sh\n" + body + "\n")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
        monkeypatch.setenv(f"SECSCAN_TOOL_{name.upper().replace('-', '_')}", str(path))
        return path

    return make


@pytest.fixture
def pinned_clock() -> Callable[[], datetime]:
    return lambda: PINNED


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run in a temporary working directory so default report folders land there."""
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (tests/chromium.py), one per test module."""
    from chromium import launch  # here: tests that copy this conftest need no browser helper

    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()
