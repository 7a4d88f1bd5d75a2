"""bandit: Python code flaws, from `bandit -f json`."""

from __future__ import annotations

import inspect
import json
import logging
import re
import tokenize
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from types import MappingProxyType
from typing import Any, ClassVar

from pydantic import BaseModel

from secscan.errors import ScannerError, ScannerOutputError
from secscan.model.findings import (
    Confidence,
    Finding,
    FindingKind,
    Location,
    NotAnalyzed,
    Scope,
    Severity,
    Suppression,
)
from secscan.model.targets import is_notebook, is_python
from secscan.scanners import bandit_titles
from secscan.scanners._views import python_views
from secscan.scanners.base import (
    RuleInfo,
    RuleLookup,
    ScanContext,
    ScanOutcome,
    ScanRequest,
    ToolScanner,
    normalized,
    options,
    require_accounted,
    section_options,
)
from secscan.settings import trust
from secscan.settings.config import Options
from secscan.util import pysource as _python

#: bandit's own reading of a `# nosec` comment (bandit/core/manager.py, 1.9).
NOSEC_COMMENT = re.compile(r"#\s*nosec:?\s*(?P<tests>[^#]+)?#?")
NOSEC_COMMENT_TESTS = re.compile(r"(?:(B\d+|[a-z\d_]+),?)+", re.IGNORECASE)
_TEST_ID = re.compile(r"^B\d+$")
_BANDIT_ID = re.compile(r"^B\d{3}$")
REMOTE_DOCS = "https://bandit.readthedocs.io/en/latest/plugins/index.html"
#: A directive is kept as evidence, not as a copy of the line.
MAX_DIRECTIVE = 200


@dataclass(frozen=True, slots=True)
class Nosec:
    """One `# nosec` comment: its text and the test ids it names (empty: every test)."""

    directive: str
    tests: frozenset[str]


def nosec_lines(source: bytes, resolve: Callable[[str], str | None]) -> dict[int, Nosec]:
    """Line -> `# nosec` comment, found the way bandit finds them: comment tokens only.

    A name that is no known test id or test name is dropped, as bandit drops it, so
    `# nosec: bogus` is a blanket `# nosec`.
    """
    out: dict[int, Nosec] = {}
    # bandit stops reading comments where tokenizing stops, and so do we; one token at a
    # time (a file of NUL bytes is a token per byte: as a list, 570 bytes a byte)
    for tok in _python.each_token(source):
        if tok.type != tokenize.COMMENT:
            continue
        m = NOSEC_COMMENT.search(tok.string)
        if not m:
            continue
        names = [t.group(1) for t in NOSEC_COMMENT_TESTS.finditer(m["tests"] or "")]
        tests = frozenset(t for t in map(resolve, names) if t)
        # Rebuilt from the words bandit reads: the rest of the comment is not kept.
        directive = " ".join(["# nosec", *(n for n in names if n)])
        out[tok.start[0]] = Nosec(directive[:MAX_DIRECTIVE], tests)
    return out


def nosec_for(
    test_id: str, line: int, line_range: tuple[int, ...], lines: Mapping[int, Nosec]
) -> Nosec | None:
    """The comment bandit would skip this result for, or None (bandit/core/tester.py, 1.9).

    bandit unites the ids of a comment on the result's line with the first comment in the
    flagged node's line range; an empty union is a blanket `# nosec`.
    """
    on_line = lines.get(line)
    in_range = next((lines[n] for n in line_range if n in lines), None)
    if on_line is None and in_range is None:
        return None
    tests = (on_line.tests if on_line else frozenset()) | (
        in_range.tests if in_range else frozenset()
    )
    if tests and test_id not in tests:
        return None
    return on_line or in_range


def resolve_test(name: str) -> str | None:
    """A name in a `# nosec` comment as bandit resolves it: a test id, a test's name, or None."""
    manager = plugin_manager()
    if manager is None:
        return name if _TEST_ID.match(name) else None
    if manager.check_id(name):
        return name
    found = manager.get_test_id(name)
    return str(found) if found else None


class BanditOptions(Options):
    #: Extra bandit test ids to skip (bandit's own -s).
    skip: tuple[str, ...] = ()


