"""Where a judged run reads its local advisory mirror (and the EPSS/KEV data in it) from.

A mirror in the tree under review is written by the change being judged: it could drop the
advisory a new dependency has, or the KEV entry that fails `release`. A mirror the tree's own
config names is a tree setting like any other (warned about, or under `ci --new-since` read
from the merge base, as its config is). This module covers the mirror a *trusted* input
names (`--advisory-db`, a `--config` outside the tree, an absolute path in the base's
config): when it lies in the scanned tree, as named or where its links lead, it is read from
the merge base's committed copy under `ci --new-since`, and refused (exit 2) otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from secscan.advisories.exploits import EPSS_FILE, EXPLOITS_DIR, KEV_FILE
from secscan.errors import ConfigError
from secscan.settings.config import Config
from secscan.workspace.bounds import in_tree

__all__ = ["at_base", "checked"]


def _data_in(db: Path, tree: Path) -> bool:
    """Whether the exploit data of the mirror `db` (its folder or files) leads into `tree`."""
    data = db / EXPLOITS_DIR
    return any(in_tree(p, tree) is not None for p in (data, data / EPSS_FILE, data / KEV_FILE))


def _refused(db: Path, key: str, why: str) -> ConfigError:
    return ConfigError(
        f"the local advisory mirror {why}, which the change under review can write "
        "(it could drop advisories or exploit data): refused; keep the mirror outside the "
        "scanned tree, or gate with `ci --new-since` to read the merge base's copy",
        path=str(db),
        key=key,
    )


def checked(db: Path | None, trees: Sequence[Path], key: str) -> Path | None:
    """`db` as a trusted input named it, when neither it nor its exploit data is in the
    scanned tree; else exit 2 naming it (there is no base to read a committed copy from)."""
    if db is None:
        return None
    for tree in trees:
        rel = in_tree(db, tree)
        if rel is not None:
            raise _refused(db, key, f"is in the scanned tree ({rel.as_posix() or '.'})")
        if _data_in(db, tree):
            raise _refused(db, key, f"keeps its exploit data ({EXPLOITS_DIR}) in the scanned tree")
    return db


def at_base(config: Config, head_top: Path, base_top: Path) -> tuple[Config, Path | None]:
    """`ci --new-since`: the trusted config with its mirror read from the merge base when it
    names one in the tree under review (`head_top`, the work tree's top level; the base is
    exported at `base_top`), and that copy (None: unchanged). A mirror in the base's own
    checkout is already its committed copy; one, or exploit data, that leads into the tree
    under review and that the base has no copy of is refused (exit 2)."""
    db = config.resolve(config.advisories.db)
    if db is None:
        return config, None
    rel = None if in_tree(db, base_top) is not None else in_tree(db, head_top)
    copy = base_top / rel if rel is not None else db
    if rel is not None and not copy.is_dir():
        raise _refused(db, "advisories.db", "is in the tree under review and the merge base "
                       f"has no committed copy of it ({rel.as_posix() or '.'})")  # fmt: skip
    if in_tree(copy, head_top) is not None or _data_in(copy, head_top):
        raise _refused(db, "advisories.db", "leads into the tree under review")
    if rel is None:
        return config, None
    advisories = config.advisories.model_copy(update={"db": str(copy)})
    return config.model_copy(update={"advisories": advisories}), copy
