"""package.json: the npm dependencies a project names, with the ranges it allows.

A lock file (package-lock.json, yarn.lock, pnpm-lock.yaml) says which version is installed;
package.json alone does not, except for an exact version. The osv scanner therefore audits
exact versions, and names every range no lock file in its folder or above pins as not
assessed (scanners/osv_deps.py): a project without a lock is never a silent clean pass.
"""

from __future__ import annotations

import json
import re
from typing import Any

from secscan.dependencies import ecosystems
from secscan.dependencies._documents import JsonSource
from secscan.dependencies._lines import Cursor
from secscan.dependencies.interface import Declared, Manifests, mask
from secscan.model.findings import NotAnalyzed

SECTIONS = ("dependencies", "devDependencies", "optionalDependencies")
#: An exact release (`1.2.3`, `=1.2.3`, `v1.2.3`, prereleases and builds included).
_EXACT = re.compile(r"^[=v]?(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?)$")
_LOCAL = ("file:", "link:")
_DIRECT_REF = ("git", "http:", "https:", "github:")


class PackageJsonSource(JsonSource):
    """package.json's dependency sections: exact versions are pins, the rest ranges."""

    name = "package.json"
    ecosystem = ecosystems.NPM
    package_manager = "npm"
    priority = 3
    pattern = r"(^|/)package\.json$"
    document = "package.json"

    def walk(self, rel: str, text: str, data: Any, out: Manifests) -> None:
        """Each dependency of each section at the line that names it."""
        for section in SECTIONS:
            deps = data.get(section)
            if not isinstance(deps, dict):
                continue
            cursor = Cursor(text)
            cursor.find(f'"{section}"')
            for name, spec in deps.items():
                number = cursor.find(json.dumps(name)) or 1
                _entry(rel, number, str(name), str(spec).strip(), out)


def _entry(rel: str, number: int, name: str, spec: str, out: Manifests) -> None:
    text = f"{name}: {mask(spec)}"
    if spec.startswith("workspace:"):
        return  # a member of the same workspace: first-party code
    if spec.startswith(_LOCAL):
        out.not_audited.append(
            NotAnalyzed(rel, f"line {number}: {name} comes from a local path: not audited")
        )
        return
    if spec.startswith(_DIRECT_REF) or "/" in spec.split("@", 1)[0] and ":" not in spec:
        out.declared.append(
            Declared(name, "", rel, number, "package.json", text, url=mask(spec),
                     ecosystem=ecosystems.NPM, direct=True)
        )  # fmt: skip
        return
    exact = _EXACT.match(spec)
    out.declared.append(
        Declared(name, spec, rel, number, "package.json", text,
                 version=exact[1] if exact else None, ecosystem=ecosystems.NPM, direct=True)
    )  # fmt: skip
