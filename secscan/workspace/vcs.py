"""git, asked through the one process wrapper: top level, merge base, changed files, old trees.

The repository is the scanned tree's, so its `.git/config` and hooks are untrusted: every call
here runs git with settings that stop it from running anything the repository names (see
`guarded`), and the merge base is exported with `read-tree` + `checkout-index` into a
temporary index and directory, never with a checkout that would run hooks or register a
worktree in the repository.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from secscan.errors import ToolError, UsageError
from secscan.util import proc as _subprocess

#: git answers these in well under a second; a hung git (a lock, a prompt) must not hang CI.
GIT_TIMEOUT = 120.0
#: git must never prompt (credentials, editors) nor page, and reads no system or global
#: config (`safe.directory` excepted, carried over below): secscan runs unattended.
GIT_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_PAGER": "cat",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_ATTR_NOSYSTEM": "1",
    "GIT_EXTERNAL_DIFF": "",
    "GIT_ASKPASS": "",
    "SSH_ASKPASS": "",
}
#: Command-line config wins over every config file, the repository's included. Each names a
#: command git would otherwise run from the repository's config: the fsmonitor hook, every
#: hook (post-checkout, reference-transaction, ...), the pager, the credential helpers, any
#: transport. `filter.<driver>.*` is added per driver the repository configures (`_filters`).
GUARD = (
    "core.fsmonitor=false",
    "core.hooksPath=" + os.devnull,
    "core.untrackedCache=false",
    "core.pager=cat",
    "core.askPass=",
    "credential.helper=",
    "protocol.allow=never",
    "diff.external=",
    "core.alternateRefsCommand=",
)
#: The keys of a filter driver that name a command (clean/smudge/process) or make a
#: missing one fatal (required).
_FILTER_KEYS = ("clean", "smudge", "process")


def _git() -> str:
    git = _subprocess.which("git")
    if git is None:
        raise UsageError("git is not installed, and this needs it")
    return git


@functools.cache
def _safe_directories() -> tuple[str, ...]:
    """`safe.directory` entries of the user's own (system and global) config: the one
    setting from there a guarded call still needs, or git refuses a checkout that another
    user owns (a CI container's workspace)."""
    found: list[str] = []
    for scope in ("--system", "--global"):
        try:
            done = _subprocess.run(
                [_git(), "config", scope, "--null", "--get-all", "safe.directory"],
                ok_codes=(0, 1),
                timeout=GIT_TIMEOUT,
                cwd=Path(os.sep),
                env={"GIT_TERMINAL_PROMPT": "0"},
            )
        except ToolError:
            continue
        found.extend(v for v in done.stdout.split("\0") if v)
    return tuple(dict.fromkeys(found))


def _config_args(extra: Sequence[str] = ()) -> list[str]:
    args: list[str] = []
    for item in (*GUARD, *(f"safe.directory={d}" for d in _safe_directories()), *extra):
        args += ["-c", item]
    return args


def _call(
    cwd: Path,
    args: Sequence[str],
    *,
    extra: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    ok_codes: Sequence[int] = (0,),
) -> str:
    try:
        done = _subprocess.run(
            [_git(), *_config_args(extra), "-C", str(cwd), *args],
            timeout=GIT_TIMEOUT,
            env={**GIT_ENV, **(env or {})},
            ok_codes=ok_codes,
        )
    except ToolError as e:
        raise UsageError(f"git {args[0]} failed in {cwd}: {e.diagnostics()}") from e
    return done.stdout


def _filters(cwd: Path) -> tuple[str, ...]:
    """`-c` settings that switch off every filter driver the repository's config defines:
    `.gitattributes` (the tree's) picks a driver, the config (also the tree's) names its
    command, and git runs it on checkout (smudge) and whenever it hashes a work-tree file
    (clean). An empty command means "no filter"; `required=false` keeps that from failing.
    """
    out = _call(cwd, ["config", "--null", "--get-regexp", r"^filter\."], ok_codes=(0, 1))
    names: set[str] = set()
    for item in out.split("\0"):
        key = item.split("\n", 1)[0]
        section, _, rest = key.partition(".")
        name, _, _ = rest.rpartition(".")
        if section.lower() == "filter" and name:
            names.add(name)
    return tuple(
        setting
        for name in sorted(names)
        for setting in (
            *(f"filter.{name}.{k}=" for k in _FILTER_KEYS),
            f"filter.{name}.required=false",
        )
    )


def _run(cwd: Path, *args: str) -> str:
    return _call(cwd, args)


def toplevel(cwd: Path) -> Path | None:
    """The work tree's top directory, or None outside a git work tree (or without git)."""
    if _subprocess.which("git") is None:
        return None
    try:
        top = _run(cwd, "rev-parse", "--show-toplevel").strip()
    except UsageError:
        return None
    return Path(top).resolve() if top else None


def head_commit(cwd: Path) -> str | None:
    """HEAD's commit id, or None outside git (a results file records it when it can)."""
    if _subprocess.which("git") is None:
        return None
    try:
        sha = _run(cwd, "rev-parse", "HEAD").strip()
    except UsageError:
        return None
    return sha or None


#: ScanResult.metadata keys naming where the scan root is in its repository (SARIF reads them).
TOPLEVEL_KEY = "vcs.toplevel"
REPOSITORY_KEY = "vcs.repository"
BRANCH_KEY = "vcs.branch"


def provenance(cwd: Path) -> tuple[tuple[str, str], ...]:
    """The work tree's top directory, its `origin` URL (credentials removed) and branch, as
    results metadata; empty outside git. Reports place paths relative to the repository."""
    top = toplevel(cwd)
    if top is None:
        return ()
    out = [(TOPLEVEL_KEY, str(top))]
    try:
        url = public_url(_run(cwd, "config", "--get", "remote.origin.url").strip())
    except UsageError:
        url = None
    if url:
        out.append((REPOSITORY_KEY, url))
    try:
        branch = _run(cwd, "symbolic-ref", "--quiet", "--short", "HEAD").strip()
    except UsageError:
        branch = ""  # detached HEAD (CI checkouts): no branch
    if branch:
        out.append((BRANCH_KEY, branch))
    return tuple(out)


_SCP_LIKE = re.compile(r"^(?:[^@/\s]+@)?(?P<host>[A-Za-z0-9.-]+):(?P<path>[^/\s][^\s]*)$")


def public_url(url: str) -> str | None:
    """A remote URL fit to publish in a report: user, password or token, query and fragment
    dropped; an scp-like `git@host:org/repo.git` as `ssh://host/org/repo.git`; None for
    anything else (a local path says nothing to a reader elsewhere)."""
    url = url.strip()
    m = _SCP_LIKE.match(url)
    if m and "://" not in url and len(m["host"]) > 1 and "\\" not in url:
        return f"ssh://{m['host']}/{m['path']}"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("https", "http", "ssh", "git") or not parts.hostname:
        return None
    host = parts.hostname + (f":{port}" if port else "")
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


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
    # Comparing with the work tree hashes changed files through their clean filters: off.
    out = _call(
        repo,
        [
            "diff",
            "--name-status",
            "-M",
            "--diff-filter=d",
            "-z",
            "--no-ext-diff",
            "--no-textconv",
            # A moved submodule pointer is a change (its files are listed below); what is
            # only dirty inside a submodule's own work tree is not.
            "--ignore-submodules=dirty",
            base,
            "--",
        ],
        extra=_filters(repo),
    )
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
    # A submodule whose recorded commit changed: every file it holds is a changed file.
    for path, _commit in submodules(repo):
        if path in changes:
            # Its files when it is checked out; else the submodule itself (not analyzed).
            for f in _ls(repo, "--recurse-submodules", "--", path):
                changes.setdefault(f, None)
            if len([f for f in changes if f.startswith(path + "/")]) > 0:
                del changes[path]
    return dict(sorted(changes.items()))


def uncommitted(repo: Path) -> list[str]:
    """Tracked files with changes not committed (staged or not), relative to the top level:
    what `secscan fix --apply` refuses to edit over. Hashing the work tree runs clean
    filters: off, as for changed_files."""
    out = _call(
        repo,
        ["status", "--porcelain", "-z", "--untracked-files=no", "--ignore-submodules=dirty"],
        extra=_filters(repo),
    )
    return sorted(item[3:] for item in out.split("\0") if len(item) > 3 and item[2] == " ")


def _ls(cwd: Path, *args: str) -> list[str]:
    try:
        out = _run(cwd, "ls-files", "-z", "--cached", *args)
    except UsageError:
        return []
    return [p for p in out.split("\0") if p]


def submodules(repo: Path) -> list[tuple[str, str]]:
    """(path relative to `repo`, recorded commit) of each submodule the index has."""
    try:
        out = _run(repo, "ls-files", "-z", "--stage")
    except UsageError:
        return []
    found = []
    for line in out.split("\0"):
        meta, _, path = line.partition("\t")
        fields = meta.split()
        if len(fields) == 3 and fields[0] == "160000":
            found.append((path, fields[1]))
    return found


def submodule_commit(path: Path) -> str | None:
    """The commit a submodule's work tree has checked out, or None when it has none."""
    if not (path / ".git").exists():
        return None
    try:
        return _run(path, "rev-parse", "HEAD").strip() or None
    except UsageError:
        return None


#: The trees `checkout` exported: every file in one came from a commit, so all are tracked.
_EXPORTED: set[Path] = set()


@dataclass(frozen=True, slots=True)
class Tracking:
    """Which files under a scan root git tracks."""

    #: Paths relative to the scan root (submodules' files included); None: all of them.
    files: frozenset[str] | None
    #: Folders that hold a tracked file (every ancestor of one), relative to the scan root.
    folders: frozenset[str] = frozenset()
    #: Submodule path (relative to the scan root) -> why it is not analyzed, when it is not.
    submodules: Mapping[str, str] = field(default_factory=dict)

    def tracks(self, rel: str) -> bool:
        return self.files is None or rel in self.files

    def holds_tracked(self, folder: str) -> bool:
        return self.files is None or folder in self.folders


def tracking(root: Path) -> Tracking | None:
    """What git tracks under `root`; None outside a git work tree (nothing known)."""
    root = root.resolve()
    if any(root == t or root.is_relative_to(t) for t in _EXPORTED):
        return Tracking(None)
    top = toplevel(root)
    if top is None:
        return None
    files = frozenset(_ls(root, "--recurse-submodules"))
    folders: set[str] = set()
    for f in files:
        parts = f.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            folders.add("/".join(parts[:i]))
    not_analyzed: dict[str, str] = {}
    sub = root.relative_to(top)
    for path, recorded in submodules(top):
        p = Path(path)
        if not p.is_relative_to(sub):
            continue
        rel = p.relative_to(sub).as_posix()
        now = submodule_commit(top / path)
        if now != recorded:
            state = "not checked out" if now is None else f"checked out at {now[:12]}"
            not_analyzed[rel] = (
                f"git submodule {state}, not at its recorded commit {recorded[:12]}: not "
                "analyzed (run `git submodule update --init --recursive`)"
            )
    return Tracking(files, frozenset(folders), not_analyzed)


@contextlib.contextmanager
def checkout(repo: Path, commit: str) -> Iterator[Path]:
    """A read-only copy of `commit`'s tree in a temporary directory, removed afterwards.

    Exported with `read-tree` into a temporary index and `checkout-index` from it: the object
    store is shared (no clone), the repository is not written to (no worktree registered,
    its index untouched), no hook runs (neither command has one, and hooks are off anyway)
    and no filter driver runs (each configured one is switched off), so files are their
    committed bytes.
    """
    tmp = Path(tempfile.mkdtemp(prefix="secscan-base-"))
    tree = tmp / "tree"
    tree.mkdir()
    index = {"GIT_INDEX_FILE": str(tmp / "index")}
    _EXPORTED.add(tree.resolve())
    try:
        filters = _filters(repo)
        _call(repo, ["read-tree", f"{commit}^{{tree}}"], env=index)
        _call(
            repo,
            ["--work-tree", str(tree), "checkout-index", "--all", "--force", "--quiet"],
            extra=filters,
            env=index,
        )
        yield tree
    finally:
        _EXPORTED.discard(tree.resolve())
        shutil.rmtree(tmp, ignore_errors=True)
