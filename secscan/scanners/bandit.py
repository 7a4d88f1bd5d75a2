"""bandit: Python code flaws, from `bandit -f json`."""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from typing import Any, ClassVar

from secscan.errors import ScannerOutputError
from secscan.findings import Confidence, Finding, FindingKind, Location, NotAnalyzed, Severity
from secscan.scanners import bandit_titles
from secscan.scanners.base import ScanContext, ScanOutcome, ToolScanner


class BanditScanner(ToolScanner):
    name: ClassVar[str] = "bandit"
    kind: ClassVar[FindingKind] = FindingKind.CODE
    description: ClassVar[str] = "Python code flaws (PyCQA bandit)"
    executable: ClassVar[str] = "bandit"
    ok_codes: ClassVar[tuple[int, ...]] = (0, 1)  # 1 = issues found
    file_local: ClassVar[bool] = True

    def applies_to(self, path: str) -> bool:
        return path.endswith((".py", ".pyw"))

    def parse_version(self, text: str) -> str:
        # "bandit 1.9.4\n  python version = ..."
        first = text.strip().splitlines()[0] if text.strip() else ""
        return first.split()[-1] if first else "unknown"

    def cache_material(self, ctx: ScanContext) -> str | None:
        return ",".join(sorted(ctx.config.bandit.skip))

    def argv(self, ctx: ScanContext) -> list[str]:
        argv = [self.tool_path(), "-f", "json", "-q"]
        if ctx.config.bandit.skip:
            argv += ["-s", ",".join(ctx.config.bandit.skip)]
        return [*argv, "--", *(ctx.abspath(t) for t in ctx.targets)]

    def parse(self, stdout: str, ctx: ScanContext) -> ScanOutcome:
        try:
            data = json.loads(stdout)
            results: list[dict[str, Any]] = data["results"]
            errors: list[dict[str, Any]] = data.get("errors", [])
            totals: dict[str, Any] = data.get("metrics", {}).get("_totals", {})
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise ScannerOutputError(self.name, f"output is not bandit JSON: {e}") from e
        # Any value of the wrong type anywhere is a broken tool, never a partial result.
        try:
            findings = tuple(self._finding(r, ctx) for r in results)
            skipped = tuple(
                NotAnalyzed(
                    ctx.relpath(str(err.get("filename", "?"))), str(err.get("reason", "error"))
                )
                for err in errors
            )
            per_file = {
                ctx.relpath(name): int(m.get("nosec", 0) or 0) + int(m.get("skipped_tests", 0) or 0)
                for name, m in data.get("metrics", {}).items()
                if name != "_totals" and isinstance(m, dict)
            }
            # bare `# nosec` counts as nosec, `# nosec B602` as skipped_tests: both suppress
            suppressed = int(totals.get("nosec", 0) or 0) + int(totals.get("skipped_tests", 0) or 0)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise ScannerOutputError(self.name, f"unexpected bandit result shape: {e!r}") from e
        return ScanOutcome(
            findings=findings,
            not_analyzed=skipped,
            suppressions_by_path={k: v for k, v in per_file.items() if v},
            inline_suppressions=suppressed,
        )

    def _finding(self, r: dict[str, Any], ctx: ScanContext) -> Finding:
        line = int(r["line_number"])
        line_range = [int(n) for n in r.get("line_range") or [line]]
        cwe = r.get("issue_cwe") or {}
        cwe_ids = (int(cwe["id"]),) if cwe.get("id") else ()
        refs = tuple(u for u in (r.get("more_info"), cwe.get("link")) if u)
        end_col = r.get("end_col_offset")
        return Finding(
            scanner=self.name,
            rule_id=str(r["test_id"]),
            title=bandit_titles.title(str(r["test_id"]), r.get("test_name")),
            message=str(r["issue_text"]),
            severity=Severity.parse(str(r.get("issue_severity", "undefined"))),
            confidence=Confidence.parse(r.get("issue_confidence")),
            kind=FindingKind.CODE,
            location=Location(
                path=ctx.relpath(str(r["filename"])),
                start_line=line,
                end_line=max(line_range) if line_range else line,
                start_column=int(r.get("col_offset", 0)) + 1,
                end_column=int(end_col) + 1 if end_col is not None else None,
            ),
            cwe=cwe_ids,
            references=refs,
            tags=("security",),
        )


@lru_cache(maxsize=1)
def plugin_manager() -> Any | None:
    """bandit's own catalogue of tests, loaded in-process (policy validation, `explain`).

    None when bandit is not importable. bandit's loader logs an error for its optional SARIF
    formatter whenever jschema_to_python is absent: not a problem of ours to show users.
    """
    quiet = logging.getLogger("stevedore.extension")
    was = quiet.disabled
    quiet.disabled = True
    try:
        from bandit.core import extension_loader  # type: ignore[import-untyped]
    except ImportError:
        return None
    finally:
        quiet.disabled = was
    return extension_loader.MANAGER


def known_test_ids() -> frozenset[str]:
    manager = plugin_manager()
    if manager is None:
        return frozenset()
    return frozenset([*manager.plugins_by_id, *manager.blacklist_by_id])
