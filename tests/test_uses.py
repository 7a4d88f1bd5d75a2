"""Scope follows use: which files source code imports or runs, read with ast (no tool)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from secscan.model.findings import Scope
from secscan.workspace import uses
from secscan.workspace.scopes import Classifier

HELPER = "def helper():\n    return 1\n"


def tree(root: Path, files: dict[str, str]) -> list[str]:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return sorted(files)


def classifier(root: Path, files: list[str]) -> Classifier:
    return Classifier(root, tree=lambda: files)


@pytest.mark.parametrize(
    ("line", "target"),
    [
        ("import app.test_helpers", "app/test_helpers.py"),
        ("from app import test_helpers", "app/test_helpers.py"),
        ("from app.test_helpers import helper", "app/test_helpers.py"),
        ("from .test_helpers import helper", "app/test_helpers.py"),
        ("from . import conftest", "app/conftest.py"),
        ("import tests.fixtures.data", "tests/fixtures/data.py"),
        ("import tests.fixtures.data", "tests/fixtures/__init__.py"),
        ("import importlib\nimportlib.import_module('examples.demo')", "examples/demo.py"),
        ("__import__('examples.demo')", "examples/demo.py"),
        ("import runpy\nrunpy.run_path('docs/conf.py')", "docs/conf.py"),
        ("import runpy\nrunpy.run_module('tests.fixtures.data')", "tests/fixtures/data.py"),
        ("if True: import app.test_helpers", "app/test_helpers.py"),
    ],
)
def test_a_module_source_uses_is_source(tmp_path: Path, line: str, target: str) -> None:
    files = tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/views.py": line + "\n",
            "app/test_helpers.py": HELPER,
            "app/conftest.py": HELPER,
            "tests/__init__.py": "",
            "tests/fixtures/__init__.py": "",
            "tests/fixtures/data.py": HELPER,
            "tests/test_views.py": "import app.views\n",
            "examples/demo.py": HELPER,
            "docs/conf.py": HELPER,
        },
    )
    c = classifier(tmp_path, files)
    assert c.scope(target) is Scope.SOURCE
    unused = {"app/test_helpers.py", "app/conftest.py", "tests/fixtures/data.py"} - {target}
    assert c.scope("tests/test_views.py") is Scope.TEST  # tests that import source stay tests
    assert any(c.scope(f) is not Scope.SOURCE for f in unused)


def test_use_is_followed_through_modules_it_makes_source(tmp_path: Path) -> None:
    files = tree(
        tmp_path,
        {
            "app/views.py": "from tests import helpers\n",
            "tests/__init__.py": "",
            "tests/helpers.py": "from tests import deeper\n",
            "tests/deeper.py": HELPER,
            "tests/test_other.py": HELPER,
        },
    )
    c = classifier(tmp_path, files)
    assert [c.scope(f) for f in files] == [
        Scope.SOURCE,
        Scope.SOURCE,
        Scope.SOURCE,
        Scope.SOURCE,
        Scope.TEST,
    ]


def test_use_through_a_link(tmp_path: Path) -> None:
    files = tree(
        tmp_path,
        {"app/views.py": "from app import runner\n", "tests/test_runner.py": HELPER},
    )
    os.symlink("../tests/test_runner.py", tmp_path / "app" / "runner.py")
    assert classifier(tmp_path, files).scope("tests/test_runner.py") is Scope.SOURCE


def test_a_link_out_of_the_tree_leads_nowhere(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text(HELPER)
    root = tmp_path / "root"
    files = tree(root, {"app/views.py": "from app import runner\n"})
    os.symlink(outside, root / "app" / "runner.py")
    assert uses.used(root, files, lambda f: True) == frozenset()


def test_a_package_init_of_source_runs_with_it(tmp_path: Path) -> None:
    files = tree(tmp_path, {"app/__init__.py": HELPER, "app/views.py": "", "app/x/t.py": ""})
    globs = {Scope.TEST: ["app/__init__.py", "app/x/"]}
    c = Classifier(tmp_path, globs, tree=lambda: files)
    assert c.scope("app/__init__.py") is Scope.SOURCE  # importing app.views runs it
    assert c.scope("app/x/t.py") is Scope.TEST


def test_vendored_code_the_base_has_stays_vendored_when_used(tmp_path: Path) -> None:
    # Someone else's code the project ships: imported everywhere, still not the product.
    files = tree(
        tmp_path,
        {"pkg/_vendor/six.py": HELPER, "pkg/core.py": "from pkg._vendor import six\n"},
    )
    assert classifier(tmp_path, files).scope("pkg/_vendor/six.py") is Scope.VENDORED


def test_unparsable_and_unused_files_change_nothing(tmp_path: Path) -> None:
    files = tree(
        tmp_path,
        {"app/views.py": "def broken(:\n", "tests/test_x.py": HELPER, "tests/helpers.py": HELPER},
    )
    c = classifier(tmp_path, files)
    assert c.scope("tests/test_x.py") is Scope.TEST
    assert c.scope("tests/helpers.py") is Scope.TEST


def test_a_fifo_in_the_tree_is_never_opened_for_reading(tmp_path: Path) -> None:
    files = tree(tmp_path, {"app/views.py": "import tests.pipe\n", "tests/__init__.py": ""})
    os.mkfifo(tmp_path / "tests" / "pipe.py")  # opening it to read would wait for a writer
    os.mkfifo(tmp_path / "app" / "gen.py")
    c = classifier(tmp_path, [*files, "tests/pipe.py", "app/gen.py"])
    assert c.scope("app/gen.py") is Scope.SOURCE
    assert c.scope("tests/pipe.py") is Scope.SOURCE  # used, though unreadable


def test_what_use_reaches_and_what_it_does_not(tmp_path: Path) -> None:
    """`from .. import x` climbs a package per dot; a call with a computed name loads nothing
    this can see; a source file use reaches is neither reported nor read again; `follows`
    keeps a non-source file out of the result and unread."""
    files = tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/web/__init__.py": "",
            "app/web/views.py": "from .. import t_helpers\nimport app.models\n",
            "app/models.py": "import importlib\nimportlib.import_module(name)\n",
            "app/t_helpers.py": "import tests.data\nimport docs.conf\n",
            "tests/__init__.py": "",
            "tests/data.py": HELPER,
            "docs/__init__.py": "",
            "docs/conf.py": "import tests.never\n",
            "tests/never.py": HELPER,
        },
    )

    def is_source(f: str) -> bool:
        return f.startswith("app/") and f != "app/t_helpers.py"

    assert uses.used(tmp_path, files, is_source) == {
        "app/t_helpers.py",
        "tests/__init__.py",
        "tests/data.py",
        "docs/__init__.py",
        "docs/conf.py",
        "tests/never.py",
    }
    no_docs = uses.used(tmp_path, files, is_source, lambda f: not f.startswith("docs/"))
    assert no_docs == {"app/t_helpers.py", "tests/__init__.py", "tests/data.py"}
