"""Where a path a trusted input names lies relative to the scanned tree.

The scanned tree is the scan root and, in git, its work tree's top level. A file a trusted
input names (a tools lock, an advisory mirror) that lies in it, as named or where its links
lead, is written by the change under review: the tree would choose what it is held to.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from secscan.workspace import vcs

__all__ = ["in_tree", "inside", "trees_of"]


def trees_of(root: Path) -> tuple[Path, ...]:
    """The scanned tree: the scan root and, in git, its work tree's top level."""
    root = root.resolve()
    top = vcs.toplevel(root)
    return (root,) if top is None or top == root else (root, top)


def _named(path: Path) -> Path:
    """`path` as named: absolute and normalised, links not followed."""
    return Path(os.path.normpath(path.expanduser().absolute()))


def in_tree(path: Path, tree: Path) -> Path | None:
    """Where `path` is in `tree`, as named or where its links lead, relative to it (None:
    neither is in it)."""
    tree = tree.resolve()
    for place in (_named(path), _named(path).resolve()):
        if place.is_relative_to(tree):
            return place.relative_to(tree)
    return None


def inside(path: Path, trees: Iterable[Path]) -> bool:
    """Whether `path`, as named or where its links lead, is in any of `trees`."""
    return any(in_tree(path, tree) is not None for tree in trees)
