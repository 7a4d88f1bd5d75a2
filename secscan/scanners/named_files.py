"""The files a config names for a scanner to read, refused before the scanner reads them."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path

from secscan.errors import ConfigError
from secscan.scanners.base import HasOptions
from secscan.settings.config import Config
from secscan.util import files as _files
from secscan.util.yamlio import alias_bomb


def check_named_files(config: Config, judges: Mapping[str, Sequence[HasOptions]]) -> None:
    """Every file or directory a scanner option names (semgrep rules, a plugin's checks
    file) and the advisory mirror: a regular file or a directory of them, no symbolic link,
    no device, FIFO or socket, bounded in size. The scanner itself reads these (semgrep
    would read `/dev/zero` until the machine runs out of memory): refused before it runs,
    exit 2 naming the file and the setting. `judges`: each section's owners, which say
    which of its options name files."""
    for key, owners in sorted(judges.items()):
        if key not in config.SECTIONS:
            continue
        opts = config.section(key)
        for owner in owners:
            for name, entries in owner.option_files(opts).items():
                for entry in entries:
                    _check_option_file(config, entry, f"{key}.{name}")
    for key, value in (
        ("policy", config.policy),
        ("waivers", config.waivers),
        ("baseline", config.baseline),
        ("advisories.db", config.advisories.db),
    ):
        p = config.resolve(value)
        why = _files.link_above(p, config.base_dir) if p and config.base_dir else None
        if why is not None:
            raise ConfigError(why, path=str(p), key=key)
    _check_advisory_db(config)


def _check_option_file(config: Config, entry: str, key: str) -> None:
    """One entry of a scanner option: refused unless a regular file or directory inside."""
    p = config.resolve(entry)
    if p is None:
        return
    why = _files.refusal(p, directory=True)
    if why is None and config.base_dir is not None:
        why = _files.link_above(p, config.base_dir)
    if why is not None:
        raise ConfigError(why, path=str(p), key=key)
    _no_alias_bomb(p, key)


def _check_advisory_db(config: Config) -> None:
    """`advisories.db`, when it exists, is a directory."""
    db = config.resolve(config.advisories.db)
    if db is not None and os.path.lexists(db):
        st = os.lstat(db)
        if not stat.S_ISDIR(st.st_mode):
            raise ConfigError(
                f"is {_files.kind(st.st_mode)}, not a directory: refused",
                path=str(db),
                key="advisories.db",
            )


def _no_alias_bomb(path: Path, key: str) -> None:
    """A YAML file (or the YAML files of a directory) the tool parses itself: one whose
    aliases expand past `_yaml.MAX_EXPANDED_NODES` is refused before the tool expands it."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
    else:
        files = [path] if path.suffix in (".yaml", ".yml") else []
    for f in files:
        if not f.is_file():
            continue
        why = alias_bomb(_files.read_text(f))
        if why is not None:
            raise ConfigError(why, path=str(f), key=key)
