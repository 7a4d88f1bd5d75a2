"""gradle.lockfile: one `group:artifact:version=configurations` per line (Gradle 6+)."""

from __future__ import annotations

import re

from secscan.dependencies import ecosystems
from secscan.dependencies._documents import TextSource
from secscan.dependencies.interface import Declared, Manifests, Problem

_LINE = re.compile(r"^([^:=\s]+):([^:=\s]+):([^:=\s]+)=(.*)$")


class GradleLockSource(TextSource):
    """gradle.lockfile (and per-configuration `*.lockfile` under gradle/dependency-locks)."""

    name = "gradle.lockfile"
    ecosystem = ecosystems.MAVEN
    package_manager = "gradle"
    priority = 2
    pattern = r"(^|/)gradle\.lockfile$|(^|/)gradle/dependency-locks/[^/]+\.lockfile$"

    def walk_text(self, rel: str, text: str, out: Manifests) -> None:
        """Each locked module at its line; `empty=` and comments declare nothing."""
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#") or line.startswith("empty="):
                continue
            m = _LINE.match(line)
            if m is None:
                m2 = re.match(r"^([^:=\s]+):([^:=\s]+):([^:=\s]+)$", line)  # per-config files
                if m2 is None:
                    out.problems.append(Problem(rel, number, "not group:artifact:version"))
                    continue
                group, artifact, version = m2.groups()
            else:
                group, artifact, version = m[1], m[2], m[3]
            name = f"{group}:{artifact}"
            out.declared.append(
                Declared(name, version, rel, number, "gradle.lockfile", line, version=version,
                         ecosystem=ecosystems.MAVEN)
            )  # fmt: skip
