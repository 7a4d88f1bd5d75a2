"""Imports run one way: a module imports only from its own layer group or the layers below.

The layers are the ones docs/architecture.md draws. Every import counts, including lazy
imports inside functions (they run too); only `if TYPE_CHECKING:` blocks are left out, as
they never run. A new top-level module must be given a layer here, so nothing slips past.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]

#: Bottom first, one entry per stage folder. Each layer is one or more sibling groups; a group
#: may import itself and any group of a lower layer, never a sibling of its own layer nor
#: anything above. A name matches that module and its submodules; "=name" matches that one
#: module only (the package root `secscan` holds the version and nothing else).
LAYERS: tuple[tuple[tuple[str, ...], ...], ...] = (
    (("=secscan", "secscan.errors"),),
    (("secscan.util",),),
    (("secscan.model",),),
    (("secscan.settings",),),
    #: Dependency sources are pure parsers; the workspace asks them which manifests are
    #: development-only (scopes), so they sit below it.
    (("secscan.dependencies",),),
    (("secscan.workspace",),),
    (("secscan.advisories",),),
    (("secscan.scanners",),),
    (("secscan.scan",), ("secscan.policy",)),
    #: The history of judged scans (reads saved results; the reports draw its trends).
    (("secscan.history",),),
    (("secscan.report",),),
    (("secscan.app",),),
    #: Many repositories, each judged by app's one use case: manifests, the process pool, the
    #: job queue, Kubernetes manifests (docs/fleet.md).
    (("secscan.fleet",),),
    #: The dashboard (`secscan serve`): a delivery layer like the command line, over app/ and
    #: history's aggregate queries.
    (("secscan.serve",),),
    (("secscan.cli", "secscan.__main__"),),
)


@dataclass(frozen=True, slots=True)
class Import:
    module: str
    target: str
    line: int


def module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST) -> Iterator[ast.AST]:
    """ast.walk without the bodies of `if TYPE_CHECKING:` (type-only imports never run)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _type_checking_only(child):
            yield from (n for s in child.orelse for n in (s, *_walk(s)))
            continue
        yield child
        yield from _walk(child)


def imports(root: Path) -> list[Import]:
    """Every import of a package module by a package module, lazy ones included."""
    package = root.name
    files = sorted(root.rglob("*.py"))
    known = {module_name(root, p) for p in files}
    found = []
    for path in files:
        mod = module_name(root, path)
        is_pkg = path.name == "__init__.py"
        for node in _walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    here = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    up = here[: len(here) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                # `from secscan import pipeline` imports the module secscan.scan.pipeline.
                subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known]
                targets = subs or [base]
            for target in targets:
                if target == package or target.startswith(package + "."):
                    found.append(Import(mod, target, getattr(node, "lineno", 0)))
    return found


def place(module: str, layers: Sequence[Sequence[Sequence[str]]]) -> tuple[int, int] | None:
    """(layer, group) of a module: an exact "=name" entry first, else the longest prefix."""
    best: tuple[int, int, int] | None = None
    for li, groups in enumerate(layers):
        for gi, names in enumerate(groups):
            for name in names:
                if name.startswith("="):
                    if module == name[1:]:
                        return li, gi
                elif module == name or module.startswith(name + "."):
                    if best is None or len(name) > best[2]:
                        best = (li, gi, len(name))
    return None if best is None else (best[0], best[1])


def violations(
    found: Sequence[Import], layers: Sequence[Sequence[Sequence[str]]] = LAYERS
) -> list[str]:
    out = []
    for imp in found:
        src, dst = place(imp.module, layers), place(imp.target, layers)
        if src is None or dst is None:
            missing = imp.module if src is None else imp.target
            out.append(f"{missing}: no layer (add it to LAYERS in tests/test_layers.py)")
            continue
        if dst[0] > src[0] or (dst[0] == src[0] and dst[1] != src[1]):
            kind = "a sibling" if dst[0] == src[0] else "a higher layer"
            out.append(f"{imp.module}:{imp.line} imports {imp.target} ({kind})")
    return sorted(set(out))


def test_secscan_imports_run_one_way() -> None:
    found = imports(REPO / "secscan")
    assert len(found) > 200  # the walk really saw the package's imports
    assert violations(found) == []


#: The command line is an adapter: it parses flags, calls a use case, prints, maps the exit
#: code. At run time it imports only the app layer and the fleet's use cases and the
#: dashboard's server above it (and itself, the errors, the version).
CLI_MAY_IMPORT = (
    "secscan.app",
    "secscan.fleet",
    "secscan.serve",
    "secscan.cli",
    "secscan.errors",
    "=secscan",
)

