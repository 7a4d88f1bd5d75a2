"""The one reader of files a configuration or a flag names: regular files, no links, bounded.

A config, policy, rule, waiver, baseline, advisory or results file is named by text that a
pull request can write. Opened naively, `/dev/zero` is read until the machine runs out of
memory, a FIFO blocks the gate forever, and a committed symbolic link reads a file from
outside the tree. Here the last component is opened with O_NOFOLLOW and O_NONBLOCK, the
open descriptor must be a regular file (fstat, so nothing can be swapped in between), and
no more than `limit` bytes are read.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from secscan.errors import ConfigError

#: Configuration, policy, waiver and rule files: the largest shipped one is 14 KB.
MAX_SETTINGS_BYTES = 16 * 1024 * 1024
#: Baselines, results files, VEX documents: thousands of findings, never gigabytes.
MAX_DATA_BYTES = 512 * 1024 * 1024
#: Files and bytes a named directory (a rule directory) may hold before it is refused.
MAX_TREE_FILES = 20_000

_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_FLAGS |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)


def kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def refusal(path: Path, *, limit: int = MAX_SETTINGS_BYTES, directory: bool = False) -> str | None:
    """Why `path` may not be read as a named file (None: it may), without opening it.

    `directory`: a directory is allowed too, and then every entry below it is checked
    (no links, nothing but regular files and directories, each at most `limit` bytes,
    at most MAX_TREE_FILES files)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None  # the reader says "file not found" in its own words
    except OSError as e:
        return f"cannot read: {e.strerror or e}"
    if stat.S_ISDIR(st.st_mode) and directory:
        return _tree_refusal(path, limit)
    if not stat.S_ISREG(st.st_mode):
        wanted = "a regular file or directory" if directory else "a regular file"
        return f"is {kind(st.st_mode)}, not {wanted}: refused"
    if st.st_size > limit:
        return f"is larger than {_size(limit)}: refused"
    return None


def link_above(path: Path, below: Path) -> str | None:
    """Why `path` is refused for a folder between `below` and it that is a symbolic link
    (`policy: linked/pol`); None when there is none or `path` is not under `below`."""
    here = Path(os.path.normpath(path.absolute()))
    top = Path(os.path.normpath(below.absolute()))
    if not here.is_relative_to(top) or here == top:
        return None
    at = top
    for part in here.relative_to(top).parts[:-1]:
        at = at / part
        if at.is_symlink():
            return f"is inside {at}, a symbolic link: refused"
    return None


def _tree_refusal(root: Path, limit: int) -> str | None:
    count = 0
    for folder, dirs, names in os.walk(root, followlinks=False):
        for name in [*dirs, *names]:
            p = Path(folder) / name
            try:
                st = os.lstat(p)
            except OSError as e:
                return f"holds {p}, which cannot be read: {e.strerror or e}"
            if stat.S_ISDIR(st.st_mode):
                continue
            if not stat.S_ISREG(st.st_mode):
                return f"holds {p}, which is {kind(st.st_mode)}: refused"
            if st.st_size > limit:
                return f"holds {p}, which is larger than {_size(limit)}: refused"
            count += 1
            if count > MAX_TREE_FILES:
                return f"holds more than {MAX_TREE_FILES} files: refused"
    return None


def check(
    path: Path,
    *,
    error: type[ConfigError] = ConfigError,
    limit: int = MAX_SETTINGS_BYTES,
    directory: bool = False,
) -> None:
    """Raise `error` naming the file when `refusal` refuses it."""
    why = refusal(path, limit=limit, directory=directory)
    if why is not None:
        raise error(why, path=str(path))


def read_bytes(
    path: Path, *, error: type[ConfigError] = ConfigError, limit: int = MAX_SETTINGS_BYTES
) -> bytes:
    """The bytes of a named regular file: never through a link, a device, a FIFO or a
    socket, never more than `limit` bytes. Every refusal is `error` naming the file."""
    try:
        fd = os.open(path, _FLAGS)
    except FileNotFoundError as e:
        raise error("file not found", path=str(path)) from e
    except OSError as e:
        why = refusal(path, limit=limit)  # ELOOP: a link; say so rather than errno's words
        raise error(why or f"cannot read file: {e.strerror or e}", path=str(path)) from e
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise error(f"is {kind(st.st_mode)}, not a regular file: refused", path=str(path))
        if st.st_size > limit:
            raise error(f"is larger than {_size(limit)}: refused", path=str(path))
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - size) or 1):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise error(f"is larger than {_size(limit)}: refused", path=str(path))
        return b"".join(chunks)
    except OSError as e:
        raise error(f"cannot read file: {e.strerror or e}", path=str(path)) from e
    finally:
        os.close(fd)


def open_regular(path: Path) -> BinaryIO:
    """A named regular file opened for reading (no link followed, a FIFO never waited on);
    anything else raises OSError. For readers that stream a file with their own bound."""
    try:
        fd = os.open(path, _FLAGS)
    except ValueError as e:  # a name no file can have (an embedded NUL)
        raise OSError(errno.EINVAL, str(e), str(path)) from e
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, f"is {kind(st.st_mode)}, not a regular file", str(path))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_text(
    path: Path, *, error: type[ConfigError] = ConfigError, limit: int = MAX_SETTINGS_BYTES
) -> str:
    """`read_bytes` decoded as UTF-8 (a decoding error is `error` naming the file)."""
    data = read_bytes(path, error=error, limit=limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise error(f"cannot read file: not UTF-8 text ({e.reason})", path=str(path)) from e


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit} bytes"
