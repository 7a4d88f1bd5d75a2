"""Which files under the scan root are in scope, and which were deliberately not read."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISLNK, S_ISREG

import pathspec

from secscan.model.findings import Authority, Excluded, NotAnalyzed
from secscan.model.targets import SHEBANG_BYTES, has_suffix, names_python
from secscan.settings.config import Config
from secscan.util import files as _files
from secscan.workspace import vcs

#: The directory names never scanned when they are what the name says: VCS data,
#: virtualenvs, installed packages, tool caches, and our own output. A directory of one of
#: these names without its marker is scanned like any other, and every one left out is
#: reported with its reason.
DEFAULT_EXCLUDES = (
    ".git/",
    ".hg/",
    ".svn/",
    "node_modules/",
    ".venv/",
    "venv/",
    "__pycache__/",
    ".tox/",
    ".nox/",
    ".mypy_cache/",
    ".pytest_cache/",
    ".ruff_cache/",
    "secscan-reports/",
)
#: https://bford.info/cachedir/: the first bytes of a CACHEDIR.TAG.
CACHEDIR_SIGNATURE = b"Signature: 8a477f597d28d172789f06886806bc55"
#: What npm, yarn and pnpm leave in a node_modules they installed.
_NODE_MARKERS = (".package-lock.json", ".yarn-integrity", ".modules.yaml", ".yarn-state.yml")
_NOT_UTF8 = "file name is not valid UTF-8: not scanned (rename it)"
#: A link inside the root is never followed: what it points at is scanned at its own path.
_INSIDE_LINK = (
    "symbolic link inside the scan root: not followed (its target is scanned where it is)"
)
_BY_CONFIG = ("excluded by the config", "not matched by the config's include")
_REPORT_SUFFIXES = (".json", ".sarif", ".html", ".md", ".xml", ".txt", ".csv")


@dataclass(frozen=True, slots=True)
class FileSet:
    files: tuple[str, ...]
    skipped: tuple[NotAnalyzed, ...]
    excluded: tuple[Excluded, ...] = ()
    #: Files without a suffix whose shebang names Python: Python tools read them too.
    python_scripts: tuple[str, ...] = ()


def discover(root: Path, config: Config, explicit: Sequence[str] | None = None) -> FileSet:
    """Walk root without following links; with `explicit`, consider only those files.

    A marker-based default exclusion (a virtualenv's pyvenv.cfg, CACHEDIR.TAG, ...) leaves
    out only files git does not track: a marker is something the tree writes, so a tracked
    file beside one is scanned like any other. A submodule not checked out at its recorded
    commit is not analyzed, and says why.
    """
    walk = _Walk(root.resolve(), config)
    if explicit is not None:
        walk.given(explicit)
    else:
        walk.everything()
    return walk.result()


class _Walk:
    """One discovery: the settings it applies and every file's outcome so far."""

    def __init__(self, root: Path, config: Config) -> None:
        self.root = root
        self.base = str(root)
        self.config = config
        self.tracked = vcs.tracking(root)
        self.submodules = self.tracked.submodules if self.tracked is not None else {}
        #: Folders a marker excludes that hold tracked files: only their untracked files go.
        self.marked: dict[str, str] = {}
        patterns = [p for p in config.exclude if p.strip() and not p.lstrip().startswith("#")]
        exclude = pathspec.GitIgnoreSpec.from_lines(patterns)
        self.by_config = _config_reason(exclude, patterns, config.source)
        self.include = pathspec.GitIgnoreSpec.from_lines(config.include) if config.include else None
        self.where = f" in {config.source}" if config.source else ""
        self.max_bytes = int(config.max_file_size_mb * 1024 * 1024)
        self.files: list[str] = []
        self.scripts: list[str] = []
        self.skipped: list[NotAnalyzed] = []
        self.excluded: dict[str, str] = {}

    def result(self) -> FileSet:
        return FileSet(
            tuple(sorted(self.files)),
            tuple(sorted(set(self.skipped), key=lambda s: s.path)),
            tuple(
                Excluded(p, self.excluded[p], _authority(self.excluded[p]))
                for p in sorted(self.excluded)
            ),
            tuple(sorted(self.scripts)),
        )

    def everything(self) -> None:
        """Every file under the root, leaving out the directories `dir_reason` names."""
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=False):
            reldir = Path(dirpath).relative_to(self.root).as_posix()
            prefix = "" if reldir == "." else reldir + "/"
            dirnames[:] = [d for d in sorted(dirnames) if self.enter(prefix + d, Path(dirpath) / d)]
            for name in sorted(filenames):
                self.consider(prefix + name)

    def enter(self, rel: str, full: Path) -> bool:
        """Whether the walk goes into a directory; if not, what becomes of it is recorded."""
        if not _utf8(full.name):
            self.skipped.append(NotAnalyzed(shown_path(rel), _NOT_UTF8))
            return False
        if full.is_symlink():
            reason = _symlink_reason(full, self.root)
            if reason and self.by_config(rel + "/") is None:
                self.skipped.append(NotAnalyzed(rel, reason))
            else:
                self.excluded[rel] = self.by_config(rel + "/") or _INSIDE_LINK
            return False
        if rel in self.submodules:
            self.skipped.append(NotAnalyzed(rel, self.submodules[rel]))
            return False
        reason = self.dir_reason(rel)
        if reason is not None:
            self.excluded[rel] = reason
        return reason is None

    def given(self, explicit: Sequence[str]) -> None:
        """Only the files given, each as the walk would have judged it."""
        verdicts: dict[str, str | None] = {}
        for given in explicit:
            p = Path(given)
            p = p if p.is_absolute() else Path.cwd() / p
            try:
                rel = p.absolute().relative_to(self.root).as_posix()
            except ValueError:
                self.skipped.append(NotAnalyzed(shown_path(given), "outside the scan root"))
                continue
            module = rel if rel in self.submodules else _marked_parent(rel, self.submodules)
            if module is not None:
                self.skipped.append(NotAnalyzed(module, self.submodules[module]))
                continue
            if not os.path.lexists(self.root / rel) or (self.root / rel).is_dir():
                continue
            parent = _excluded_parent(rel, self.dir_reason, verdicts)
            if parent is not None:
                self.excluded[parent] = verdicts[parent] or ""
                continue
            self.consider(rel)

    def dir_reason(self, rel: str) -> str | None:
        """Why a directory is left out (the config, a default exclusion), or None."""
        configured = self.by_config(rel + "/")
        if configured is not None:
            return configured
        if rel in self.submodules:
            return None
        marker = default_exclusion(self.root / rel)
        if marker is not None and self.tracked is not None and self.tracked.holds_tracked(rel):
            self.marked[rel] = f"{marker}: untracked files only (the tracked ones are scanned)"
            return None
        return marker

    def consider(self, rel: str) -> None:
        """Record one file's outcome: kept, skipped or excluded."""
        if not _utf8(rel):
            self.skipped.append(NotAnalyzed(shown_path(rel), _NOT_UTF8))
            return
        left_out = self.left_out(rel)
        if left_out is not None:
            path, reason = left_out
            self.excluded[path] = reason
            return
        # One lstat per file (7,000 in a Django-size tree): a link is told by its mode, and
        # any other file's lstat is its stat.
        try:
            st = os.lstat(os.path.join(self.base, rel))
        except OSError as e:
            self.skipped.append(NotAnalyzed(rel, f"cannot read: {e.strerror}"))
            return
        if S_ISLNK(st.st_mode):
            outside = _symlink_reason(self.root / rel, self.root)
            if outside:
                self.skipped.append(NotAnalyzed(rel, outside))
            else:
                self.excluded[rel] = _INSIDE_LINK
            return
        self.keep(rel, st)

    def left_out(self, rel: str) -> tuple[str, str] | None:
        """(the path left out, why) when the config or a marked folder leaves a file out: the
        folder stands for its untracked files."""
        reason = self.by_config(rel)
        if reason is not None:
            return rel, reason
        if self.marked and self.tracked is not None and not self.tracked.tracks(rel):
            folder = _marked_parent(rel, self.marked)
            if folder is not None:
                return folder, self.marked[folder]
        if self.include is not None and not self.include.match_file(rel):
            return rel, f"not matched by the config's include{self.where}"
        return None

    def keep(self, rel: str, st: os.stat_result) -> None:
        """A file that is not a link: kept unless too large; a Python script if its shebang
        says so."""
        size = st.st_size
        if size > self.max_bytes:
            self.skipped.append(
                NotAnalyzed(
                    rel, f"larger than max_file_size_mb ({self.config.max_file_size_mb:g} MB)"
                )
            )
            return
        self.files.append(rel)
        if size and S_ISREG(st.st_mode) and not has_suffix(rel):
            if _shebang_python(os.path.join(self.base, rel)):
                self.scripts.append(rel)


