"""pip requirements files (`requirements*.txt`, `requirements/*.txt`), following `-r` includes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from packaging.requirements import InvalidRequirement, Requirement

from secscan.dependencies import ecosystems
from secscan.dependencies._python import COMMENT, pinned_version
from secscan.dependencies.interface import (
    Declared,
    Manifests,
    PatternSource,
    Problem,
    Reader,
    mask,
)
from secscan.model.findings import NotAnalyzed, Scope

MAX_INCLUDE_DEPTH = 20
#: Requirement files whose pins install development tools, never the shipped package.
DEV_REQUIREMENTS = {
    Scope.TEST: ("dev", "tests", "test", "testing", "typing", "lint", "tox", "ci", "build"),
    Scope.DOCS: ("docs", "doc"),
}

#: pip options that change where packages come from or how, but declare no package.
_GLOBAL_OPTIONS = {
    "-i", "--index-url", "--extra-index-url", "--no-index", "-f", "--find-links", "--pre",
    "--trusted-host", "--require-hashes", "--prefer-binary", "--only-binary", "--no-binary",
    "--use-feature", "-Z", "--always-unzip", "--config-settings", "--global-option",
    "--install-option", "--hash",
}  # fmt: skip
_PER_REQUIREMENT_OPTION = re.compile(r"\s+--?[A-Za-z][\w-]*(?:[=\s]|$)")
_ARCHIVE = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz")
_VCS = ("git+", "hg+", "svn+", "bzr+")


class RequirementsSource(PatternSource):
    """`*requirements*.txt` and `requirements/*.txt`: what `pip install -r` reads."""

    name = "requirements"
    ecosystem = ecosystems.PYPI
    package_manager = "pip"
    priority = 0
    pattern = r"(^|/)(?i:[^/]*requirements[^/]*)\.txt$|(^|/)(?i:requirements)/[^/]*\.txt$"

    def parse(self, rel: str, reader: Reader) -> Manifests:
        """Every requirement line of the file and of the files it includes with `-r`."""
        out = Manifests()
        _File(reader, out).parse(rel, depth=0)
        return out

    def scope_of(self, path: str) -> Scope | None:
        """requirements/dev.txt, requirements-docs.txt (and pip-compile's `.in` inputs named
        alike): pins of tools, not of the product."""
        parts = [p.lower() for p in PurePosixPath(path).parts]
        name, dirs = parts[-1] if parts else "", parts[:-1]
        if not name.endswith((".txt", ".in")):
            return None
        stem = name.rsplit(".", 1)[0]
        if dirs and dirs[-1] == "requirements":
            part = stem
        elif stem.startswith(("requirements-", "requirements_")):
            part = stem[len("requirements-") :]
        else:
            return None
        for scope, words in DEV_REQUIREMENTS.items():
            if any(part == w or part.startswith((w + "-", w + "_")) for w in words):
                return scope
        return None


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """Join backslash continuations (pip does), keeping the number of the first line."""
    start, parts = 0, list[str]()
    for number, raw in enumerate(text.splitlines(), start=1):
        if not parts:
            start = number
        if raw.endswith("\\"):
            parts.append(raw[:-1])
            continue
        parts.append(raw)
        yield start, "".join(parts)
        parts = []
    if parts:
        yield start, "".join(parts)


def _split_option(line: str) -> tuple[str, str]:
    if line.startswith("--"):
        head, _, rest = line.partition(" ")
        if "=" in head:
            opt, _, value = head.partition("=")
            return opt, (value + " " + rest).strip()
        return head, rest.strip()
    # short options may be glued to their value: -rdev.txt
    opt, value = line[:2], line[2:].strip()
    return opt, value.lstrip("=").strip()


@dataclass
class _File:
    """One walk through a requirements file and its includes."""

    reader: Reader
    out: Manifests

    def parse(self, rel: str, depth: int) -> None:
        if not self.reader.first_visit(rel):
            return
        text = self.reader.read(rel, self.out)
        if text is None:
            return
        for number, raw in _logical_lines(text):
            line = COMMENT.sub("", raw).strip()
            if not line:
                continue
            if line.startswith("-"):
                self.option(rel, number, line, depth)
                continue
            _requirement(rel, number, line, self.out)

    def option(self, rel: str, number: int, line: str, depth: int) -> None:
        opt, value = _split_option(line)
        if opt in ("-r", "--requirement"):
            self.include(rel, number, value, depth)
        elif opt in ("-c", "--constraint"):
            return  # constraints narrow versions of packages declared elsewhere; they add none
        elif opt in ("-e", "--editable"):
            if "://" in value or value.startswith(_VCS):
                _requirement(rel, number, value, self.out, editable=True)
            else:
                self.out.not_audited.append(
                    NotAnalyzed(
                        rel,
                        f"line {number}: editable local project {mask(value)!r} "
                        "is first-party code, not a published package: not audited",
                    )
                )
        elif opt not in _GLOBAL_OPTIONS:
            self.out.problems.append(Problem(rel, number, f"unknown pip option {mask(opt)!r}"))

    def include(self, rel: str, number: int, value: str, depth: int) -> None:
        child = self.resolve(rel, number, value, depth)
        if child is not None:
            self.parse(child, depth + 1)

    def resolve(self, rel: str, number: int, value: str, depth: int) -> str | None:
        """The included file relative to the root, or None with the reason as a problem."""
        problem: str | None = None
        if not value:
            problem = "-r without a file name"
        elif "://" in value:
            problem = f"remote requirements file {mask(value)!r} is not fetched"
        elif depth >= MAX_INCLUDE_DEPTH:
            problem = f"-r nested deeper than {MAX_INCLUDE_DEPTH}"
        if problem is not None:
            self.out.problems.append(Problem(rel, number, problem))
            return None
        root = self.reader.root
        target = (root / rel).parent / value
        try:
            resolved = target.resolve(strict=True)
            child = resolved.relative_to(root.resolve()).as_posix()
        except FileNotFoundError:
            problem = f"-r {value}: file not found"
        except (OSError, RuntimeError) as e:
            problem = f"-r {value}: cannot read ({e})"
        except ValueError:
            problem = f"-r {value}: outside the scan root, not read"
        else:
            if resolved.is_file():
                return child
            problem = f"-r {value}: not a file"
        self.out.problems.append(Problem(rel, number, problem))
        return None


def _requirement(
    rel: str, number: int, line: str, out: Manifests, *, editable: bool = False
) -> None:
    cut = _PER_REQUIREMENT_OPTION.search(line)
    spec = line[: cut.start()].strip() if cut else line
    shown = mask(spec)
    if not editable and _is_local_path(spec):
        out.not_audited.append(
            NotAnalyzed(
                rel, f"line {number}: local path {shown!r} is not a published package: not audited"
            )
        )
        return
    if editable or ("://" in spec and "@" not in spec.split("://", 1)[0]):
        # a bare URL or VCS reference: the project name is in #egg= if anywhere
        egg = re.search(r"[#&]egg=([A-Za-z0-9._-]+)", spec)
        name = egg.group(1) if egg else spec.rsplit("/", 1)[-1].split("#", 1)[0] or spec
        out.declared.append(Declared(name, "", rel, number, "requirements", shown, url=mask(spec)))
        return
    try:
        req = Requirement(spec)
    except InvalidRequirement as e:
        out.problems.append(Problem(rel, number, f"invalid requirement {shown!r}: {e}"))
        return
    out.declared.append(
        Declared(
            name=req.name,
            specifier=str(req.specifier),
            path=rel,
            line=number,
            source="requirements",
            text=shown,
            version=pinned_version(req),
            url=mask(req.url) if req.url else None,
        )
    )


def _is_local_path(spec: str) -> bool:
    if "://" in spec:
        return spec.startswith("file:")
    return spec.startswith((".", "/", "~")) or spec.endswith(_ARCHIVE)
