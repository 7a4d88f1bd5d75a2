"""What kind of thing each analyzed target is, so a control is assessed only by fitting evidence.

An iac scanner handed ten GitHub workflow files analyzed no infrastructure: a network
control it "passed" would be a pass on nothing. The census of a run counts its analyzed
targets per kind; mapping rules declare which kinds evidence them (policy/models.py).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath

from secscan.model.findings import FindingKind


class TargetKind(StrEnum):
    #: Program source a code scanner reads.
    SOURCE = "source"
    #: A dependency manifest or lock file.
    MANIFEST = "manifest"
    #: A container image (by reference or archive).
    IMAGE = "image"
    TERRAFORM = "terraform"
    CLOUDFORMATION = "cloudformation"
    KUBERNETES = "kubernetes"
    HELM = "helm"
    DOCKERFILE = "dockerfile"
    #: CI pipeline definitions (GitHub workflows, GitLab CI, ...): configuration of the build,
    #: not infrastructure.
    CI_WORKFLOW = "ci-workflow"
    #: Any other YAML or JSON (settings, data, devcontainer files).
    CONFIG = "config"
    #: Any file at all (what a secret scanner reads).
    FILE = "file"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    TargetKind.SOURCE: "source code",
    TargetKind.MANIFEST: "dependency manifests",
    TargetKind.IMAGE: "container images",
    TargetKind.TERRAFORM: "Terraform",
    TargetKind.CLOUDFORMATION: "CloudFormation",
    TargetKind.KUBERNETES: "Kubernetes",
    TargetKind.HELM: "Helm",
    TargetKind.DOCKERFILE: "Dockerfile",
    TargetKind.CI_WORKFLOW: "CI workflow",
    TargetKind.CONFIG: "other YAML/JSON",
    TargetKind.FILE: "files",
}

#: Infrastructure as code: what an iac mapping rule is evidenced by unless it says otherwise.
INFRASTRUCTURE: tuple[TargetKind, ...] = (
    TargetKind.TERRAFORM,
    TargetKind.CLOUDFORMATION,
    TargetKind.KUBERNETES,
    TargetKind.HELM,
    TargetKind.DOCKERFILE,
)

#: The target kinds a scanner of each finding kind can analyze.
OF_FINDING_KIND: dict[FindingKind, tuple[TargetKind, ...]] = {
    FindingKind.CODE: (TargetKind.SOURCE,),
    FindingKind.DEPENDENCY: (TargetKind.MANIFEST,),
    FindingKind.IMAGE: (TargetKind.IMAGE,),
    FindingKind.IAC: (*INFRASTRUCTURE, TargetKind.CI_WORKFLOW, TargetKind.CONFIG),
    FindingKind.SECRET: (TargetKind.FILE,),
    #: secscan's check of its own gate settings: it assesses no code (see evidencing_run).
    FindingKind.POLICY: (TargetKind.CONFIG,),
    FindingKind.LICENSE: (TargetKind.MANIFEST,),
    FindingKind.PRIVACY: (TargetKind.SOURCE,),
}

#: trivy check-id prefixes and the files their checks evaluate: a rule naming `KSV-*` checks
#: but no Kubernetes or Helm target could never be evidenced.
CHECK_TARGETS: dict[str, tuple[TargetKind, ...]] = {
    "DS": (TargetKind.DOCKERFILE,),
    "KSV": (TargetKind.KUBERNETES, TargetKind.HELM),
    "KCV": (TargetKind.KUBERNETES, TargetKind.HELM),
    "AWS": (TargetKind.TERRAFORM, TargetKind.CLOUDFORMATION),
    "AZU": (TargetKind.TERRAFORM,),
    "GCP": (TargetKind.TERRAFORM,),
    "GIT": (TargetKind.TERRAFORM,),
    "DIG": (TargetKind.TERRAFORM,),
    "OCI": (TargetKind.TERRAFORM,),
    "OPNSTK": (TargetKind.TERRAFORM,),
    "CLDSTK": (TargetKind.TERRAFORM,),
    "NIF": (TargetKind.TERRAFORM,),
}

_TERRAFORM = (".tf", ".tf.json", ".tfvars", ".tfvars.json")
_DOCKERFILE_NAMES = ("dockerfile", "containerfile")
_CI_FILES = frozenset(
    {
        ".gitlab-ci.yml",
        ".gitlab-ci.yaml",
        "azure-pipelines.yml",
        "azure-pipelines.yaml",
        "bitbucket-pipelines.yml",
        ".travis.yml",
        ".drone.yml",
        "appveyor.yml",
        ".pre-commit-config.yaml",
        ".pre-commit-hooks.yaml",
        "cloudbuild.yaml",
        "cloudbuild.yml",
    }
)
#: A GitHub action's definition (a composite action runs steps like a workflow's).
_ACTION_FILES = frozenset({"action.yml", "action.yaml"})
_CI_DIRS = (".github/", ".circleci/", ".gitlab/", ".buildkite/", ".woodpecker/")
#: The head of a YAML/JSON file read to tell a manifest from data; kinds show up on top.
HEAD_BYTES = 64 * 1024
_CFN = re.compile(rb"AWSTemplateFormatVersion|[\"']?Type[\"']?\s*:\s*[\"']?AWS::[A-Za-z0-9]+::")
_K8S_API = re.compile(rb"(?m)^\s*[\"']?apiVersion[\"']?\s*:\s*[\"']?[A-Za-z0-9.\-/]+")
_K8S_KIND = re.compile(rb"(?m)^\s*[\"']?kind[\"']?\s*:\s*[\"']?[A-Z][A-Za-z]+")


def is_dockerfile(name: str) -> bool:
    low = name.lower()
    return any(
        low == n or low.startswith(n + ".") or low.endswith("." + n) for n in _DOCKERFILE_NAMES
    )


def is_ci_definition(path: str) -> bool:
    """A CI pipeline definition by its path: a workflow, an action, a GitLab or other CI file."""
    low = PurePosixPath(path).name.lower()
    return (
        low in _CI_FILES
        or low in _ACTION_FILES
        or low.endswith((".gitlab-ci.yml", ".gitlab-ci.yaml"))
        or path.startswith(_CI_DIRS)
        or "/.github/workflows/" in f"/{path}"
    )


def classify(path: str, head: bytes | None, charts: Collection[str] = ()) -> TargetKind:
    """The kind of an iac target from its path and the start of its content.

    `charts` are the directories holding a `Chart.yaml`: every file under one is Helm.
    """
    posix = PurePosixPath(path)
    name = posix.name
    low = name.lower()
    if low.endswith(_TERRAFORM):
        return TargetKind.TERRAFORM
    if is_dockerfile(name):
        return TargetKind.DOCKERFILE
    if low.endswith((".tpl", ".tgz")) or any(str(p) in charts for p in posix.parents):
        return TargetKind.HELM
    if is_ci_definition(path):
        return TargetKind.CI_WORKFLOW
    if low.endswith((".yaml", ".yml", ".json")):
        text = head or b""
        if _CFN.search(text):
            return TargetKind.CLOUDFORMATION
        if _K8S_API.search(text) and _K8S_KIND.search(text):
            return TargetKind.KUBERNETES
        return TargetKind.CONFIG
    return TargetKind.CONFIG


def census(
    root: Path, kind: FindingKind, targets: Iterable[str], skipped: Collection[str] = ()
) -> tuple[tuple[str, int], ...]:
    """Per target kind, how many of a run's targets were analyzed (those not `skipped`).

    Only iac targets are told apart by content; every other scanner's selection already
    fixes the kind of what it reads.
    """
    analyzed = [t for t in targets if t not in skipped]
    counts: Counter[str] = Counter()
    if kind is FindingKind.IAC:
        charts = {
            str(PurePosixPath(t).parent) for t in analyzed if PurePosixPath(t).name == "Chart.yaml"
        }
        for t in analyzed:
            counts[classify(t, _head(root, t), charts).value] += 1
    elif analyzed:
        counts[OF_FINDING_KIND[kind][0].value] = len(analyzed)
    return tuple(sorted(counts.items()))


def _head(root: Path, rel: str) -> bytes | None:
    if not rel.lower().endswith((".yaml", ".yml", ".json")):
        return None
    try:
        with open(root / rel, "rb") as fh:
            return fh.read(HEAD_BYTES)
    except OSError:
        return None


def describe(kinds: Iterable[TargetKind | str]) -> str:
    """`Terraform, CloudFormation or Kubernetes`: kinds as people name them."""
    labels = [TargetKind(k).label for k in kinds]
    if len(labels) < 2:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " or " + labels[-1]


# --- Python by content -----------------------------------------------------------------

#: Suffixes of Python source every Python tool reads as it is.
PYTHON_SUFFIXES = (".py", ".pyw")
#: Python by a suffix the tools do not all know: read through a `.py` view.
PYTHON_ALIASES = (".py3",)
NOTEBOOK = ".ipynb"
#: How much of a file without a suffix is read to find a shebang.
SHEBANG_BYTES = 256
#: `#!/usr/bin/python3`, `#!/usr/bin/env python`, `#!/usr/bin/env -S python3.12 -u`.
_SHEBANG = re.compile(rb"^#![^\n]*?[/\s]python[0-9.]*(?:\s|$)")


def names_python(head: bytes) -> bool:
    """Whether a file's first bytes are a shebang naming a Python interpreter."""
    return bool(_SHEBANG.match(head.split(b"\n", 1)[0] + b"\n"))


