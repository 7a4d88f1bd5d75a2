"""semgrep, offline: secscan's own rule pack by default, never the network."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import yaml
from pydantic import BaseModel, Field

from secscan import trust
from secscan._resources import data_dir
from secscan.cache import hash_files
from secscan.config import Config, Options
from secscan.errors import ScannerError, ScannerOutputError
from secscan.findings import (
    TRANSIENT,
    Confidence,
    Finding,
    FindingKind,
    Location,
    NotAnalyzed,
    Severity,
    Suppression,
)
from secscan.scanners.base import (
    RuleInfo,
    RuleLookup,
    ScanContext,
    ScanOutcome,
    ToolScanner,
    normalized,
    options,
    require_accounted,
    section_options,
)

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


#: semgrep's own reading of a `nosemgrep` comment (src/reporting/Nosemgrep.ml, 1.x).
_RULE_IDS = r"(?:[:=][\s]?(?P<ids>([^,\s](?:[,\s]+)?)+))?"
NOSEM_INLINE = re.compile(r" nosem(?:grep)?" + _RULE_IDS, re.IGNORECASE)
NOSEM_PREVIOUS_LINE = re.compile(r"^[^a-zA-Z0-9]* *nosem(?:grep)?" + _RULE_IDS, re.IGNORECASE)
MAX_DIRECTIVE = 200
#: File extensions of the languages a rule may name (semgrep's `languages:` key).
LANGUAGE_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "python": (".py", ".pyw"),
    "python3": (".py", ".pyw"),
    "py": (".py", ".pyw"),
    "javascript": (".js", ".jsx", ".mjs", ".cjs"),
    "js": (".js", ".jsx", ".mjs", ".cjs"),
    "typescript": (".ts", ".tsx"),
    "ts": (".ts", ".tsx"),
    "go": (".go",),
    "golang": (".go",),
    "java": (".java",),
    "ruby": (".rb",),
    "php": (".php",),
    "rust": (".rs",),
    "c": (".c",),
    "csharp": (".cs",),
    "c#": (".cs",),
    "kotlin": (".kt",),
    "kt": (".kt",),
    "scala": (".scala",),
    "bash": (".sh",),
    "sh": (".sh",),
}
#: Rules in these "languages" read any file.
ANY_LANGUAGE = frozenset({"generic", "regex", "none"})


def nosem_directive(line: str, previous: str | None, check_id: str) -> str | None:
    """The `nosemgrep` comment semgrep would hide a match for, or None.

    As semgrep reads it: on the match's first line, or alone on the line above; no ids
    means every rule; an id matches the rule's id or a dotted suffix of it.
    """
    found: list[list[str] | None] = []
    for text, rex in ((line, NOSEM_INLINE), (previous, NOSEM_PREVIOUS_LINE)):
        if text is None:
            continue
        for m in rex.finditer(text):
            found.append(None if m["ids"] is None else _ids(m["ids"]))
    if not found:
        return None
    if all(ids is None for ids in found):
        return "nosemgrep"
    for ids in found:
        for wanted in ids or ():
            if check_id == wanted or check_id.endswith("." + wanted):
                # Rebuilt from the ids semgrep reads: the rest of the line is not kept.
                return f"nosemgrep: {', '.join(ids or ())}"[:MAX_DIRECTIVE]
    return None


def _ids(text: str) -> list[str]:
    """The rule ids of a `nosemgrep:` list as semgrep takes them: each entry's first word."""
    out = []
    for raw in text.split(","):
        words = raw.strip(" ").split(" ")
        wanted = words[0].strip('"') if words else ""
        if wanted:
            out.append(wanted)
    return out


def rule_languages(configs: Iterable[str]) -> frozenset[str] | None:
    """The languages the rule files name; None when a config is not a local file (unknown)."""
    out: set[str] = set()
    for cfg in configs:
        path = Path(cfg)
        if not path.exists():
            return None
        files = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
        for f in files if path.is_dir() else [path]:
            try:
                doc = yaml.safe_load(f.read_text(encoding="utf-8"))
            except (OSError, ValueError, yaml.YAMLError):
                return None  # semgrep will say what is wrong with it; assume every language
            rules = doc.get("rules") if isinstance(doc, dict) else None
            for rule in rules if isinstance(rules, list) else []:
                langs = rule.get("languages") if isinstance(rule, dict) else None
                if isinstance(langs, list):
                    out.update(str(x).lower() for x in langs if x)
    return frozenset(out)


