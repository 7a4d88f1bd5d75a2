"""`secscan audit` at a real terminal (a pseudo-terminal) and piped.

The scanners are stand-ins behind SECSCAN_TOOL_<NAME>: bandit replays its captured real output
(tests/fixtures/bandit) and semgrep fails, so the progress shows running, done and failed. Each
stand-in first waits at its gate (a file in `gates/` holding how long to sleep after it opens):
the progress test opens a gate only once the terminal has shown the frame that must come before
it, so no frame depends on how fast the machine is (semgrep's `auto` engine runs the stand-in
twice, and under load both scanners used to finish within one refresh, leaving no frame with
"1 of 2 scanner(s) finished"). The other tests open the gates at once.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bandit"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
SGR = re.compile(r"\x1b\[([0-9;]*)m")
COLOUR_CODES = {*range(30, 39), *range(40, 49), *range(90, 98), *range(100, 108)}


def wait_at_gate(gate: Path) -> str:
    """Shell: wait (at most 60 s) until `gate` exists, then sleep the seconds it holds."""
    return (
        f'i=0; while [ ! -e "{gate}" ]; do i=$((i+1)); '
        f'if [ $i -gt 1200 ]; then echo "gate {gate.name} never opened" >&2; exit 9; fi; '
        f'sleep 0.05; done\nsleep "$(cat "{gate}")"\n'
    )


@pytest.fixture
def gates(tmp_path: Path) -> Path:
    """The stand-ins' gates, open: bandit runs 2.5 s, semgrep 1 s (each time it is run)."""
    folder = tmp_path / "gates"
    folder.mkdir()
    (folder / "bandit").write_text("2.5")
    (folder / "semgrep").write_text("1")
    return folder


@pytest.fixture
def project(
    tmp_path: Path,
    gates: Path,
    fake_tool: Callable[[str, str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    root = tmp_path / "shop"
    root.mkdir()
    for name in ("views.py", "broken.py"):
        shutil.copy(FIXTURES / "src" / name, root / name)
    (root / ".secscan.yaml").write_text("version: 1\nscanners: [bandit, semgrep]\n")
    fake_tool(
        "bandit",
        'case "$1" in --version) echo "bandit 1.9.4"; exit 0;; esac\n'
        + wait_at_gate(gates / "bandit")
        + f'cat "{FIXTURES / "scan.json"}"\nexit 1',
    )
    fake_tool(
        "semgrep",
        'case "$1" in --version) echo "1.185.0"; exit 0;; esac\n'
        + wait_at_gate(gates / "semgrep")
        + 'echo "semgrep-core crashed" >&2\nexit 2',
    )
    # The audit profile requires a tools lock: these stand-ins, pinned outside the tree.
    lock = tmp_path / "tools.lock"
    pinned = [sys.executable, "-m", "secscan", "tools", "lock", "-o", str(lock)]
    subprocess.run([*pinned, "--scanner", "bandit", "--scanner", "semgrep"], check=True)
    monkeypatch.setenv("SECSCAN_TOOLS_LOCK", str(lock))
    return root


def secscan(*args: str) -> list[str]:
    return [sys.executable, "-m", "secscan", *args]


def run_in_pty(
    argv: list[str],
    cwd: Path,
    env: dict[str, str],
    seen: Callable[[str], None] | None = None,
) -> tuple[int, str]:
    """Run argv with a pseudo-terminal as stdin/stdout/stderr; return its exit code and all
    bytes it wrote (escape codes included). `seen` is told everything written so far, as
    plain text, after each read.
    """
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
        if seen is not None:
            seen(plain(b"".join(chunks).decode("utf-8", errors="replace")))
    os.close(master)
    code = proc.wait(timeout=30)
    return code, b"".join(chunks).decode("utf-8", errors="replace")


def terminal_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS")}
    env.update(TERM="xterm-256color", **extra)
    return env


def plain(text: str) -> str:
    return ANSI.sub("", text).replace("\r", "")


def colour_sequences(text: str) -> list[str]:
    out = []
    for m in SGR.finditer(text):
        params = [int(p) for p in m.group(1).split(";") if p.isdigit()]
        if COLOUR_CODES.intersection(params):
            out.append(m.group(0))
    return out


def test_progress_then_grouped_findings_on_a_terminal(
    project: Path, gates: Path, tmp_path: Path
) -> None:
    for gate in gates.iterdir():
        gate.unlink()

    def seen(text: str) -> None:
        """semgrep may fail once both were shown running; bandit may finish once the
        terminal has shown semgrep's failure with bandit still running."""
        both_running = all(
            re.search(rf"{name}\s+running .\s+\d+\.\ds", text) for name in ("bandit", "semgrep")
        )
        if both_running and not (gates / "semgrep").exists():
            (gates / "semgrep").write_text("0")
        if "1 of 2 scanner(s) finished" in text and not (gates / "bandit").exists():
            (gates / "bandit").write_text("0")

    code, raw = run_in_pty(
        secscan("audit", "--output-dir", str(tmp_path / "out")), project, terminal_env(), seen
    )
    text = plain(raw)
    assert code == 3, text  # semgrep failed and the audit profile fails on scanner errors

    # live progress: each scanner seen running with its time, then done / failed
    assert re.search(r"bandit\s+running .\s+\d+\.\ds", text), text
    assert re.search(r"semgrep\s+running .\s+\d+\.\ds", text), text
    assert re.search(r"scanning: 1 of 2 scanner\(s\) finished", text), text
    assert re.search(r"bandit\s+1\.9\.4\s+done\s+6 finding\(s\) in 2 target\(s\)\s+\d+\.\ds", text)
    assert re.search(r"semgrep\s+1\.185\.0\s+FAILED\s+semgrep: semgrep exited with code 2", text)

    # grouped output: by severity, then by control, with file:line:col places
    by_sev = text.index("Findings by severity")
    by_control = text.index("Findings by control")
    assert by_sev < by_control < text.index("Gate")
    assert "HIGH (2)" in text and "MEDIUM (2)" in text and "LOW (2)" in text
    assert re.search(r"views\.py:\d+:\d+\s+HIGH\s+bandit B602", text)
    assert re.search(r"A\.8\.28 Secure coding\s+FAIL", text)
    assert "INCOMPLETE" in text

    # colour, and OSC 8 links that open the file
    assert colour_sequences(raw)
    assert "\x1b]8;" in raw
    assert (project / "views.py").resolve().as_uri() in raw


def test_no_color_keeps_progress_but_drops_colour(project: Path, tmp_path: Path) -> None:
    code, raw = run_in_pty(
        secscan("audit", "--output-dir", str(tmp_path / "out")),
        project,
        terminal_env(NO_COLOR="1"),
    )
    assert code == 3
    assert colour_sequences(raw) == []
    assert re.search(r"bandit\s+running", plain(raw))


def test_piped_output_is_plain_and_stable(project: Path, tmp_path: Path) -> None:
    def piped() -> tuple[int, str]:
        done = subprocess.run(
            secscan("audit", "--output-dir", str(tmp_path / "out")),
            cwd=project,
            env=terminal_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        return done.returncode, done.stdout

    code, first = piped()
    assert code == 3
    assert "\x1b" not in first
    assert "running" not in first  # no progress when piped
    assert re.search(r"views\.py:\d+:\d+\s+HIGH\s+bandit B602", first)
    assert "Findings by control" in first
    # no timings or spinners: the same scan prints the same bytes
    _, second = piped()
    assert first == second