def has_suffix(path: str) -> bool:
    return bool(PurePosixPath(PurePosixPath(path).name.lstrip(".")).suffix)


def is_python(path: str, scripts: Collection[str] = ()) -> bool:
    """Python source by suffix, alias suffix or (for `scripts`, found by discovery) shebang;
    notebooks are not, they are `is_notebook`."""
    low = path.lower()
    return low.endswith(PYTHON_SUFFIXES + PYTHON_ALIASES) or path in scripts


def is_notebook(path: str) -> bool:
    return path.lower().endswith(NOTEBOOK)


@dataclass(frozen=True, slots=True)
class Cell:
    """One code cell of a notebook as placed in its Python view."""

    #: 1-based among the notebook's code cells.
    number: int
    #: The view line its first line is on (1-based), and how many lines it has.
    first: int
    lines: int


@dataclass(frozen=True, slots=True)
class NotebookCode:
    """A notebook's code cells as one Python source, and where each cell went."""

    source: str
    cells: tuple[Cell, ...]

    def locate(self, line: int) -> tuple[int, int] | None:
        """(cell number, line in that cell) of a view line; None between cells."""
        for c in self.cells:
            if c.first <= line < c.first + c.lines:
                return c.number, line - c.first + 1
        return None


#: IPython syntax that is no Python: line magics, shell escapes, help queries.
_MAGIC = re.compile(r"^(\s*)(%|!|\?)")
_HELP = re.compile(r"^(\s*)[\w.]+\?\??\s*$")
#: `files = !ls`, `t = %timeit -o f()`: a magic whose output is assigned.
_ASSIGNED_MAGIC = re.compile(r"^(\s*)[\w.\[\], ]+=\s*[!%]")


