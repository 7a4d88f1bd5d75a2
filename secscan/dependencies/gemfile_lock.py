"""Gemfile.lock: the gems Bundler resolved (the `specs:` of each GEM source)."""

from __future__ import annotations

import re

from secscan.dependencies import ecosystems
from secscan.dependencies._documents import TextSource
from secscan.dependencies.interface import Declared, Manifests, Problem, mask

#: Four spaces, a name, its version in parentheses (a platform suffix after a dash).
_SPEC = re.compile(r"^    ([A-Za-z0-9_.\-]+) \(([^)\s]+)\)\s*$")
_SECTION = re.compile(r"^([A-Z][A-Z ]*)$")
_REMOTE = re.compile(r"^  remote: (\S+)")
#: A spec line of any shape: four spaces, then text (six spaces are a spec's own requirements).
_SPEC_LIKE = re.compile(r"^    \S")
_SOURCES = ("GEM", "GIT", "PATH", "PLUGIN SOURCE")
_DIRECT = re.compile(r"^  ([A-Za-z0-9_.\-]+)(!)?(?: \(|$)")


class GemfileLockSource(TextSource):
    """Gemfile.lock: GEM specs are registry gems; GIT specs are declared unpinned; PATH specs
    are local; DEPENDENCIES names the direct ones."""

    name = "Gemfile.lock"
    ecosystem = ecosystems.RUBYGEMS
    package_manager = "bundler"
    priority = 2
    pattern = r"(^|/)(Gemfile\.lock|gems\.locked)$"  # Bundler locks gems.rb in gems.locked

    def walk_text(self, rel: str, text: str, out: Manifests) -> None:
        """Each resolved gem at its `specs:` line."""
        lines = text.splitlines()
        direct = _direct(lines)
        section, remote, sources = "", "", 0
        for number, line in enumerate(lines, start=1):
            if m := _SECTION.match(line):
                section, remote = m[1], ""
                sources += section in _SOURCES
            elif m := _REMOTE.match(line):
                remote = m[1]
            elif section in ("GEM", "GIT") and (m := _SPEC.match(line)):
                _spec(rel, number, m[1], m[2], (section, remote), direct, out)
            elif section in ("GEM", "GIT") and _SPEC_LIKE.match(line):
                out.problems.append(Problem(rel, number, "a spec Bundler would not read: "
                                            "not `name (version)`"))  # fmt: skip
        if not sources and text.strip():
            out.problems.append(Problem(rel, 1, "not a Gemfile.lock: no GEM, GIT or PATH section"))


def _direct(lines: list[str]) -> set[str]:
    names: set[str] = set()
    inside = False
    for line in lines:
        if _SECTION.match(line):
            inside = line == "DEPENDENCIES"
        elif inside and (m := _DIRECT.match(line)):
            names.add(m[1])
    return names


def _spec(
    rel: str,
    number: int,
    name: str,
    version: str,
    where: tuple[str, str],
    direct: set[str],
    out: Manifests,
) -> None:
    section, remote = where
    if section == "GIT":
        ref = mask(remote)
        out.declared.append(
            Declared(name, "", rel, number, "Gemfile.lock", f"{name} @ {ref}", url=ref,
                     ecosystem=ecosystems.RUBYGEMS, direct=name in direct)
        )  # fmt: skip
        return
    plain = re.sub(r"-(x86|x64|arm|aarch64|universal|java|mingw|mswin|darwin|linux).*$", "",
                   version)  # fmt: skip
    out.declared.append(
        Declared(name, version, rel, number, "Gemfile.lock", f"{name} ({version})",
                 version=plain, ecosystem=ecosystems.RUBYGEMS, direct=name in direct)
    )  # fmt: skip