def covered(path: str, languages: frozenset[str] | None) -> bool:
    """Whether some configured rule reads this file's language."""
    if languages is None or languages & ANY_LANGUAGE:
        return True
    return any(path.endswith(LANGUAGE_EXTENSIONS.get(lang, ())) for lang in languages)


def builtin_rules() -> str:
    return str(data_dir("policies") / "semgrep")


class SemgrepOptions(Options):
    #: "builtin" is secscan's own pack (policies/semgrep); other entries are rule files or
    #: directories relative to the config file, or registry names when online.
    rules: tuple[str, ...] = ("builtin",)
    jobs: int | None = Field(default=None, ge=1)
    #: Seconds one rule may spend on one file (semgrep's --timeout; its own default, 5 s, is
    #: met on ordinary files of a loaded 2-core machine, which made results vary run to run).
    rule_timeout: float = Field(default=60.0, gt=0)


#: Rule-set entries that name the semgrep registry rather than a file.
REGISTRY_PREFIXES = ("auto", "p/", "r/", "s/", "http://", "https://")


def local_rule_paths(config: Config) -> list[Path]:
    """The configured rule files and directories that exist here (not the pack, no registry)."""
    return [
        p
        for entry in config.section("semgrep", SemgrepOptions).rules
        if entry != "builtin" and not entry.startswith(REGISTRY_PREFIXES)
        for p in (config.resolve(entry),)
        if p is not None and p.exists()
    ]


