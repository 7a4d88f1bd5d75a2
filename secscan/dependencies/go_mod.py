"""go.mod: the modules of the build (Go >= 1.17 lists the indirect ones too), with replaces.

go.sum is not read: it lists every version the module graph mentioned, not the one built,
so matching it reports versions that are not in the binary.
"""

from __future__ import annotations

import re

from secscan.dependencies import ecosystems
from secscan.dependencies._documents import TextSource
from secscan.dependencies.interface import Declared, Manifests, Problem
from secscan.model.findings import NotAnalyzed

#: Every directive the go command knows (go.dev/ref/mod#go-mod-file-grammar, Go 1.24): a line
#: that is none of them makes the go command refuse the file, and so do we (named, not read).
_LINE = re.compile(
    r"^\s*(require|replace|exclude|retract|module|go|toolchain|godebug|tool|ignore)\b\s*(.*)$"
)
_REQUIRE = re.compile(r"^(\S+)\s+(v\S+)")
_REPLACE = re.compile(r"^(\S+)(?:\s+(v\S+))?\s*=>\s*(\S+)(?:\s+(v\S+))?")


class GoModSource(TextSource):
    """go.mod's `require` lines (direct, or `// indirect`), after its `replace` lines."""

    name = "go.mod"
    ecosystem = ecosystems.GO
    package_manager = "go"
    priority = 1
    pattern = r"(^|/)go\.mod$"

    def walk_text(self, rel: str, text: str, out: Manifests) -> None:
        """Each required module at its line, replaced where the file says so."""
        requires: list[tuple[int, str, str, bool, str]] = []
        replaces: dict[tuple[str, str | None], tuple[str, str | None]] = {}
        directives, problems = _directives(text)
        for number, verb, body in directives:
            if verb == "require" and (m := _REQUIRE.match(body)):
                requires.append((number, m[1], m[2], "// indirect" in body, body))
            elif verb == "replace" and (m := _REPLACE.match(body)):
                replaces[(m[1], m[2])] = (m[3], m[4])
            elif verb in ("require", "replace"):
                problems.append((number, f"a {verb} without a module path and version"))
        out.problems.extend(Problem(rel, n, f"not a go.mod line the go command accepts: {why}")
                            for n, why in problems)  # fmt: skip
        for number, path, version, indirect, body in requires:
            target = replaces.get((path, version)) or replaces.get((path, None))
            _declare(rel, number, path, version, indirect, body, target, out)


def _directives(text: str) -> tuple[list[tuple[int, str, str]], list[tuple[int, str]]]:
    """(line, verb, rest) of every directive, `verb ( ... )` blocks unrolled; and (line, why)
    of every line that is not one (the packages of the other lines are still read)."""
    found: list[tuple[int, str, str]] = []
    problems: list[tuple[int, str]] = []
    block: tuple[int, str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("//"):
            continue
        if block is not None:
            if line.startswith(")"):
                block = None
            else:
                found.append((number, block[1], line))
            continue
        m = _LINE.match(line)
        if m is None:
            problems.append((number, "not a directive"))
        elif m[2].strip() == "(":
            block = (number, m[1])
        else:
            found.append((number, m[1], m[2].strip()))
    if block is not None:
        problems.append((block[0], f"the {block[1]} block is never closed"))
    return found, problems


def _declare(
    rel: str,
    number: int,
    path: str,
    version: str,
    indirect: bool,
    body: str,
    target: tuple[str, str | None] | None,
    out: Manifests,
) -> None:
    if target is not None:
        new_path, new_version = target
        if new_version is None:  # replaced by a directory: first-party or vendored code
            out.not_audited.append(
                NotAnalyzed(rel, f"line {number}: {path} is replaced by the local path "
                            f"{new_path!r}: not audited")
            )  # fmt: skip
            return
        path, version = new_path, new_version
    shown = body.split("//", 1)[0].strip()
    plain = version.removeprefix("v")  # OSV's Go records write versions without the `v`
    out.declared.append(
        Declared(path, version, rel, number, "go.mod", shown, version=plain,
                 ecosystem=ecosystems.GO, direct=not indirect)
    )  # fmt: skip
