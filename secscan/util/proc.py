"""The one place secscan starts a process: argv lists only, explicit success codes, a deadline."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess  # noqa: S404 - this module exists to wrap it safely
import tempfile
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from secscan.errors import ToolFailedError, ToolNotFoundError, ToolTimeoutError

#: Output past this size means a broken tool, not a result: a scanner that floods is not trusted.
MAX_OUTPUT_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Completed:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    duration_s: float


#: Config every child's own git calls get (semgrep lists files with git): command-line
#: config by environment (git >= 2.31), which overrides the scanned repository's
#: `.git/config`, so a tool asking git about the tree cannot start the tree's fsmonitor hook
#: or any of its hooks. secscan's own git calls add more (secscan/workspace/vcs.py).
GIT_GUARD = (("core.fsmonitor", "false"), ("core.hooksPath", os.devnull))


def _guard_git(env: dict[str, str]) -> None:
    try:
        count = int(env.get("GIT_CONFIG_COUNT", "0") or "0")
    except ValueError:
        count = 0
    for n, (key, value) in enumerate(GIT_GUARD, start=count):
        env[f"GIT_CONFIG_KEY_{n}"] = key
        env[f"GIT_CONFIG_VALUE_{n}"] = value
    env["GIT_CONFIG_COUNT"] = str(count + len(GIT_GUARD))


def which(name: str) -> str | None:
    """Find a tool, preferring the one installed next to the running interpreter (our venv)."""
    import sys

    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


def run(
    argv: Sequence[str],
    *,
    ok_codes: Collection[int] = (0,),
    timeout: float,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    max_output: int = MAX_OUTPUT_BYTES,
) -> Completed:
    """Run argv to completion; raise a ToolError unless it ended with one of ok_codes.

    stdout and stderr go to temporary files, not pipes, so a tool that prints a lot can
    neither deadlock us nor be read unbounded into memory. The child gets its own
    session so a timeout kills the whole process group (semgrep and trivy fork workers).
    """
    if not argv:
        raise ValueError("empty argv")
    argv0 = argv[0]
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    _guard_git(full_env)
    started = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(  # noqa: S603 - argv list, never a shell
                list(argv),
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                cwd=cwd,
                env=full_env,
                start_new_session=True,
            )
        except (FileNotFoundError, PermissionError, NotADirectoryError) as e:
            raise ToolNotFoundError(
                f"cannot execute {argv0!r}: {e.strerror or e}", argv0=argv0
            ) from e
        try:
            proc.communicate(input=stdin.encode() if stdin is not None else None, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            _kill_group(proc)
            raise ToolTimeoutError(
                f"{Path(argv0).name} did not finish within {timeout:g} s and was stopped",
                argv0=argv0,
                stderr=_read(err, 64 * 1024),
            ) from e
        except BaseException:
            _kill_group(proc)
            raise
        duration = time.monotonic() - started
        size = out.seek(0, os.SEEK_END)
        if size > max_output:
            raise ToolFailedError(
                f"{Path(argv0).name} printed {size} bytes, more than the {max_output} "
                "secscan reads",
                argv0=argv0,
                returncode=proc.returncode,
            )
        stdout = _read(out, max_output)
        stderr = _read(err, 1024 * 1024)
    code = proc.returncode
    if code < 0:
        name = (
            signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        )
        raise ToolFailedError(
            f"{Path(argv0).name} was killed by signal {name}",
            argv0=argv0,
            returncode=code,
            stderr=stderr,
        )
    if code not in ok_codes:
        raise ToolFailedError(
            f"{Path(argv0).name} exited with code {code}",
            argv0=argv0,
            returncode=code,
            stderr=stderr,
        )
    return Completed(tuple(argv), code, stdout, stderr, duration)


def _read(fh: IO[bytes], limit: int) -> str:
    fh.seek(0)
    return fh.read(limit).decode("utf-8", errors="replace")


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