class BanditScanner(ToolScanner):
    name: ClassVar[str] = "bandit"
    kind: ClassVar[FindingKind] = FindingKind.CODE
    description: ClassVar[str] = "Python code flaws (PyCQA bandit)"
    url: ClassVar[str] = "https://bandit.readthedocs.io/"
    options_model: ClassVar[type[BaseModel] | None] = BanditOptions
    #: The hard-coded password tests: their range holds the literal.
    credential_rules: ClassVar[frozenset[str]] = frozenset({"B105", "B106", "B107"})
    #: A shell started with a command that is not a literal (subprocess shell=True, os.system).
    shell_command_rules: ClassVar[frozenset[str]] = frozenset({"B602", "B605"})
    #: B101 (assert) is how pytest tests are written: in test code it says nothing.
    scope_exemptions: ClassVar[Mapping[Scope, frozenset[str]]] = MappingProxyType(
        {Scope.TEST: frozenset({"B101"})}
    )
    executable: ClassVar[str] = "bandit"
    ok_codes: ClassVar[tuple[int, ...]] = (0, 1)  # 1 = issues found
    file_local: ClassVar[bool] = True
    version_from_distribution: ClassVar[bool] = True

    def applies_to(self, path: str) -> bool:
        return is_python(path) or is_notebook(path)

    def select(self, files: Sequence[str], request: ScanRequest) -> tuple[str, ...]:
        """Python by suffix, a script whose shebang names Python, and notebooks."""
        return tuple(f for f in files if self.applies_to(f) or f in request.python_scripts)

    def parse_version(self, text: str) -> str:
        # "bandit 1.9.4\n  python version = ..."
        first = text.strip().splitlines()[0] if text.strip() else ""
        return first.split()[-1] if first else "unknown"

    def cache_material(self, ctx: ScanContext) -> str | None:
        # Entries written before --ignore-nosec lack the findings a comment hid.
        return "ignore-nosec;" + ",".join(sorted(options(ctx.config, self, BanditOptions).skip))

    def argv(self, ctx: ScanContext, paths: Sequence[str] | None = None) -> list[str]:
        # Every `# nosec` is the scanned tree's say, not ours: bandit reports all findings and
        # parse() marks the ones a comment would have hidden.
        # bandit leaves out paths holding .hg, .git, __pycache__, ... even when named on its
        # command line; which files are read is discovery's decision (a tracked file in a
        # folder the tree calls `.hg` is scanned), so its list is replaced by a pattern no
        # normalised absolute path contains.
        argv = [self.tool_path(), "-f", "json", "-q", "--ignore-nosec", "-x", "//"]
        skip = options(ctx.config, self, BanditOptions).skip
        if skip:
            argv += ["-s", ",".join(skip)]
        given = paths if paths is not None else [ctx.abspath(t) for t in ctx.targets]
        return [*argv, "--", *given]

    def describe_rule(self, rule_id: str, lookup: RuleLookup) -> RuleInfo | None:
        if not _BANDIT_ID.match(rule_id.upper()):
            return None
        return bandit_rule(rule_id.upper())

    def rule_ids(self) -> frozenset[str] | None:
        return known_test_ids() or None  # bandit missing: nothing to check ids against

    def weakenings(self, base: trust.Section, head: trust.Section) -> Sequence[tuple[str, str]]:
        was = section_options(base, BanditOptions).skip
        skips = [s for s in section_options(head, BanditOptions).skip if s not in was]
        out = [("skip", f"bandit test(s) skipped: {trust.names(skips)}")] if skips else []
        return [*out, *trust.changed(base, head, known={"skip"})]

    def strengthened(self, base: trust.Section, head: trust.Section) -> BaseModel:
        """Tests no longer skipped apply at once; newly skipped ones do not."""
        was = section_options(base, BanditOptions)
        now = section_options(head, BanditOptions).skip
        return was.model_copy(update={"skip": tuple(s for s in was.skip if s in now)})

    def scan(self, ctx: ScanContext) -> ScanOutcome:
        # bandit reads any file it is handed as Python, but a notebook is JSON: its code
        # cells are handed over as a view (scanners/_views.py).
        with python_views(ctx, is_notebook) as views:
            paths = views.paths(ctx)
            if not paths:
                outcome = views.outcome(ScanOutcome(analyzed=frozenset()))
                return require_accounted(self.name, ctx, outcome)
            done = self.execute(self.argv(ctx, paths), ctx)
            outcome = self.parse(done.stdout, ctx)
            if done.returncode == 1 and not outcome.findings:
                raise ScannerError(
                    self.name, "bandit exited 1 (issues found) but reported no result"
                )
            return require_accounted(self.name, ctx, views.outcome(outcome))

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
            # bandit lists every file it read under `metrics`, those it could not parse too.
            files = _file_metrics(data)
            analyzed = frozenset(ctx.relpath(name) for name, _ in files)
            hidden = _hidden(totals)
            hidden_by_path = {ctx.relpath(name): _hidden(m) for name, m in files}
            findings = mark_suppressed(findings, results, ctx)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as e:
            raise ScannerOutputError(self.name, f"unexpected bandit result shape: {e!r}") from e
        return ScanOutcome(
            findings=findings,
            not_analyzed=skipped,
            inline_suppressions=hidden,
            suppressions_by_path={k: v for k, v in hidden_by_path.items() if v},
            analyzed=analyzed,
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
            severity=bandit_titles.severity(
                str(r["test_id"]),
                Severity.parse(str(r.get("issue_severity", "undefined"))),
                r.get("code") if isinstance(r.get("code"), str) else None,
            ),
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


def _file_metrics(data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(file name, its metrics) of every file bandit read."""
    return [
        (str(name), m)
        for name, m in data.get("metrics", {}).items()
        if name != "_totals" and isinstance(m, dict)
    ]


def _hidden(metrics: dict[str, Any]) -> int:
    """How many findings inline comments hid, by a file's (or the totals') metrics. Output of
    a bandit run without --ignore-nosec still says what it hid: bare `# nosec` counts as
    nosec, `# nosec B602` as skipped_tests."""
    return int(metrics.get("nosec", 0) or 0) + int(metrics.get("skipped_tests", 0) or 0)


def mark_suppressed(
    findings: tuple[Finding, ...], results: list[dict[str, Any]], ctx: ScanContext
) -> tuple[Finding, ...]:
    """Each finding a `# nosec` comment in its file would hide, marked with that comment."""
    comments: dict[str, dict[int, Nosec]] = {}
    # Only the files the tool was handed are read: a path in its output is not trusted.
    wanted = normalized(ctx.targets)
    out = []
    for f, r in zip(findings, results, strict=True):
        path = f.location.path
        if path not in comments:
            comments[path] = _read_nosecs(ctx, path) if path in wanted else {}
        lines = comments[path]
        line = f.location.start_line or 0
        line_range = tuple(int(n) for n in r.get("line_range") or [line])
        hit = nosec_for(f.rule_id, line, line_range, lines) if lines else None
        if hit is not None:
            where = next((n for n, c in lines.items() if c is hit), None)
            f = replace(f, suppression=Suppression(directive=hit.directive, line=where))
        out.append(f)
    return tuple(out)


def _read_nosecs(ctx: ScanContext, path: str) -> dict[int, Nosec]:
    try:
        source = (ctx.root / path).read_bytes()
    except (OSError, ValueError):
        return {}  # unreadable now: nothing can be proven suppressed, so nothing is
    if b"nosec" not in source:
        return {}
    return nosec_lines(source, resolve_test)


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


@lru_cache(maxsize=256)
def bandit_rule(test_id: str) -> RuleInfo | None:
    manager = plugin_manager()
    if manager is None:
        return None
    from bandit import __version__ as bandit_version  # type: ignore[import-untyped]
    from bandit.core import issue

    source = f"bandit {bandit_version} plugin documentation"
    if test_id in manager.blacklist_by_id:
        entry: dict[str, Any] = manager.blacklist_by_id[test_id]
        cwe = entry.get("cwe")
        return RuleInfo(
            rule_id=test_id,
            scanner="bandit",
            kind=FindingKind.CODE,
            title=f"blacklisted call or import: {entry.get('name', test_id)}",
            description=str(entry.get("message", "")),
            cwe=(int(cwe),) if cwe else (),
            severity=Severity.parse(str(entry.get("level", "medium"))),
            references=(REMOTE_DOCS,),
            source=source,
        )
    plugin = manager.plugins_by_id.get(test_id)
    if plugin is None:
        return None
    title, description = _rst_summary(inspect.getdoc(plugin.plugin) or "", test_id)
    return RuleInfo(
        rule_id=test_id,
        scanner="bandit",
        kind=FindingKind.CODE,
        title=title or plugin.name.replace("_", " "),
        description=description,
        cwe=_bandit_cwe(plugin.plugin, issue),
        references=(REMOTE_DOCS,),
        source=source,
    )


def _bandit_cwe(func: Any, issue: Any) -> tuple[int, ...]:
    """bandit keeps no table of its tests' CWEs: each plugin names its CWE in code
    (`cwe=issue.Cwe.OS_COMMAND_INJECTION`). Read it from the plugin, else its module when the
    module names exactly one.
    """
    for obj in (func, inspect.getmodule(func)):
        try:
            names = set(re.findall(r"Cwe\.([A-Z_]+)", inspect.getsource(obj)))  # type: ignore[arg-type]
        except (OSError, TypeError):
            continue
        ids = {getattr(issue.Cwe, n) for n in names if isinstance(getattr(issue.Cwe, n, None), int)}
        if len(ids) == 1 or (obj is func and ids):
            return tuple(sorted(ids))
    return ()


def _rst_summary(doc: str, test_id: str) -> tuple[str, str]:
    """The heading (`**B602: Test for ...**`) and the first two paragraphs of a plugin doc."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", doc) if p.strip()]
    title = ""
    if paragraphs and paragraphs[0].startswith("**"):
        title = paragraphs.pop(0).strip("*").strip()
        title = re.sub(rf"^{re.escape(test_id)}\s*:\s*", "", title)
    body = []
    for p in paragraphs:
        if p.startswith((":", "..", "See also", "Config Options", "**")) or p.endswith("::"):
            break
        body.append(" ".join(p.split()))
        if len(body) == 2:
            break
    return title, "\n\n".join(body)