#: The entry points of the two stages a run joins: only the use cases (app/) call them.
ONLY_FROM_APP = ("secscan.scan.pipeline", "secscan.policy.judge")


def _matches(module: str, names: Sequence[str]) -> bool:
    return any(
        module == n[1:] if n.startswith("=") else module == n or module.startswith(n + ".")
        for n in names
    )


def cli_violations(found: Sequence[Import]) -> list[str]:
    return sorted(
        {
            f"{i.module}:{i.line} imports {i.target} (the CLI imports only the app layer)"
            for i in found
            if _matches(i.module, ("secscan.cli",)) and not _matches(i.target, CLI_MAY_IMPORT)
        }
    )


def entry_point_violations(found: Sequence[Import]) -> list[str]:
    return sorted(
        {
            f"{i.module}:{i.line} imports {i.target} (called only from secscan.app)"
            for i in found
            if _matches(i.target, ONLY_FROM_APP)
            and not _matches(i.module, ("secscan.app", *ONLY_FROM_APP))
        }
    )


def test_the_cli_imports_only_the_app_layer() -> None:
    found = imports(REPO / "secscan")
    assert any(i.module.startswith("secscan.cli.") for i in found)
    assert cli_violations(found) == []


def test_the_pipeline_and_the_judge_are_called_only_from_app() -> None:
    found = imports(REPO / "secscan")
    importers = {i.module for i in found if _matches(i.target, ONLY_FROM_APP)}
    assert "secscan.app.run" in importers  # the walk sees the use case calling them
    assert entry_point_violations(found) == []


@pytest.mark.parametrize(
    ("files", "check", "expected"),
    [
        # A command reaching past the use cases into a stage.
        (
            {"cli/scan.py": "from secscan.model.findings import Severity\n"},
            cli_violations,
            "secscan.cli.scan:1 imports secscan.model.findings (the CLI",
        ),
        # Lazily, too.
        (
            {
                "cli/views/x.py": "def f():\n    from secscan.report import html\n",
                "report/html.py": "",
            },
            cli_violations,
            "secscan.cli.views.x:2 imports secscan.report.html (the CLI",
        ),
        # The pipeline run by anything but a use case (a report rebuilding a scan).
        (
            {"report/x.py": "from secscan.scan import pipeline\n", "scan/pipeline.py": ""},
            entry_point_violations,
            "secscan.report.x:1 imports secscan.scan.pipeline (called only from",
        ),
        (
            {"history/x.py": "from secscan.policy.judge import judge\n", "policy/judge.py": ""},
            entry_point_violations,
            "secscan.history.x:1 imports secscan.policy.judge (called only from",
        ),
    ],
)
def test_a_planted_adapter_shortcut_fails_the_check(
    tmp_path: Path, files: dict[str, str], check: Any, expected: str
) -> None:
    found = check(imports(_tree(tmp_path, files)))
    assert any(v.startswith(expected) for v in found), found


def test_the_cli_may_use_the_app_layer_and_type_only_imports(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "cli/scan.py": (
                "from typing import TYPE_CHECKING\nfrom secscan.app.run import Run\n"
                "from secscan.errors import UsageError\nfrom secscan import __version__\n"
                "if TYPE_CHECKING:\n    from secscan.model.findings import Severity\n"
            ),
            "app/run.py": "from secscan.scan import pipeline\nfrom secscan.policy import judge\n",
            "scan/pipeline.py": "",
            "policy/judge.py": "",
        },
    )
    found = imports(root)
    assert cli_violations(found) == [] and entry_point_violations(found) == []


def test_every_layer_entry_names_a_real_module() -> None:
    modules = {module_name(REPO / "secscan", p) for p in (REPO / "secscan").rglob("*.py")}
    for groups in LAYERS:
        for names in groups:
            for name in names:
                bare = name.removeprefix("=")
                assert any(m == bare or m.startswith(bare + ".") for m in modules), name


