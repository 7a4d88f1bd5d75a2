"""Clone or fetch a fleet repository into the work directory, treating it as hostile.

The repository is untrusted: git runs none of its hooks, reads no fsmonitor or filter it
configures (secscan.util.proc guards every git call), follows no submodule, speaks only
file/https/ssh (an `ext::` URL would run a command), never prompts for a credential, fetches
one commit deep and is killed at a deadline. The work tree is reset and cleaned before every
scan, so nothing a previous checkout left behind is scanned.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from secscan.errors import SecscanError, ToolError, UsageError
from secscan.fleet.manifest import Target
from secscan.history.repository import without_credentials
from secscan.model.redact import mask_name
from secscan.util import proc

__all__ = ["CLONE_TIMEOUT", "CheckoutError", "Head", "checkout", "remote_head"]

#: A clone of one commit of a small or mid-sized repository takes seconds; a hung server or
#: a huge repository must not hold a worker.
CLONE_TIMEOUT = 600.0
LS_REMOTE_TIMEOUT = 120.0

#: Command-line config: wins over every config file.
_SAFE = (
    "core.hooksPath=" + os.devnull,
    "core.fsmonitor=false",
    "core.askPass=",
    "protocol.allow=never",
    "protocol.file.allow=always",
    "protocol.https.allow=always",
    "protocol.ssh.allow=always",
    "submodule.recurse=false",
    "fetch.recurseSubmodules=false",
    "transfer.fsckObjects=true",
    "advice.detachedHead=false",
)
_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_ALLOW_PROTOCOL": "file:https:ssh",
    "GIT_PROTOCOL_FROM_USER": "0",
    "GIT_ASKPASS": "",
    "SSH_ASKPASS": "",
    "GIT_PAGER": "cat",
    "GIT_LFS_SKIP_SMUDGE": "1",
}


class CheckoutError(SecscanError):
    """A repository could not be cloned or fetched: the fleet reports it as an error."""

    exit_code = ToolError.exit_code


@dataclass(frozen=True)
class Head:
    branch: str
    commit: str


def _git(*args: str, cwd: Path | None = None, timeout: float = CLONE_TIMEOUT) -> str:
    git = proc.which("git")
    if git is None:
        raise UsageError("git is not installed, and the fleet needs it")
    argv = [git]
    for setting in _SAFE:
        argv += ["-c", setting]
    env = dict(_ENV)
    if "GIT_SSH_COMMAND" not in os.environ:
        env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes"
    done = proc.run([*argv, *args], timeout=timeout, cwd=cwd, env=env)
    return done.stdout


def _failed(target: Target, what: str, e: ToolError) -> CheckoutError:
    """The error, with the repository named as history names it and git's last line, with
    the source URL (which could carry a credential git was given) taken out."""
    lines = (e.stderr or str(e)).strip().splitlines()
    line = next((x for x in lines if x.startswith("fatal:")), lines[-1] if lines else "").replace(
        target.source, target.identity
    )
    line = line.replace(without_credentials(target.source), target.identity)
    return CheckoutError(f"{target.identity}: git {what} failed: {mask_name(line)[:300]}")


def remote_head(target: Target) -> Head:
    """The commit the repository's branch (its default branch when none is named) is at,
    asked of the remote without cloning: an unchanged repository costs one round trip."""
    ref = f"refs/heads/{target.branch}" if target.branch else "HEAD"
    try:
        out = _git("ls-remote", "--symref", "--", target.source, ref, timeout=LS_REMOTE_TIMEOUT)
    except ToolError as e:
        raise _failed(target, "ls-remote", e) from e
    branch, commit = target.branch, None
    for line in out.splitlines():
        left, _, name = line.partition("\t")
        if left.startswith("ref: ") and name == "HEAD":
            branch = left.removeprefix("ref: ").removeprefix("refs/heads/")
        elif name == ref:
            commit = left.strip()
    if commit is None or branch is None:
        raise CheckoutError(f"{target.identity}: the remote has no {ref}")
    return Head(branch, commit)


def checkout(target: Target, head: Head, into: Path) -> Path:
    """The repository's `head` checked out (clean) at `into`; fetched when `into` already
    holds an earlier clone of it, else cloned one commit deep."""
    try:
        if (into / ".git").is_dir() and _origin(into) == target.source:
            _fetch(into, head)
        else:
            shutil.rmtree(into, ignore_errors=True)
            into.parent.mkdir(parents=True, exist_ok=True)
            _git(
                "clone",
                "--quiet",
                "--depth=1",
                "--no-tags",
                "--single-branch",
                "--no-recurse-submodules",
                f"--branch={head.branch}",
                "--",
                target.source,
                str(into),
            )
    except ToolError as e:
        raise _failed(target, "clone", e) from e
    # The branch may have moved since ls-remote: the scan records the commit it cloned.
    return into


def _origin(into: Path) -> str | None:
    try:
        return _git("remote", "get-url", "origin", cwd=into, timeout=LS_REMOTE_TIMEOUT).strip()
    except ToolError:
        return None


def _fetch(into: Path, head: Head) -> None:
    remote_ref = f"refs/remotes/origin/{head.branch}"
    _git(
        "fetch",
        "--quiet",
        "--depth=1",
        "--no-tags",
        "--no-recurse-submodules",
        "origin",
        f"+refs/heads/{head.branch}:{remote_ref}",
        cwd=into,
    )
    _git("checkout", "--quiet", "--force", "-B", head.branch, remote_ref, cwd=into)
    _git("reset", "--quiet", "--hard", remote_ref, cwd=into)
    _git("clean", "-ffdxq", cwd=into)
