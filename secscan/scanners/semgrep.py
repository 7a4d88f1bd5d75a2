"""semgrep, offline: secscan's own rule pack by default, never the network."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from secscan._resources import data_dir
from secscan.cache import hash_files
from secscan.errors import ScannerError, ScannerOutputError
from secscan.findings import Confidence, Finding, FindingKind, Location, NotAnalyzed, Severity
from secscan.scanners.base import ScanContext, ScanOutcome, ToolScanner

#: Languages our pack and semgrep's parsers cover; other files are not worth a semgrep start.
EXTENSIONS = (
    ".py",
    ".pyw",
    ".js",
    ".jsx",
    ".mjs",
    ".cjs",
    ".ts",
    ".tsx",
    ".go",
    ".java",
    ".rb",
    ".php",
    ".rs",
    ".c",
    ".cs",
    ".kt",
    ".scala",
    ".sh",
)
_CWE = re.compile(r"CWE-(\d+)")
#: These keep semgrep 1.x from calling home (the version check alone stalls ~100 s offline).
OFFLINE_ENV = {"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}


def builtin_rules() -> str:
    return str(data_dir("policies") / "semgrep")


class SemgrepScanner(ToolScanner):
    name: ClassVar[str] = "semgrep"
    kind: ClassVar[FindingKind] = FindingKind.CODE
    description: ClassVar[str] = "multi-language code flaws (semgrep, secscan rule pack)"
    executable: ClassVar[str] = "semgrep"
    ok_codes: ClassVar[tuple[int, ...]] = (0, 1)

    def applies_to(self, path: str) -> bool:
        return path.endswith(EXTENSIONS)

    #: Semgrep OSS rules match within one file, so per-file results can be cached.
    file_local: ClassVar[bool] = True

    def env(self) -> Mapping[str, str]:
        return OFFLINE_ENV

    def rulesets(self, ctx: ScanContext) -> tuple[str, ...]:
        return tuple(ctx.config.semgrep.rules)

    def cache_material(self, ctx: ScanContext) -> str | None:
        configs = self.rule_configs(ctx)
        if any(not Path(c).exists() for c in configs):
            return None  # registry rules change without notice: never cache them
        return hash_files([Path(c) for c in configs])

    def rule_configs(self, ctx: ScanContext) -> list[str]:
        out = []
        for entry in ctx.config.semgrep.rules:
            if entry == "builtin":
                out.append(builtin_rules())
            elif entry == "auto" or entry.startswith(("p/", "r/", "s/", "http://", "https://")):
                out.append(entry)  # registry config: needs the network, so fails closed offline
            else:
                out.append(str(ctx.config.resolve(entry)))
        if not out:
            raise ScannerError(self.name, "no semgrep rules configured (semgrep.rules is empty)")
        return out

    def argv(self, ctx: ScanContext) -> list[str]:
        argv = [
            self.tool_path(),
            "scan",
            "--json",
            "--quiet",
            "--disable-version-check",
            "--metrics=off",
            "--jobs",
            str(ctx.config.semgrep.jobs or ctx.jobs),
        ]
        for cfg in self.rule_configs(ctx):
            argv += ["--config", cfg]
        return [*argv, "--", *(ctx.abspath(t) for t in ctx.targets)]

    def parse(self, stdout: str, ctx: ScanContext) -> ScanOutcome:
        try:
            data = json.loads(stdout)
            results: list[dict[str, Any]] = data["results"]
            errors: list[dict[str, Any]] = data.get("errors", [])
        except (ValueError, KeyError, TypeError) as e:
            raise ScannerOutputError(self.name, f"output is not semgrep JSON: {e}") from e
        not_analyzed: list[NotAnalyzed] = []
        # Any value of the wrong type anywhere is a broken tool, never a partial result.
        try:
            for err in errors:
                path = err.get("path") or _span_file(err)
                kind = err.get("type")
                kind_text = kind[0] if isinstance(kind, list) and kind else str(kind or "error")
                if path:
                    not_analyzed.append(
                        NotAnalyzed(ctx.relpath(str(path)), f"semgrep: {kind_text}")
                    )
                elif err.get("level") == "error":
                    msg = (str(err.get("message") or kind_text).strip().splitlines() or ["?"])[0]
                    raise ScannerError(self.name, f"semgrep reported an error: {msg}")
            findings = tuple(self._finding(r, ctx) for r in results)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise ScannerOutputError(self.name, f"unexpected semgrep result shape: {e!r}") from e
        return ScanOutcome(
            findings=findings,
            not_analyzed=tuple(dict.fromkeys(not_analyzed)),
            rulesets=self.rulesets(ctx),
        )

    def _finding(self, r: dict[str, Any], ctx: ScanContext) -> Finding:
        extra: dict[str, Any] = r.get("extra", {})
        meta: dict[str, Any] = extra.get("metadata", {}) or {}
        check_id = str(r["check_id"])
        # Local rule files get their directory prepended as a dotted prefix; our ids have no dots.
        rule_id = check_id.rsplit(".", 1)[-1]
        cwe = tuple(
            dict.fromkeys(int(m) for c in _as_list(meta.get("cwe")) for m in _CWE.findall(str(c)))
        )
        refs = tuple(str(u) for u in _as_list(meta.get("references")) if u)
        if meta.get("source"):
            refs += (str(meta["source"]),)
        message = str(extra.get("message", "")).strip()
        start, end = r.get("start", {}), r.get("end", {})
        owasp = tuple(f"owasp:{str(o).split(' ')[0]}" for o in _as_list(meta.get("owasp")))
        return Finding(
            scanner=self.name,
            rule_id=rule_id,
            title=str(meta.get("shortDescription") or rule_id.replace("-", " ")),
            message=message,
            severity=Severity.parse(str(extra.get("severity", "INFO"))),
            confidence=Confidence.parse(meta.get("confidence")),
            kind=FindingKind.CODE,
            location=Location(
                path=ctx.relpath(str(r["path"])),
                start_line=int(start["line"]),
                end_line=int(end.get("line", start["line"])),
                start_column=int(start.get("col", 1)),
                end_column=int(end["col"]) if "col" in end else None,
            ),
            cwe=cwe,
            references=refs,
            remediation=str(meta["remediation"]) if meta.get("remediation") else None,
            tags=("security", *owasp),
        )


def _as_list(v: Any) -> list[Any]:
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def _span_file(err: dict[str, Any]) -> str | None:
    spans = err.get("spans") or []
    for s in spans:
        if isinstance(s, dict) and s.get("file"):
            return str(s["file"])
    return None