class SemgrepScanner(ToolScanner):
    name: ClassVar[str] = "semgrep"
    kind: ClassVar[FindingKind] = FindingKind.CODE
    description: ClassVar[str] = "multi-language code flaws (semgrep, secscan rule pack)"
    url: ClassVar[str] = "https://semgrep.dev/docs/"
    options_model: ClassVar[type[BaseModel] | None] = SemgrepOptions
    #: The pack's rules are calibrated by data flow (request data reaching a sink is high,
    #: an untraced value a low audit hint): its severity decides a flaw bandit reports too.
    severity_authority: ClassVar[bool] = True
    executable: ClassVar[str] = "semgrep"
    ok_codes: ClassVar[tuple[int, ...]] = (0, 1)

    def applies_to(self, path: str) -> bool:
        return path.endswith(EXTENSIONS)

    #: Semgrep OSS rules match within one file, so per-file results can be cached.
    file_local: ClassVar[bool] = True
    version_from_distribution: ClassVar[bool] = True

    def env(self) -> Mapping[str, str]:
        return OFFLINE_ENV

    def rulesets(self, ctx: ScanContext) -> tuple[str, ...]:
        return tuple(options(ctx.config, self, SemgrepOptions).rules)

    def cache_material(self, ctx: ScanContext) -> str | None:
        configs = self.rule_configs(ctx)
        if any(not Path(c).exists() for c in configs):
            return None  # registry rules change without notice: never cache them
        # Entries written before --disable-nosem lack the findings a comment hid.
        rules = hash_files([Path(c) for c in configs])
        budget = options(ctx.config, self, SemgrepOptions).rule_timeout
        return hashlib.sha256(f"disable-nosem;timeout={budget:g};{rules}".encode()).hexdigest()

    def describe_rule(self, rule_id: str, lookup: RuleLookup) -> RuleInfo | None:
        return semgrep_rule(rule_id, tuple(local_rule_paths(lookup.config)))

    def option_files(self, options: BaseModel) -> Mapping[str, tuple[str, ...]]:
        """Rule files and directories: their content is what semgrep looks for."""
        rules = options.rules if isinstance(options, SemgrepOptions) else ()
        return {"rules": tuple(e for e in rules if e != "builtin")}

    def weakenings(self, base: trust.Section, head: trust.Section) -> Sequence[tuple[str, str]]:
        out = []
        was = section_options(base, SemgrepOptions).rule_timeout
        now = section_options(head, SemgrepOptions).rule_timeout
        if now < was:
            out.append(
                (
                    "rule_timeout",
                    f"semgrep.rule_timeout lowered from {was:g} to {now:g} s: files that run "
                    "out are no longer analyzed",
                )
            )
        head_rules = {(r.entry, r.digest) for r in head.entries("rules")}
        head_names = {entry for entry, _ in head_rules}
        for r in base.entries("rules"):
            if (r.entry, r.digest) in head_rules:
                continue
            gone = r.entry not in head_names
            out.append(
                ("rules", f"semgrep rule set {r.entry!r} {'removed' if gone else 'changed'}")
            )
        # `jobs` is how many workers share the files, never what they find.
        return [*out, *trust.changed(base, head, known={"rules", "rule_timeout", "jobs"})]

    def strengthened(self, base: trust.Section, head: trust.Section) -> BaseModel:
        """Rule sets added by the tree under review apply, read where that tree has them;
        the base's rule sets stay, read from the base's copies."""
        kept = [r.location or r.entry for r in base.entries("rules")]
        known = {r.entry for r in base.entries("rules")}
        extra = [r.location or r.entry for r in head.entries("rules") if r.entry not in known]
        return section_options(base, SemgrepOptions).model_copy(
            update={"rules": tuple(dict.fromkeys([*kept, *extra]))}
        )

    def rule_configs(self, ctx: ScanContext) -> list[str]:
        out = []
        for entry in options(ctx.config, self, SemgrepOptions).rules:
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
        opts = options(ctx.config, self, SemgrepOptions)
        argv = [
            self.tool_path(),
            "scan",
            "--json",
            "--quiet",
            "--disable-version-check",
            "--metrics=off",
            # A `nosemgrep` comment is the scanned tree's say: semgrep reports every match and
            # parse() marks the ones a comment would have hidden.
            "--disable-nosem",
            "--jobs",
            str(opts.jobs or ctx.jobs),
            # A time budget the files need, not a race against machine load: a file that
            # still runs out is reported as not analyzed (and never cached).
            "--timeout",
            f"{opts.rule_timeout:g}",
            "--timeout-threshold",
            "0",
        ]
        for cfg in self.rule_configs(ctx):
            argv += ["--config", cfg]
        return [*argv, "--", *(ctx.abspath(t) for t in ctx.targets)]

    def scan(self, ctx: ScanContext) -> ScanOutcome:
        done = self.execute(self.argv(ctx), ctx)
        outcome = self.parse(done.stdout, ctx)
        if done.returncode == 1 and not outcome.findings:
            raise ScannerError(self.name, "semgrep exited 1 but reported no result")
        # semgrep drops, without a word, a file no configured rule's language reads.
        languages = rule_languages(self.rule_configs(ctx))
        unread = tuple(
            NotAnalyzed(t, "semgrep: no configured rule reads this file's language")
            for t in ctx.targets
            if not covered(t, languages)
            and outcome.analyzed is not None
            and t not in outcome.analyzed
        )
        outcome = replace(outcome, not_analyzed=(*outcome.not_analyzed, *unread))
        require_accounted(self.name, ctx, outcome)
        return outcome

    def parse(self, stdout: str, ctx: ScanContext) -> ScanOutcome:
        try:
            data = json.loads(stdout)
            results: list[dict[str, Any]] = data["results"]
            errors: list[dict[str, Any]] = data.get("errors", [])
        except (ValueError, KeyError, TypeError) as e:
            raise ScannerOutputError(self.name, f"output is not semgrep JSON: {e}") from e
        analyzed: frozenset[str] | None = None
        paths = data.get("paths") if isinstance(data, dict) else None
        scanned = paths.get("scanned") if isinstance(paths, dict) else None
        if isinstance(scanned, list):
            analyzed = frozenset(ctx.relpath(str(p)) for p in scanned)
        not_analyzed: list[NotAnalyzed] = []
        # Any value of the wrong type anywhere is a broken tool, never a partial result.
        try:
            for err in errors:
                path = err.get("path") or _span_file(err)
                kind = err.get("type")
                kind_text = kind[0] if isinstance(kind, list) and kind else str(kind or "error")
                if path:
                    not_analyzed.append(NotAnalyzed(ctx.relpath(str(path)), _reason(kind_text)))
                elif err.get("level") == "error":
                    msg = (str(err.get("message") or kind_text).strip().splitlines() or ["?"])[0]
                    raise ScannerError(self.name, f"semgrep reported an error: {msg}")
            findings = tuple(self._finding(r, ctx) for r in results)
            findings = mark_suppressed(findings, [str(r["check_id"]) for r in results], ctx)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise ScannerOutputError(self.name, f"unexpected semgrep result shape: {e!r}") from e
        return ScanOutcome(
            findings=findings,
            not_analyzed=tuple(dict.fromkeys(not_analyzed)),
            rulesets=self.rulesets(ctx),
            analyzed=analyzed,
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


def mark_suppressed(
    findings: tuple[Finding, ...], check_ids: list[str], ctx: ScanContext
) -> tuple[Finding, ...]:
    """Each finding a `nosemgrep` comment in its file would hide, marked with that comment."""
    sources: dict[str, list[str] | None] = {}
    # Only the files the tool was handed are read: a path in its output is not trusted.
    wanted = normalized(ctx.targets)
    out = []
    for f, check_id in zip(findings, check_ids, strict=True):
        path = f.location.path
        if path not in sources:
            sources[path] = _read_lines(ctx, path) if path in wanted else None
        lines = sources[path]
        n = f.location.start_line or 0
        if lines and 1 <= n <= len(lines):
            previous = lines[n - 2] if n >= 2 else None
            directive = nosem_directive(lines[n - 1], previous, check_id)
            if directive is not None:
                line = n if NOSEM_INLINE.search(lines[n - 1]) else n - 1
                f = replace(f, suppression=Suppression(directive=directive, line=line))
        out.append(f)
    return tuple(out)


def _read_lines(ctx: ScanContext, path: str) -> list[str] | None:
    try:
        source = (ctx.root / path).read_bytes()
    except (OSError, ValueError):
        return None  # unreadable now: nothing can be proven suppressed, so nothing is
    if b"nosem" not in source.lower():
        return None
    return source.decode("utf-8", errors="replace").split("\n")


#: semgrep error types that say more about this run than about the file.
TRANSIENT_ERRORS = frozenset({"Timeout", "OutOfMemory", "Out of memory"})


def _reason(kind_text: str) -> str:
    if kind_text == "Timeout":
        return f"semgrep: Timeout (a rule ran out of semgrep.rule_timeout) {TRANSIENT}"
    if kind_text in TRANSIENT_ERRORS:
        return f"semgrep: {kind_text} {TRANSIENT}"
    return f"semgrep: {kind_text}"


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


def semgrep_rule(rule_id: str, extra: tuple[Path, ...] = ()) -> RuleInfo | None:
    for rule, origin in _semgrep_index((data_dir("policies") / "semgrep", *extra)):
        if rule.get("id") == rule_id:
            meta: dict[str, Any] = rule.get("metadata") or {}
            labels = [str(c) for c in _as_list(meta.get("cwe"))]
            cwe = tuple(dict.fromkeys(int(m) for c in labels for m in re.findall(r"CWE-(\d+)", c)))
            message = " ".join(str(rule.get("message", "")).split())
            return RuleInfo(
                rule_id=rule_id,
                scanner="semgrep",
                kind=FindingKind.CODE,
                title=str(meta.get("shortDescription") or rule_id.replace("-", " ")),
                description=message,
                cwe=cwe,
                severity=Severity.parse(str(rule.get("severity", "INFO"))),
                fix=str(meta["remediation"]) if meta.get("remediation") else None,
                references=tuple(str(u) for u in _as_list(meta.get("references")) if u),
                source=origin,
            )
    return None


def _semgrep_index(roots: Iterable[Path]) -> list[tuple[dict[str, Any], str]]:
    out: list[tuple[dict[str, Any], str]] = []
    for root in roots:
        files = sorted(root.rglob("*.y*ml")) if root.is_dir() else [root]
        for path in files:
            if path.suffix not in (".yaml", ".yml") or not path.is_file():
                continue
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                continue  # not a rule file; semgrep itself reports broken rule files
            rules = data.get("rules") if isinstance(data, dict) else None
            for rule in rules if isinstance(rules, list) else []:
                if isinstance(rule, dict):
                    out.append((rule, str(path)))
    return out
