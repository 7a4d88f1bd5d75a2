"""The one format registry: every format renders the bundled example; everything derives from it."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import click
import pytest

from secscan.app.registry import Registry
from secscan.cli import cli
from secscan.errors import UsageError
from secscan.model.results import RESULTS_FILE, SavedResults, loads
from secscan.report.formats import BUILTINS as REGISTRY
from secscan.report.formats import COMPLIANCE_FORMATS, FORMATS, Format, Formats, Kind
from secscan.report.model import build
from secscan.settings.config import Config

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "reports" / "samples"


@pytest.fixture(scope="module")
def example() -> SavedResults:
    """The bundled example's captured results (reports/samples), not a live scan."""
    path = SAMPLES / RESULTS_FILE
    return loads(path.read_text(encoding="utf-8"), str(path))


def _clock(saved: SavedResults) -> datetime:
    return saved.result.finished_at or saved.result.started_at


@pytest.mark.parametrize("fmt", REGISTRY, ids=lambda f: f"{f.kind}-{f.name}")
def test_every_registered_format_renders_the_bundled_example(
    fmt: Format, example: SavedResults
) -> None:
    now = _clock(example)
    frameworks = [fw.id for fw in build(example, now).frameworks]
    assert frameworks  # the example is judged against frameworks, so compliance renders
    for framework in frameworks if fmt.kind is Kind.COMPLIANCE else [None]:
        text = fmt.render(example, now, framework=framework)
        assert text.strip()
        assert text == fmt.render(example, now, framework=framework)  # pure, same bytes
        name = fmt.target(framework)
        if fmt.files is not None:
            # A format written as several files: each is byte for byte its committed sample.
            outputs = fmt.outputs(example, now)
            assert outputs and outputs == fmt.outputs(example, now)
            for filename, content in outputs.items():
                assert content == (SAMPLES / filename).read_text(encoding="utf-8"), filename
        elif fmt.name == "json" and fmt.kind is Kind.SCAN:
            # The results JSON re-rendered from itself is itself.
            assert json.loads(text) == json.loads((SAMPLES / name).read_text(encoding="utf-8"))
        else:
            # Byte for byte the committed sample (rendered at the same clock).
            assert text == (SAMPLES / name).read_text(encoding="utf-8"), name


def test_a_compliance_format_needs_a_framework(example: SavedResults) -> None:
    with pytest.raises(UsageError, match="needs a framework"):
        COMPLIANCE_FORMATS["json"].render(example, _clock(example))


def test_registry_entries_are_unique_and_resolve() -> None:
    for kind in Kind:
        names = [f.name for f in REGISTRY if f.kind is kind]
        assert len(names) == len(set(names)), kind
    files = [f.filename for f in REGISTRY]
    assert len(files) == len(set(files))
    for f in REGISTRY:
        assert callable(f.renderer), f
        assert ("{id}" in f.filename) == (f.kind is Kind.COMPLIANCE), f


def _choices(*path: str) -> list[str]:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        found = command.get_command(click.Context(command), name)  # the CLI loads it lazily
        assert found is not None, name
        command = found
    option = next(p for p in command.params if "--format" in getattr(p, "opts", ()))
    assert isinstance(option.type, click.Choice)
    return list(option.type.choices)


def test_cli_choices_and_config_derive_from_the_registry() -> None:
    assert _choices("scan") == list(FORMATS)
    assert _choices("report") == list(FORMATS)
    assert _choices("compliance") == list(COMPLIANCE_FORMATS)
    schema = Registry.load(plugins=False).scanners.schema
    assert schema.formats == tuple(FORMATS)
    assert schema.make(formats=tuple(FORMATS)).formats == tuple(FORMATS)


def test_ci_writes_every_scan_format_but_the_older_versions() -> None:
    from secscan.cli import ci
    from secscan.report.formats import CI_FORMATS

    assert ci.CI_FORMATS == CI_FORMATS  # the registry's, read once by the command
    assert set(FORMATS) - set(CI_FORMATS) == {"oscal-1.0.6"}


def test_the_docs_table_lists_every_format() -> None:
    text = (REPO / "docs" / "reports.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    for f in REGISTRY:
        flag = f"`{f.name}`" if f.kind is Kind.SCAN else f"`compliance --format {f.name}`"
        file = f"`{f.filename.replace('{id}', '<framework>')}`"
        assert any(flag in r and file in r for r in rows), (f.kind, f.name)


# --- adding a format is one module and one registry line -----------------------------------


def test_a_new_format_is_one_function_and_one_registry_line(example: SavedResults) -> None:
    def render(saved: SavedResults, now: datetime) -> str:
        rows = [f"{f.severity},{f.rule_id}" for f in saved.result.findings]
        return "\n".join(sorted(rows)) + "\n"

    formats = Formats((*Formats().all, Format("csv", "secscan.csv", render)))  # the one line
    text = formats.scan["csv"].render(example, _clock(example))
    assert re.match(r"^(critical|high|medium|low|info),", text)
    assert len(text.splitlines()) == len(example.result.findings)
    assert "csv" in formats.ci


def test_config_rejects_an_unregistered_format() -> None:
    from pydantic import ValidationError

    schema = Registry.load(plugins=False).scanners.schema
    with pytest.raises(ValidationError, match="unknown report format 'pdf'"):
        schema.make(formats=("json", "pdf"))
    # A config built without a format registry does not check names (settings import none).
    assert Config(formats=("pdf",)).formats == ("pdf",)
