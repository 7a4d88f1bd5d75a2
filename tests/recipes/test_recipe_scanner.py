"""Recipe "add a scanner" (docs/architecture.md), done as it says: one module with a
`ToolScanner` (argv + pure parse + its options section) and one registration line, an entry
point under `secscan.scanners` in the package's metadata. Nothing in `secscan/` is edited."""

from __future__ import annotations

import json
from pathlib import Path

from recipekit import install

#: The new module: a scanner whose tool is grep, looking for a configurable call.
MODULE = '''
    """evalgrep: lines that call eval(), found by grep (a recipe's example scanner)."""

    from __future__ import annotations

    from typing import ClassVar

    from pydantic import BaseModel

    from secscan.model.findings import Finding, FindingKind, Location, Severity
    from secscan.scanners.base import ScanContext, ScanOutcome, ToolScanner, options
    from secscan.settings.config import Options


    class EvalGrepOptions(Options):
        pattern: str = "eval("


    class EvalGrepScanner(ToolScanner):
        name: ClassVar[str] = "evalgrep"
        kind: ClassVar[FindingKind] = FindingKind.CODE
        description: ClassVar[str] = "calls of eval(), by grep"
        display_name: ClassVar[str] = "evalgrep"
        url: ClassVar[str] = "https://example.org/evalgrep"
        executable: ClassVar[str] = "grep"
        ok_codes = (0, 1)  # grep exits 1 when nothing matched
        options_model: ClassVar[type[BaseModel] | None] = EvalGrepOptions
        file_local: ClassVar[bool] = True

        def applies_to(self, path: str) -> bool:
            return path.endswith(".py")

        def argv(self, ctx: ScanContext) -> list[str]:
            pattern = options(ctx.config, self, EvalGrepOptions).pattern
            return [self.tool_path(), "-n", "-H", "-F", "-e", pattern, "--",
                    *map(ctx.abspath, ctx.targets)]

        def parse(self, stdout: str, ctx: ScanContext) -> ScanOutcome:
            found = []
            for line in stdout.splitlines():
                path, number, _ = line.split(":", 2)
                found.append(Finding(
                    scanner=self.name, rule_id="EG001", title="eval() call",
                    message="eval() runs a string as code", severity=Severity.HIGH,
                    kind=FindingKind.CODE, location=Location(ctx.relpath(path), int(number)),
                    cwe=(95,),
                ))
            return ScanOutcome(findings=tuple(found), analyzed=frozenset(ctx.targets))
'''
#: The one registration line (in the plugin's own pyproject.toml it is
#: `[project.entry-points."secscan.scanners"] evalgrep = "evalgrep:EvalGrepScanner"`).
REGISTRATION = "[secscan.scanners]\nevalgrep = evalgrep:EvalGrepScanner\n"


def project(root: Path, config: str) -> Path:
    root.mkdir()
    (root / "app.py").write_text("x = 1\ny = eval(input())\nz = compile('1', 'f', 'eval')\n")
    (root / ".secscan.yaml").write_text(config)
    return root


def test_a_new_scanner_is_one_module_and_one_entry_point(tmp_path: Path) -> None:
    plugin = install(tmp_path, "secscan-evalgrep", "evalgrep", MODULE, REGISTRATION)
    root = project(
        tmp_path / "project",
        "version: 1\nscanners: [evalgrep]\nformats: [json, sarif]\nevalgrep:\n  pattern: eval(\n",
    )

    ran = plugin.secscan("scan", ".", "--output-dir", "out", "--no-cache", cwd=root)

    assert ran.returncode == 1, ran.stdout + ran.stderr  # a high finding fails the ci gate
    data = json.loads((root / "out" / "secscan-results.json").read_text())
    (run,) = data["result"]["runs"]
    assert (run["scanner"], run["status"]) == ("evalgrep", "ok")
    found = [
        (f["rule_id"], f["location"]["path"], f["location"]["start_line"]) for f in run["findings"]
    ]
    assert found == [("EG001", "app.py", 2)]  # its own section's pattern, not "eval"
    assert "iso27001-2022:A.8.28" in run["findings"][0]["controls"]  # mapped by its CWE
    sarif = json.loads((root / "out" / "secscan.sarif").read_text())
    driver = sarif["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["informationUri"]) == (
        "evalgrep",
        "https://example.org/evalgrep",
    )


def test_its_config_section_is_validated_with_the_rest(tmp_path: Path) -> None:
    plugin = install(tmp_path, "secscan-evalgrep", "evalgrep", MODULE, REGISTRATION)
    root = project(
        tmp_path / "project", "version: 1\nscanners: [evalgrep]\nevalgrep:\n  patern: x\n"
    )

    ran = plugin.secscan("scan", ".", "--output-dir", "out", cwd=root)

    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert "evalgrep.patern" in ran.stderr and "unknown key" in ran.stderr