def notebook_code(text: str) -> NotebookCode:
    """The code cells of an .ipynb (nbformat 4) as Python, a cell's lines kept one for one.

    IPython lines (`%magic`, `!shell`, `obj?`) become `pass` at their indentation, so the
    rest of the cell parses and line numbers hold; a cell magic (`%%bash`) makes the whole
    cell comments, as it is no Python. Raises ValueError when it is no notebook.
    """
    from secscan.util import jsonio as _json

    doc = _json.loads(text)
    cells = doc.get("cells") if isinstance(doc, dict) else None
    if not isinstance(cells, list):
        raise ValueError("not a Jupyter notebook (no cells)")
    out: list[str] = []
    placed: list[Cell] = []
    number = 0
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        number += 1
        code = _as_python(_cell_lines(cell))
        placed.append(Cell(number, len(out) + 1, len(code)))
        out.extend(code)
        out.append("")  # a blank line between cells: a cell's last block ends there
    return NotebookCode("\n".join(out) + "\n", tuple(placed))


def _cell_lines(cell: dict[str, object]) -> list[str]:
    """A code cell's source (a string or a list of strings) as lines."""
    raw = cell.get("source", "")
    source = "".join(str(s) for s in raw) if isinstance(raw, list) else str(raw)
    lines = source.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _as_python(lines: list[str]) -> list[str]:
    """A cell's lines with IPython syntax made Python, line for line."""
    if lines and lines[0].lstrip().startswith("%%"):
        return ["# " + line for line in lines]  # a cell magic: no Python at all
    code = []
    for line in lines:
        m = _MAGIC.match(line) or _HELP.match(line) or _ASSIGNED_MAGIC.match(line)
        code.append(f"{m.group(1)}pass  # IPython: {line.strip()}" if m else line)
    return code
