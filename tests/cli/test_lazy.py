"""The CLI imports a subcommand's module only when it runs; its listing never drifts."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from secscan.cli import COMMANDS, cli, load


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_listed_summary_is_the_commands_own_help(name: str) -> None:
    from secscan.cli import _Listed

    real = load(name)
    assert real.name == name
    for width in (20, 45, 80, 200):
        assert _Listed(name).get_short_help_str(width) == real.get_short_help_str(width)


def test_the_group_lists_every_command_module() -> None:
    import pkgutil

    import secscan.cli as package

    commands = {
        m.name
        for m in pkgutil.iter_modules(package.__path__)
        if not m.name.startswith("_") and m.name != "views"
    }
    assert {info.module for info in COMMANDS.values()} == commands


def _imported_after(*argv: str) -> set[str]:
    code = (
        "import json, sys\n"
        "from secscan.cli import main\n"
        f"try:\n    main({list(argv)!r})\n"
        "finally:\n    print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_help_imports_no_command() -> None:
    modules = _imported_after("--help")
    assert not {m for m in modules if m.startswith("secscan.cli.") and m != "secscan.cli"}
    assert "sqlalchemy" not in modules and "secscan.scan.pipeline" not in modules


def test_hook_help_imports_no_database_layer_nor_other_commands() -> None:
    modules = _imported_after("hook", "--help")
    assert "secscan.cli.hook" in modules
    assert "secscan.cli.history" not in modules and "secscan.cli.scan" not in modules
    assert "sqlalchemy" not in modules and "alembic" not in modules


def test_the_hook_loads_no_renderer_nor_report_model() -> None:
    """A pre-commit run writes no report: the use cases it goes through load none."""
    modules = _imported_after("hook", "--help")
    assert "secscan.app.run" in modules
    assert "jinja2" not in modules and "secscan.report.model" not in modules


def test_scan_does_not_import_the_database_layer_to_start() -> None:
    modules = _imported_after("scan", "--help")
    assert "secscan.cli.scan" in modules and "sqlalchemy" not in modules


def test_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    from secscan.cli import main

    assert main(["no-such-command"]) == 2
    assert "No such command" in capsys.readouterr().err


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    from secscan.cli import main

    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert f"  {name} " in out
    assert isinstance(cli, click.Group)
