"""Which repository and branch a scan belongs to, asked of git; never with credentials."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from secscan.errors import ToolError
from secscan.model.redact import mask_name
from secscan.util import proc as _subprocess
from secscan.workspace import vcs

#: CI systems check out a detached HEAD and say the branch in the environment.
_BRANCH_ENV = ("GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_COMMIT_REF_NAME", "BRANCH_NAME")


def _git(root: Path, *args: str) -> str | None:
    git = _subprocess.which("git")
    if git is None:
        return None
    try:
        done = _subprocess.run(
            [git, "-C", str(root), *args], timeout=vcs.GIT_TIMEOUT, env=vcs.GIT_ENV
        )
    except ToolError:
        return None
    out = done.stdout.strip()
    return out or None


def without_credentials(url: str) -> str:
    """A remote URL with any user name, password or token taken out (https://user:tok@host/x
    is recorded as https://host/x): the history database is no place for a credential."""
    if "://" not in url:
        # scp-like git@host:path: the user name is an account name, not a secret.
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def identity(root: Path) -> str:
    """The repository's remote URL (origin) without credentials, else its top directory."""
    remote = _git(root, "remote", "get-url", "origin")
    if remote:
        return mask_name(without_credentials(remote))
    top = vcs.toplevel(root)
    return mask_name(str(top or root.resolve()))


def branch(root: Path) -> str | None:
    """The branch, with a token in its name masked (`feature/sk_live_…`): the history
    database, `history list` and `export` are outputs too."""
    name = _git(root, "rev-parse", "--abbrev-ref", "HEAD")
    if name and name != "HEAD":
        return mask_name(name)
    env = next((os.environ[v] for v in _BRANCH_ENV if os.environ.get(v)), None)
    return mask_name(env) if env else None


def commit_date(root: Path, commit: str | None) -> datetime | None:
    """When a commit was made (its committer date), to order backfilled runs."""
    if not commit or commit.startswith("-"):
        return None
    out = _git(root, "show", "-s", "--format=%cI", f"{commit}^{{commit}}", "--")
    if out is None:
        return None
    try:
        return datetime.fromisoformat(out.splitlines()[0])
    except ValueError:
        return None