def python_scripts(root: Path, paths: Sequence[str]) -> frozenset[str]:
    """Which of `paths` (relative to root) are regular files without a suffix whose
    shebang names Python."""
    out = set()
    for rel in paths:
        full = os.path.join(root, rel)
        try:
            st = os.lstat(full)
        except OSError:
            continue
        if S_ISREG(st.st_mode) and st.st_size and not has_suffix(rel) and _shebang_python(full):
            out.add(rel)
    return frozenset(out)


def _shebang_python(path: str) -> bool:
    try:
        with _files.open_regular(Path(path)) as fh:
            return names_python(fh.read(SHEBANG_BYTES))
    except OSError:
        return False


def _authority(reason: str) -> Authority:
    return Authority.CONFIG if reason.startswith(_BY_CONFIG) else Authority.DEFAULT


def shown_path(rel: str) -> str:
    """A path as text every report can hold: undecodable bytes as \\xNN escapes."""
    return os.fsencode(rel).decode("utf-8", "backslashreplace")


def _utf8(name: str) -> bool:
    # os.walk hands undecodable bytes over as lone surrogates (surrogateescape): no tool
    # argument, results file or report could carry them.
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def default_exclusion(path: Path) -> str | None:
    """Why a directory is left out by default, or None: only when it is what its name says."""
    marked = _MARKED_BY_NAME.get(path.name)
    if marked is None:
        return None
    try:
        return marked(path)
    except OSError:
        return None


