"""setup.cfg: setuptools' `[options] install_requires` and `[options.extras_require]`."""

from __future__ import annotations

import configparser

from secscan.dependencies import ecosystems
from secscan.dependencies._documents import TextSource
from secscan.dependencies._python import COMMENT, declared_string, next_line
from secscan.dependencies.interface import Manifests, Problem, mask
from secscan.model.findings import NotAnalyzed


class SetupCfgSource(TextSource):
    """setup.cfg, read as setuptools reads it (without running anything)."""

    name = "setup.cfg"
    ecosystem = ecosystems.PYPI
    package_manager = "pip"
    priority = 1
    pattern = r"(^|/)setup\.cfg$"

    def walk_text(self, rel: str, text: str, out: Manifests) -> None:
        """Each requirement of install_requires and every extra."""
        parser = configparser.RawConfigParser(strict=False)
        try:
            parser.read_string(text, source=rel)
        except configparser.Error as e:
            line = getattr(e, "lineno", None)
            out.problems.append(Problem(rel, line, f"setup.cfg syntax error: {e.message}"))
            return
        values: list[tuple[str, str]] = []
        if parser.has_option("options", "install_requires"):
            values.append(("options", parser.get("options", "install_requires")))
        if parser.has_section("options.extras_require"):
            values += [
                ("options.extras_require", v) for _, v in parser.items("options.extras_require")
            ]
        lines = text.splitlines()
        cursor: dict[str, int] = {}
        for section, value in values:
            _value(rel, lines, cursor, section, value, out)


def _value(
    rel: str, lines: list[str], cursor: dict[str, int], section: str, value: str, out: Manifests
) -> None:
    if value.strip().startswith(("file:", "attr:")):
        out.not_audited.append(
            NotAnalyzed(
                rel,
                f"[{section}] requirements come from {mask(value.strip())!r}, resolved at "
                "build time: not analyzed (audit them through a requirements or lock file)",
            )
        )
        return
    # setuptools' list-semi: a dangling list is one requirement per line (a `;` there
    # starts an environment marker); only a one-line value is split at `;`.
    parts = value.strip().splitlines() if "\n" in value.strip() else value.split(";")
    for item in (ln.strip() for ln in parts):
        item = COMMENT.sub("", item).strip()
        if item:
            number = next_line(lines, (item,), cursor, item)
            declared_string(rel, number, item, "setup.cfg", out)
