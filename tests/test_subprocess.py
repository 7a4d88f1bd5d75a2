import sys
import time

import pytest

from secscan.errors import ToolFailedError, ToolNotFoundError, ToolTimeoutError
from secscan.util import proc as _subprocess


def test_ok_codes_are_explicit() -> None:
    done = _subprocess.run(
        [sys.executable, "-c", "import sys; print('x'); sys.exit(1)"], ok_codes=(0, 1), timeout=30
    )
    assert done.returncode == 1
    assert done.stdout == "x\n"
    with pytest.raises(ToolFailedError) as e:
        _subprocess.run(
            [sys.executable, "-c", "import sys; sys.stderr.write('boom'); sys.exit(2)"],
            ok_codes=(0, 1),
            timeout=30,
        )
    assert e.value.returncode == 2
    assert "boom" in e.value.diagnostics()


def test_missing_tool() -> None:
    with pytest.raises(ToolNotFoundError):
        _subprocess.run(["/nonexistent/tool-xyz"], timeout=5)


def test_timeout_kills_the_process_group(tmp_path) -> None:
    marker = tmp_path / "child-alive"
    child = tmp_path / "child.py"
    child.write_text(f"import time\ntime.sleep(3)\nopen({str(marker)!r}, 'w').close()\n")
    parent = tmp_path / "parent.py"
    parent.write_text(
        "import subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, {str(child)!r}])\n"
        "time.sleep(60)\n"
    )
    with pytest.raises(ToolTimeoutError):
        _subprocess.run([sys.executable, str(parent)], timeout=1)
    time.sleep(3.5)
    assert not marker.exists(), "the grandchild survived the timeout"


def test_killed_by_signal_is_a_failure() -> None:
    with pytest.raises(ToolFailedError, match="SIGKILL"):
        _subprocess.run(
            [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"],
            timeout=30,
        )


def test_flooding_output_is_refused() -> None:
    with pytest.raises(ToolFailedError, match="more than"):
        _subprocess.run([sys.executable, "-c", "print('x' * 5000)"], timeout=30, max_output=1000)


def test_no_shell_metacharacter_interpretation(tmp_path) -> None:
    name = "; touch pwned"
    done = _subprocess.run(
        [sys.executable, "-c", "import sys; print(sys.argv[1])", name], timeout=30
    )
    assert done.stdout.strip() == name
    assert not (tmp_path / "pwned").exists()