def _vcs_data(path: Path) -> str | None:
    marker = {".git": "HEAD", ".hg": "requires", ".svn": "wc.db"}[path.name]
    return f"version-control data ({path.name}/{marker})" if _is_file(path / marker) else None


def _virtualenv(path: Path) -> str | None:
    if _is_file(path / "pyvenv.cfg"):
        return "Python virtual environment (pyvenv.cfg)"
    return None


def _test_environments(path: Path) -> str | None:
    envs = [d for d in path.iterdir() if d.is_dir() and not d.is_symlink()]
    if any(_is_file(d / "pyvenv.cfg") for d in envs):
        return f"{path.name[1:]} environments (pyvenv.cfg)"
    return None


def _bytecode_cache(path: Path) -> str | None:
    entries = list(path.iterdir())
    if all(e.is_file() and e.suffix == ".pyc" for e in entries):
        return "Python bytecode cache (only .pyc files)"
    return None


def _tool_cache(path: Path) -> str | None:
    return "tool cache (CACHEDIR.TAG)" if _cachedir_tag(path) else None


def _own_reports(path: Path) -> str | None:
    entries = list(path.iterdir())
    if _is_file(path / "secscan-results.json") and all(
        e.is_file() and not e.is_symlink() and e.suffix in _REPORT_SUFFIXES for e in entries
    ):
        return "secscan's own reports (secscan-results.json, report files only)"
    return None


def _node_modules(path: Path) -> str | None:
    for marker in _NODE_MARKERS:
        if _is_file(path / marker):
            return f"installed Node packages ({marker})"
    for d in path.iterdir():
        if not d.is_dir() or d.is_symlink():
            continue
        if _is_file(d / "package.json"):
            return "installed Node packages (package.json in the packages)"
        if d.name.startswith("@") and any(_is_file(s / "package.json") for s in d.iterdir()):
            return "installed Node packages (package.json in the packages)"
    return None


def _is_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def _cachedir_tag(path: Path) -> bool:
    tag = path / "CACHEDIR.TAG"
    if not _is_file(tag):
        return False
    with tag.open("rb") as fh:
        return fh.read(len(CACHEDIR_SIGNATURE)) == CACHEDIR_SIGNATURE


#: Directory name -> what tells that the directory is what its name says (DEFAULT_EXCLUDES).
_MARKED_BY_NAME: dict[str, Callable[[Path], str | None]] = {
    ".git": _vcs_data,
    ".hg": _vcs_data,
    ".svn": _vcs_data,
    "venv": _virtualenv,
    ".venv": _virtualenv,
    ".tox": _test_environments,
    ".nox": _test_environments,
    "node_modules": _node_modules,
    "__pycache__": _bytecode_cache,
    ".mypy_cache": _tool_cache,
    ".pytest_cache": _tool_cache,
    ".ruff_cache": _tool_cache,
    "secscan-reports": _own_reports,
}


def _config_reason(
    spec: pathspec.GitIgnoreSpec, patterns: Sequence[str], source: str | None
) -> Callable[[str], str | None]:
    where = f" in {source}" if source else ""

    def reason(rel: str) -> str | None:
        if not patterns or not spec.match_file(rel):
            return None
        hits = [p for p in patterns if pathspec.GitIgnoreSpec.from_lines([p]).match_file(rel)]
        named = ", ".join(repr(p) for p in hits) or repr(patterns[0])
        return f"excluded by the config{where}: {named}"

    return reason


def _marked_parent(rel: str, folders: Mapping[str, str]) -> str | None:
    """The folder of `folders` that `rel` is in, if any."""
    parts = rel.split("/")[:-1]
    for i in range(1, len(parts) + 1):
        d = "/".join(parts[:i])
        if d in folders:
            return d
    return None


def _excluded_parent(
    rel: str, dir_reason: Callable[[str], str | None], verdicts: dict[str, str | None]
) -> str | None:
    """The outermost excluded directory above an explicitly given file, if any."""
    parts = rel.split("/")[:-1]
    for i in range(1, len(parts) + 1):
        d = "/".join(parts[:i])
        if d not in verdicts:
            verdicts[d] = dir_reason(d)
        if verdicts[d] is not None:
            return d
    return None


def _symlink_reason(path: Path, root: Path) -> str | None:
    """Links are never followed; the ones that lead out of the root are worth telling."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return "broken or looping symbolic link: not followed"
    try:
        target.relative_to(root)
    except ValueError:
        return "symbolic link to outside the scan root: not followed"
    return None
