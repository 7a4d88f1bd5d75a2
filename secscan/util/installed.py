"""A Python tool's version read from the files pip installed, instead of starting the tool.

`semgrep --version` is a Python start-up of seconds (9 s on a busy 2-core machine) before a
scan can compute its first cache key. When the executable is the console script pip wrote
into a virtual environment, the environment's own records prove which distribution wrote it:
the script's SHA-256 is listed in that distribution's RECORD, and its METADATA names the
version. Anything that could make the tool import other code than that distribution (an
environment that reads other site-packages, PYTHONHOME, a package of the script's name on
PYTHONPATH or beside the script, a script that is not pip's) gives None, and the caller
asks the tool itself.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.machinery
import os
import re
from collections.abc import Mapping
from pathlib import Path

#: A console script pip writes is a few hundred bytes; a bigger file is something else.
_MAX_SCRIPT_BYTES = 64 * 1024
#: The package a console script runs: `from semgrep.console_scripts.entrypoint import main`.
_IMPORT = re.compile(rb"^from ([A-Za-z_][A-Za-z0-9_]*)[.A-Za-z0-9_]* import ", re.MULTILINE)


def distribution_version(script: str, env: Mapping[str, str] | None = None) -> str | None:
    """The version of the distribution whose RECORD lists `script` with its exact hash.

    `env` is the environment the tool would run with (os.environ plus the scanner's own).
    None when that cannot be proved from files alone: run `script --version` instead.
    """
    env = os.environ if env is None else env
    if env.get("PYTHONHOME"):
        return None
    path = Path(os.path.abspath(script))
    try:
        if path.stat().st_size > _MAX_SCRIPT_BYTES:
            return None
        content = path.read_bytes()
    except OSError:
        return None
    if not content.startswith(b"#!"):
        return None
    prefix = path.parent.parent
    if not _isolated_venv(prefix):
        return None
    interpreter = content[2:].split(b"\n", 1)[0].split()
    if not interpreter or Path(os.fsdecode(interpreter[0])).parent != path.parent:
        return None  # the script runs some other environment's python
    imported = _IMPORT.search(content)
    if imported is None:
        return None
    # Python puts the script's folder, then PYTHONPATH, before site-packages: a package of
    # that name there is what would run.
    front = [str(path.parent), *env.get("PYTHONPATH", "").split(os.pathsep)]
    if any(_provides(folder, os.fsdecode(imported.group(1))) for folder in front if folder):
        return None
    digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
    found: list[str] = []
    for site in sorted(prefix.glob("lib/python3*/site-packages")):
        entry = f"{os.path.relpath(path, site)},sha256={digest},"
        found.extend(_versions_recording(site, path.name, entry))
    return found[0] if len(found) == 1 else None


def _provides(folder: str, module: str) -> bool:
    """Whether `import module` could be answered from `folder` (a package, a module, an
    extension). A folder that cannot be read might: yes."""
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return False
    except OSError:
        return True
    modules = {module + suffix for suffix in importlib.machinery.all_suffixes()}
    return any(
        (e.name == module and e.is_dir()) or (e.name in modules and not e.is_dir()) for e in entries
    )


def _isolated_venv(prefix: Path) -> bool:
    """A virtual environment that sees only its own site-packages (and the standard library)."""
    try:
        text = (prefix / "pyvenv.cfg").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip().lower() == "include-system-site-packages":
            return value.strip().lower() == "false"
    return True  # venv's default: system site-packages left out


def _versions_recording(site: Path, name: str, entry: str) -> list[str]:
    """Versions of the distributions in `site` that declare the console script `name` and
    whose RECORD holds `entry` (its path, hash and size prefix)."""
    versions = []
    try:
        dists = [e for e in os.scandir(site) if e.name.endswith(".dist-info") and e.is_dir()]
    except OSError:
        return []
    for dist in dists:
        folder = Path(dist.path)
        try:
            points = (folder / "entry_points.txt").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if not any(line.partition("=")[0].strip() == name for line in points.splitlines()):
            continue
        try:
            record = (folder / "RECORD").read_text(encoding="utf-8", errors="replace")
            metadata = (folder / "METADATA").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if not any(line.startswith(entry) for line in record.splitlines()):
            continue
        version = _metadata_version(metadata)
        if version:
            versions.append(version)
    return versions


def _metadata_version(metadata: str) -> str | None:
    for line in metadata.splitlines():
        if not line.strip():
            return None  # headers end at the first blank line
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == "version":
            return value.strip() or None
    return None
