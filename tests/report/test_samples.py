"""reports/samples/ is what the current code renders from the committed example results."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import jsonschema
import pytest
from reportdata import load_schema

from secscan.model.results import RESULTS_FILE, SavedResults, loads

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "samples.py"
SAMPLES = REPO / "reports" / "samples"
EXAMPLE = REPO / "examples" / "vulnerable-shop"
#: Dates and times in any of the forms the reports print.
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}| UTC)?")


_LITERAL = re.compile(
    r'^\s*[A-Z_]*(?:KEY|TOKEN|PASSWORD|SECRET|WEBHOOK_URL)[A-Z_]*\s*=\s*"([^"]{8,})"', re.M
)


def _load_script() -> ModuleType:
    """scripts/samples.py is a script outside the package; the test runs its own code."""
    spec = importlib.util.spec_from_file_location("secscan_samples_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


samples = _load_script()


def saved() -> SavedResults:
    path = SAMPLES / RESULTS_FILE
    return loads(path.read_text(encoding="utf-8"), str(path))


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return samples.render_samples(saved())


def untimed(text: str) -> str:
    return _TIME.sub("<time>", text)


def test_every_sample_is_current(rendered: dict[str, str]) -> None:
    on_disk = {p.name for p in SAMPLES.iterdir()} - {RESULTS_FILE, "README.md"}
    assert on_disk == set(rendered), "run: python scripts/samples.py"
    stale = [
        name
        for name, text in sorted(rendered.items())
        if untimed((SAMPLES / name).read_text(encoding="utf-8")) != untimed(text)
    ]
    assert not stale, f"stale samples {stale}: run python scripts/samples.py"


def test_samples_cover_every_format_and_framework(rendered: dict[str, str]) -> None:
    names = set(rendered)
    assert {
        "secscan-report.html",
        "secscan.sarif",
        "secscan-summary.md",
        "secscan-junit.xml",
    } <= names
    for fw in ("iso27001-2022", "gdpr"):
        assert {f"compliance-{fw}.html", f"compliance-{fw}.md", f"compliance-{fw}.json"} <= names


def test_example_sarif_validates_against_the_oasis_schema() -> None:
    data = json.loads((SAMPLES / "secscan.sarif").read_text(encoding="utf-8"))
    errors = list(jsonschema.Draft4Validator(load_schema()).iter_errors(data))
    assert not errors, [e.message for e in errors[:5]]
    names = {r["tool"]["driver"]["name"] for r in data["runs"]}
    assert {"bandit", "semgrep", "pip-audit", "iac", "secrets"} <= names
    # Dependency findings point at the manifest line that pins the package.
    pip = next(r for r in data["runs"] if r["tool"]["driver"]["name"] == "pip-audit")
    flask = next(
        r
        for r in pip["results"]
        if r["properties"].get("package", {}).get("name", "").lower() == "flask"
    )
    loc = flask["locations"][0]["physicalLocation"]
    # The samples are a scan inside this repository: URIs are relative to its top directory.
    assert loc["artifactLocation"]["uri"] == "examples/vulnerable-shop/requirements.txt"
    manifest = REPO / loc["artifactLocation"]["uri"]
    line = manifest.read_text().splitlines()[loc["region"]["startLine"] - 1]
    assert line.lower().startswith("flask==")


def test_no_machine_paths_in_samples() -> None:
    for p in SAMPLES.iterdir():
        assert "/work/" not in p.read_text(encoding="utf-8"), p.name


def _example_secrets() -> list[str]:
    """The (fake) credential literals planted in the example, read from the source itself."""
    found = []
    for rel in ("app/config.py", "app/integrations.py"):
        text = (EXAMPLE / rel).read_text(encoding="utf-8")
        found += _LITERAL.findall(text)
    return found


def test_no_sample_repeats_a_credential() -> None:
    secrets = _example_secrets()
    if not secrets:
        pytest.skip("the example has no credential literals to look for")
    for p in SAMPLES.iterdir():
        text = p.read_text(encoding="utf-8")
        leaked = [s[:6] + "…" for s in secrets if s in text]
        assert not leaked, f"{p.name} repeats {leaked}"
