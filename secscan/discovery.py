"""Which files under the scan root are in scope, and which were deliberately not read."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

from secscan.config import Config
from secscan.findings import NotAnalyzed

#: Never scanned: VCS data, virtualenvs, caches, and our own output.
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


@dataclass(frozen=True, slots=True)
class FileSet:
    files: tuple[str, ...]
    skipped: tuple[NotAnalyzed, ...]


def discover(root: Path, config: Config, explicit: Sequence[str] | None = None) -> FileSet:
    """Walk root without following links; with `explicit`, consider only those files."""
    root = root.resolve()
    exclude = pathspec.GitIgnoreSpec.from_lines([*DEFAULT_EXCLUDES, *config.exclude])
    include = pathspec.GitIgnoreSpec.from_lines(config.include) if config.include else None
    max_bytes = int(config.max_file_size_mb * 1024 * 1024)
    files: list[str] = []
    skipped: list[NotAnalyzed] = []

    def consider(rel: str) -> None:
        if exclude.match_file(rel) or (include is not None and not include.match_file(rel)):
            return
        path = root / rel
        if path.is_symlink():
            reason = _symlink_reason(path, root)
            if reason:
                skipped.append(NotAnalyzed(rel, reason))
            return
        try:
            size = path.stat().st_size
        except OSError as e:
            skipped.append(NotAnalyzed(rel, f"cannot read: {e.strerror}"))
            return
        if size > max_bytes:
            skipped.append(
                NotAnalyzed(rel, f"larger than max_file_size_mb ({config.max_file_size_mb:g} MB)")
            )
            return
        files.append(rel)

    if explicit is not None:
        for given in explicit:
            p = Path(given)
            p = p if p.is_absolute() else Path.cwd() / p
            try:
                rel = p.absolute().relative_to(root).as_posix()
            except ValueError:
                skipped.append(NotAnalyzed(given, "outside the scan root"))
                continue
            if os.path.lexists(root / rel) and not (root / rel).is_dir():
                consider(rel)
    else:
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            reldir = Path(dirpath).relative_to(root).as_posix()
            prefix = "" if reldir == "." else reldir + "/"
            kept = []
            for d in sorted(dirnames):
                rel = prefix + d
                full = Path(dirpath) / d
                if full.is_symlink():
                    reason = _symlink_reason(full, root)
                    if reason and not exclude.match_file(rel + "/"):
                        skipped.append(NotAnalyzed(rel, reason))
                    continue
                if not exclude.match_file(rel + "/"):
                    kept.append(d)
            dirnames[:] = kept
            for name in sorted(filenames):
                consider(prefix + name)
    return FileSet(tuple(sorted(files)), tuple(sorted(skipped, key=lambda s: s.path)))


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