# --- the check itself fails on what it must catch -----------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "secscan"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for d in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        (d / "__init__.py").touch()
    return root


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # A scanner importing policy at module level.
        (
            {"scanners/x.py": "from secscan.policy.match import glob_match\n"},
            "secscan.scanners.x:1 imports secscan.policy.match (a higher layer",
        ),
        # A lazy import inside a function counts as much as a top-level one.
        (
            {
                "advisories/s.py": "def f():\n    from secscan.scanners import base\n",
                "scanners/base.py": "",
            },
            "secscan.advisories.s:2 imports secscan.scanners.base (a higher layer",
        ),
        # `from secscan.cli import views` names the module secscan.cli.views.
        (
            {"scan/pipeline.py": "from secscan.cli import views\n", "cli/views.py": ""},
            "secscan.scan.pipeline:1 imports secscan.cli.views (a higher layer",
        ),
        # Siblings: pipeline and policy never import each other.
        (
            {"scan/pipeline.py": "import secscan.policy.judge\n", "policy/judge.py": ""},
            "secscan.scan.pipeline:1 imports secscan.policy.judge (a sibling",
        ),
        # A relative import is resolved before it is judged.
        (
            {"model/findings.py": "from ..report import html\n", "report/html.py": ""},
            "secscan.model.findings:1 imports secscan.report.html (a higher layer",
        ),
        # Settings validate format names the registry hands them; importing it is a climb.
        (
            {"settings/config.py": "from secscan.report import formats\n", "report/formats.py": ""},
            "secscan.settings.config:1 imports secscan.report.formats (a higher layer",
        ),
        # A module nobody gave a layer fails rather than slipping through.
        (
            {"newthing.py": "from secscan import errors\n", "errors.py": ""},
            "secscan.newthing: no layer",
        ),
    ],
)
def test_a_planted_back_import_fails_the_check(
    tmp_path: Path, files: dict[str, str], expected: str
) -> None:
    found = violations(imports(_tree(tmp_path, files)))
    assert any(v.startswith(expected) for v in found), found


def test_imports_downwards_and_type_only_imports_pass(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "cli/scan.py": "from secscan.scan import pipeline\nfrom secscan.report import html\n",
            "report/html.py": "from secscan.model.results import SavedResults\n",
            "model/results.py": "from secscan.model import decision\n",
            "model/decision.py": "from secscan.model.findings import Finding\n",
            "scan/pipeline.py": "from secscan.scanners import base\n",
            "scanners/base.py": "from secscan.dependencies import manifests\n",
            "dependencies/manifests.py": "from secscan.model import findings\n",
            "model/findings.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from secscan.model.results import SavedResults\n"
            ),
            "report/__init__.py": "from secscan.errors import ReportError\n",
            "errors.py": "",
        },
    )
    found = imports(root)
    assert {(i.module, i.target) for i in found} >= {
        ("secscan.cli.scan", "secscan.scan.pipeline"),
    }
    assert ("secscan.model.findings", "secscan.model.results") not in {
        (i.module, i.target) for i in found
    }
    assert violations(found) == []


# --- docs/architecture.md draws these layers and names real files ---------------------------

ARCHITECTURE = REPO / "docs" / "architecture.md"


def test_the_architecture_doc_lists_every_layer_entry() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    table = "\n".join(line for line in text.splitlines() if line.startswith("| "))
    for groups in LAYERS:
        for names in groups:
            for name in names:
                bare = name.removeprefix("=").removeprefix("secscan.") or "secscan"
                if bare in ("secscan", "__main__"):
                    continue
                shown = f"`{bare}/`" if (REPO / "secscan" / bare.replace(".", "/")).is_dir() else ""
                assert f"`{bare}`" in table or (shown and shown in table), bare


def test_the_files_the_architecture_doc_names_exist() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    paths = set(re.findall(r"`((?:secscan|tests|policies|scripts|reports|docs)/[^`<>*\s]+)`", text))
    assert len(paths) > 10
    missing = sorted(p for p in paths if not (REPO / p).exists())
    assert missing == []


# --- no import cycle, lazy imports included ------------------------------------------------


def cycles(found: Sequence[Import]) -> list[list[str]]:
    """Every group of modules that import each other round a loop (Tarjan's strongly
    connected components over the import graph), each sorted; a module importing itself too."""
    graph: dict[str, set[str]] = {}
    for imp in found:
        graph.setdefault(imp.module, set()).add(imp.target)
        graph.setdefault(imp.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in graph[v]:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def test_no_module_imports_itself_round_a_loop() -> None:
    assert cycles(imports(REPO / "secscan")) == []


def test_a_planted_loop_is_found_even_through_a_lazy_import(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "model/a.py": "from secscan.model import b\n",
            "model/b.py": "def f():\n    from secscan.model import c\n",
            "model/c.py": "import secscan.model.a\n",
        },
    )
    assert violations(imports(root)) == []  # one folder: the layer rule alone cannot see it
    assert cycles(imports(root)) == [["secscan.model.a", "secscan.model.b", "secscan.model.c"]]
