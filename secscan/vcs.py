"""git, asked through the one process wrapper: top level, merge base, changed files, old trees."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from secscan import _subprocess
from secscan.errors import ToolError, UsageError

#: git answers these in well under a second; a hung git (a lock, a prompt) must not hang CI.
GIT_TIMEOUT = 120.0
#: git must never prompt (credentials, editors) nor page: secscan runs unattended.
GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "GIT_OPTIONAL_LOCKS": "0"}


def _git() -> str:
    git = _subprocess.which("git")
    if git is None:
        raise UsageError("git is not installed, and this needs it")
    return git


def _run(cwd: Path, *args: str) -> str:
    try:
        done = _subprocess.run([_git(), "-C", str(cwd), *args], timeout=GIT_TIMEOUT, env=GIT_ENV)
    except ToolError as e:
        raise UsageError(f"git {args[0]} failed in {cwd}: {e.diagnostics()}") from e
    return done.stdout


def toplevel(cwd: Path) -> Path | None:
    """The work tree's top directory, or None outside a git work tree (or without git)."""
    if _subprocess.which("git") is None:
        return None
    try:
        done = _subprocess.run(
            [_git(), "-C", str(cwd), "rev-parse", "--show-toplevel"],
            timeout=GIT_TIMEOUT,
            env=GIT_ENV,
        )
    except ToolError:
        return None
    top = done.stdout.strip()
    return Path(top).resolve() if top else None


def merge_base(repo: Path, ref: str) -> str:
    """The commit HEAD and `ref` share: what the branch started from, not what `ref` is now."""
    if ref.startswith("-"):
        raise UsageError(f"not a git revision: {ref!r}")
    try:
        _run(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except UsageError as e:
        raise UsageError(
            f"--new-since {ref}: no such commit in {repo} (in CI, fetch it first, e.g. "
            f"`git fetch origin {ref}` or a checkout with full history)"
        ) from e
    try:
        out = _run(repo, "merge-base", ref, "HEAD").strip()
    except UsageError as e:
        raise UsageError(
            f"--new-since {ref}: it shares no history with HEAD (a shallow clone? fetch more "
            f"history, e.g. `git fetch --unshallow`)"
        ) from e
    return out


def changed_files(repo: Path, base: str) -> dict[str, str | None]:
    """Files that differ between `base` and the work tree (committed or not), relative to the
    top level: each current path, with the path it had at `base` when git saw it renamed.
    Deleted files are left out (nothing to scan).
    """
    out = _run(repo, "diff", "--name-status", "-M", "--diff-filter=d", "-z", base, "--")
    fields = out.split("\0")
    changes: dict[str, str | None] = {}
    i = 0
    while i < len(fields) and fields[i]:
        status = fields[i]
        if status[:1] in ("R", "C"):  # rename or copy: old path, then new path
            old, new = fields[i + 1], fields[i + 2]
            changes[new] = old if status[:1] == "R" else None
            i += 3
        else:
            changes[fields[i + 1]] = None
            i += 2
    # Files git does not track yet are changes too (CI rarely has them; a laptop often does).
    untracked = _run(repo, "ls-files", "--others", "--exclude-standard", "-z")
    for p in untracked.split("\0"):
        if p:
            changes.setdefault(p, None)
    return dict(sorted(changes.items()))


@contextlib.contextmanager
def checkout(repo: Path, commit: str) -> Iterator[Path]:
    """A read-only copy of `commit`'s tree in a temporary directory, removed afterwards.

    `git worktree add` shares the object store, so this costs a checkout, not a clone; the
    worktree is unregistered again even when the scan in between fails.
    """
    tmp = Path(tempfile.mkdtemp(prefix="secscan-base-"))
    tree = tmp / "tree"
    _run(repo, "worktree", "add", "--detach", "--quiet", str(tree), commit)
    try:
        yield tree
    finally:
        with contextlib.suppress(UsageError):
            _run(repo, "worktree", "remove", "--force", str(tree))
        shutil.rmtree(tmp, ignore_errors=True)
        with contextlib.suppress(UsageError):
            _run(repo, "worktree", "prune")
