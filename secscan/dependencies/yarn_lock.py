"""yarn.lock: yarn 1's own text format and yarn 2+ (berry) YAML."""

from __future__ import annotations

import re

from secscan.dependencies import ecosystems
from secscan.dependencies._documents import TextSource
from secscan.dependencies.interface import (
    Declared,
    Manifests,
    Problem,
    mask,
)
from secscan.model.findings import NotAnalyzed

_VERSION = re.compile(r'^  version:?\s+"?([^"\s]+)"?\s*$')
#: A package from a repository or a URL, not a registry release (yarn 1 `resolved`, berry
#: `resolution`): declared, with no version an advisory could name.
_GIT = ("git+", "git:", "git@", "github:")
_DIRECT_MARKS = ("codeload.github.com", "@git", "@https:", "@http:", "@github:")
_RESOLVED = re.compile(r'^  (?:resolved|resolution):?\s+"?([^"\s]+)"?\s*$')


class YarnLockSource(TextSource):
    """yarn.lock, both generations: every resolved package and its version."""

    name = "yarn.lock"
    ecosystem = ecosystems.NPM
    package_manager = "yarn"
    priority = 2
    pattern = r"(^|/)yarn\.lock$"

    def walk_text(self, rel: str, text: str, out: Manifests) -> None:
        """One entry per resolved version, at the line of its (first) specifier.

        Both generations write one unindented `specs:` line per entry and its fields two
        spaces in (yarn 2+ is YAML of that shape), so one line reader serves both and keeps
        each entry's line; yarn 2+'s `__metadata` and workspace entries are the project's.
        """
        for number, header, body in _blocks(text):
            if header.strip('"') != "__metadata":
                _entry(rel, number, header, body, out)


def spec_name(spec: str) -> str:
    """`@babel/core@^7.0.0` -> `@babel/core`; `lodash@npm:^4` -> `lodash`."""
    spec = spec.strip().strip('"')
    at = spec.find("@", 1)
    return spec[:at] if at > 0 else spec


def _blocks(text: str) -> list[tuple[int, str, list[str]]]:
    """yarn 1: (line, header, body lines) of each unindented `spec, spec:` block."""
    blocks: list[tuple[int, str, list[str]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            blocks.append((number, line.rstrip().rstrip(":"), []))
        elif blocks:
            blocks[-1][2].append(line)
    return blocks


def _entry(rel: str, number: int, header: str, body: list[str], out: Manifests) -> None:
    name = spec_name(header.split(",")[0])
    version = next((m.group(1) for ln in body if (m := _VERSION.match(ln))), None)
    resolved = next((m.group(1) for ln in body if (m := _RESOLVED.match(ln))), "")
    _declare(rel, number, name, version, resolved, header, out)


def _declare(
    rel: str,
    number: int,
    name: str,
    version: str | None,
    resolved: str,
    header: str,
    out: Manifests,
) -> None:
    if "@workspace:" in resolved or "@link:" in resolved or "@portal:" in resolved:
        return  # the project's own packages: first-party code, scanned as code
    if resolved.startswith("file:") or "@file:" in resolved:
        out.not_audited.append(
            NotAnalyzed(rel, f"line {number}: {name} comes from a local path: not audited")
        )
        return
    if "@patch:" in resolved:
        return  # a patched copy of a registry package, listed again under its own entry
    if version is None or version in ("0.0.0-use.local",):
        out.problems.append(Problem(rel, number, f"{name}: no version"))
        return
    if resolved.startswith(_GIT) or any(m in resolved for m in _DIRECT_MARKS):
        ref = mask(resolved)
        out.declared.append(
            Declared(name, "", rel, number, "yarn.lock", f"{name} @ {ref}", url=ref,
                     ecosystem=ecosystems.NPM)
        )  # fmt: skip
        return
    out.declared.append(
        Declared(name, version, rel, number, "yarn.lock", f"{mask(header)}: {version}",
                 version=version, ecosystem=ecosystems.NPM)
    )  # fmt: skip
