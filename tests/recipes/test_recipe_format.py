"""Recipe "add a report format" (docs/architecture.md), done as it says: one module with a
pure `render(saved, now) -> str` and its `Format`, and one registration line, an entry point
under `secscan.formats`. Nothing in `secscan/` is edited: the CLI's `--format` choices, the
config's `formats:` and the reports written derive from the registry."""

from __future__ import annotations

import shutil
from pathlib import Path

from recipekit import install
from test_recipe_scanner import MODULE as SCANNER
from test_recipe_scanner import REGISTRATION as SCANNER_REGISTRATION

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "reports" / "samples" / "secscan-results.json"

#: The new module: one CSV line per finding, sorted, no clock in it.
MODULE = '''
    """CSV: one line per finding (a recipe's example format)."""

    from __future__ import annotations

    from datetime import datetime

    from secscan.model.results import SavedResults
    from secscan.report.formats import Format


    def render(saved: SavedResults, now: datetime) -> str:
        rows = sorted(
            f"{f.severity.value},{f.scanner},{f.rule_id},{f.location.path}:{f.location.start_line}"
            for f in saved.result.findings
        )
        return "".join(row + "\\n" for row in ["severity,scanner,rule,where", *rows])


    FORMAT = Format("csv", "secscan-findings.csv", render)
'''
#: The one registration line (`[project.entry-points."secscan.formats"] csv = "csvformat:FORMAT"`).
REGISTRATION = "[secscan.formats]\ncsv = csvformat:FORMAT\n"


def test_a_new_format_is_one_module_and_one_entry_point(tmp_path: Path) -> None:
    plugin = install(tmp_path, "secscan-csv", "csvformat", MODULE, REGISTRATION)
    shutil.copy(SAMPLE, tmp_path / "results.json")

    ran = plugin.secscan(
        "report", "--from", "results.json", "--format", "csv", "--output-dir", "out", cwd=tmp_path
    )

    assert ran.returncode == 0, ran.stdout + ran.stderr
    lines = (tmp_path / "out" / "secscan-findings.csv").read_text().splitlines()
    assert lines[0] == "severity,scanner,rule,where"
    assert len(lines) > 10 and all(line.count(",") == 3 for line in lines)
    assert any(line.startswith("high,bandit,B") for line in lines)


def test_the_config_may_name_it_and_a_scan_writes_it(tmp_path: Path) -> None:
    plugin = install(tmp_path, "secscan-csv", "csvformat", MODULE, REGISTRATION)
    install(tmp_path, "secscan-evalgrep", "evalgrep", SCANNER, SCANNER_REGISTRATION)
    root = tmp_path / "project"
    root.mkdir()
    (root / "app.py").write_text("y = eval(input())\n")
    (root / ".secscan.yaml").write_text("version: 1\nscanners: [evalgrep]\nformats: [json, csv]\n")

    ran = plugin.secscan("scan", ".", "--output-dir", "out", "--no-cache", cwd=root)

    assert ran.returncode == 1, ran.stdout + ran.stderr  # the finding fails the gate
    assert (root / "out" / "secscan-findings.csv").read_text().splitlines()[1:] == [
        "high,evalgrep,EG001,app.py:1"
    ]


def test_without_the_plugin_the_name_is_refused_where_settings_are_read(tmp_path: Path) -> None:
    plugin = install(tmp_path, "secscan-evalgrep", "evalgrep", SCANNER, SCANNER_REGISTRATION)
    root = tmp_path / "project"
    root.mkdir()
    (root / ".secscan.yaml").write_text("version: 1\nscanners: [evalgrep]\nformats: [json, csv]\n")

    ran = plugin.secscan("scan", ".", "--output-dir", "out", cwd=root)

    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert "unknown report format 'csv'" in ran.stderr and ":3" in ran.stderr
