"""github-actions: GitHub Actions workflows and composite actions, from `zizmor --format json`
(offline), plus secscan's own workflow rules (`actions_rules`) over the files zizmor read.

The scanned tree decides nothing about how it is judged: zizmor runs with secscan's own
configuration (`--config`, never a `zizmor.yml` of the tree), `--no-ignores` (a
`# zizmor: ignore[...]` comment hides nothing; the findings it would hide are marked with it
and the gate profile decides, as for `# nosec`), `--offline` (no GitHub token is read or
sent) and `--no-exit-codes` (0 ran, anything else failed).
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

from secscan.errors import ScannerOutputError
from secscan.model.findings import (
    Confidence,
    Finding,
    FindingKind,
    Location,
    NotAnalyzed,
    Severity,
    Suppression,
)
from secscan.scanners import actions_rules
from secscan.scanners.base import (
    RuleInfo,
    RuleLookup,
    ScanContext,
    ScanOutcome,
    ToolScanner,
    require_accounted,
)
from secscan.util.atomic import write_atomic

#: secscan's zizmor configuration (written to a private temporary file for each run): every
#: action, first-party ones too, must be pinned to a full commit SHA. zizmor's own default lets
#: `actions/*` and `github/*` be pinned by tag, and tags can be re-pointed (trivy-action, 2026).
CONFIG = """\
rules:
  unpinned-uses:
    config:
      policies:
        "*": hash-pin
"""
#: The persona: "regular" is zizmor's set with few false positives.
PERSONA = "regular"
DOCS = "https://docs.zizmor.sh/audits/"

#: zizmor's severity words.
_SEVERITY = {
    "informational": Severity.INFO,
    "unknown": Severity.INFO,
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
}

#: zizmor 1.33's audits (its documentation's list): the ids `explain` describes as zizmor's.
AUDITS = frozenset(
    """
    adhoc-packages anonymous-definition archived-uses artipacked bot-conditions
    cache-poisoning concurrency-limits dangerous-triggers dependabot-cooldown
    dependabot-execution excessive-permissions forbidden-uses github-app github-env
    hardcoded-container-credentials impostor-commit insecure-commands insecure-url-scheme
    known-vulnerable-actions misfeature obfuscation overprovisioned-secrets ref-confusion
    ref-version-mismatch secrets-inherit secrets-outside-env self-hosted-runner
    self-repository stale-action-refs superfluous-actions template-injection typosquat-uses
    undocumented-permissions unpinned-images unpinned-tools unpinned-uses unredacted-secrets
    unsafe-checkout unsound-condition unsound-contains unsound-ternary use-trusted-publishing
    """.split()
)

#: The weaknesses of zizmor's audits (by audit id), as the audit documentation describes them.
CWE: Mapping[str, tuple[int, ...]] = {
    "template-injection": (94,),
    "github-env": (94,),
    "insecure-commands": (94,),
    "unpinned-uses": (829,),
    "unpinned-images": (829,),
    "impostor-commit": (829,),
    "ref-confusion": (829,),
    "ref-version-mismatch": (829,),
    "unpinned-tools": (829,),
    "unsafe-checkout": (829,),
    "secrets-outside-env": (200,),
    "stale-action-refs": (829,),
    "known-vulnerable-actions": (1395,),
    "artipacked": (522,),
    "excessive-permissions": (250,),
    "undocumented-permissions": (250,),
    "dangerous-triggers": (863,),
    "cache-poisoning": (349,),
    "hardcoded-container-credentials": (798,),
    "secrets-inherit": (200,),
    "overprovisioned-secrets": (200,),
    "unredacted-secrets": (532,),
    "bot-conditions": (290,),
    "unsound-contains": (697,),
    "unsound-condition": (697,),
    "self-hosted-runner": (668,),
    "use-trusted-publishing": (522,),
}

#: The least severity secscan gives an audit's finding, whatever zizmor rates it: the attack
#: classes of the 2025-26 incidents (tj-actions, trivy-action): a finding is never rated below
#: zizmor, and never below these.
FLOOR: Mapping[str, Severity] = {
    "unpinned-uses": Severity.MEDIUM,
    "artipacked": Severity.MEDIUM,
    "excessive-permissions": Severity.MEDIUM,
}

#: `# zizmor: ignore[audit, audit]` as zizmor reads one in a finding's span.
_IGNORE = re.compile(r"zizmor:\s*ignore\[([^\]]*)\]")
_COMPLETED = re.compile(r"^\s*INFO\s+audit:.*?\bcompleted (?P<path>.+?)\s*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_DIRECTIVE = 200


def is_workflow(path: str) -> bool:
    """A GitHub Actions workflow: a YAML file directly in a `.github/workflows` folder."""
    p = PurePosixPath(path)
    return (
        p.suffix.lower() in (".yml", ".yaml")
        and p.parent.name == "workflows"
        and p.parent.parent.name == ".github"
    )


def is_action(path: str) -> bool:
    """A GitHub Actions action definition (a composite action's `action.yml`)."""
    return PurePosixPath(path).name in ("action.yml", "action.yaml")


class ZizmorScanner(ToolScanner):
    name: ClassVar[str] = "github-actions"
    kind: ClassVar[FindingKind] = FindingKind.IAC
    description: ClassVar[str] = (
        "GitHub Actions workflows and composite actions: injection, unpinned actions, "
        "permissions, dangerous triggers (zizmor, offline, with secscan's own rules)"
    )
    display_name: ClassVar[str] = "zizmor"
    url: ClassVar[str] = "https://docs.zizmor.sh/"
    executable: ClassVar[str] = "zizmor"
    ok_codes: ClassVar[tuple[int, ...]] = (0,)
    #: zizmor's offline audits read one workflow or action at a time.
    file_local: ClassVar[bool] = True

    def applies_to(self, path: str) -> bool:
        return is_workflow(path) or is_action(path)

    def parse_version(self, text: str) -> str:
        # "zizmor 1.33.1"
        first = text.strip().splitlines()[0] if text.strip() else ""
        return first.split()[-1] if first else "unknown"

    def cache_material(self, ctx: ScanContext) -> str | None:
        digest = hashlib.sha256(CONFIG.encode()).hexdigest()[:16]
        return f"config={digest};persona={PERSONA};no-ignores;own={actions_rules.VERSION}"

    def rulesets(self, ctx: ScanContext) -> tuple[str, ...]:
        return (f"zizmor {PERSONA} persona, offline audits, every action hash-pinned",)

    def env(self) -> Mapping[str, str]:
        # The per-file "completed" lines are how zizmor says what it read: logged at info.
        return {"RUST_LOG": "info", "NO_COLOR": "1", "ZIZMOR_OFFLINE": "true"}

    def argv(self, ctx: ScanContext, config: str = "", paths: Sequence[str] = ()) -> list[str]:
        return [
            self.tool_path(),
            "--offline",
            "--no-ignores",
            "--no-exit-codes",
            "--no-progress",
            "--color",
            "never",
            "--persona",
            PERSONA,
            "--format",
            "json",
            "--config",
            config,
            "--",
            *paths,
        ]

    def describe_rule(self, rule_id: str, lookup: RuleLookup) -> RuleInfo | None:
        own = actions_rules.describe(rule_id, self.name)
        if own is not None:
            return own
        if rule_id not in AUDITS:
            return None
        return RuleInfo(
            rule_id=rule_id,
            scanner=self.name,
            kind=self.kind,
            title=rule_id.replace("-", " "),
            description=f"zizmor audit {rule_id}",
            cwe=CWE.get(rule_id, ()),
            references=(f"{DOCS}#{rule_id}",),
            source="zizmor audit documentation",
        )

    def scan(self, ctx: ScanContext) -> ScanOutcome:
        # A newline in a file name could forge zizmor's "completed" line for another file.
        refused = tuple(
            NotAnalyzed(t, f"{self.name}: a control character in the file name: not handed over")
            for t in ctx.targets
            if _CONTROL.search(t)
        )
        given = [t for t in ctx.targets if not _CONTROL.search(t)]
        if not given:
            outcome = ScanOutcome(not_analyzed=refused, analyzed=frozenset())
            return require_accounted(self.name, ctx, outcome)
        with tempfile.TemporaryDirectory(prefix="secscan-zizmor-") as tmp:
            config = Path(tmp) / "zizmor.yml"
            write_atomic(config, CONFIG, durable=False)
            done = self.execute(self.argv(ctx, str(config), [ctx.abspath(t) for t in given]), ctx)
        findings = self.parse(done.stdout, ctx).findings
        analyzed = completed(done.stderr, ctx, given)
        outside = sorted({f.location.path for f in findings} - analyzed)
        if outside:
            raise ScannerOutputError(
                self.name, f"zizmor reported findings in a file it did not read: {outside[0]}"
            )
        own, unread = actions_rules.check(ctx.root, sorted(analyzed), _limit(ctx), self.name)
        # An own rule zizmor covers where it reports: one finding per place, zizmor's.
        told = {(f.location.path, f.location.start_line) for f in findings}
        own = [
            f
            for f in own
            if f.rule_id not in actions_rules.COVERED
            or (f.location.path, f.location.start_line) not in told
        ]
        # `--no-ignores`: zizmor hid nothing (inline_suppressions 0); the findings an ignore
        # comment names are marked, and the run counts those.
        outcome = ScanOutcome(
            findings=(*findings, *own),
            not_analyzed=(*refused, *unread),
            analyzed=analyzed,
        )
        return require_accounted(
            self.name, ctx, outcome, "zizmor could not read it (a YAML syntax or schema error)"
        )

    def parse(self, stdout: str, ctx: ScanContext) -> ScanOutcome:
        try:
            data = json.loads(stdout)
            if not isinstance(data, list):
                raise TypeError(f"a JSON {type(data).__name__}, not a list of findings")
            findings = tuple(f for f in (self._finding(r, ctx) for r in data) if f is not None)
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as e:
            raise ScannerOutputError(self.name, f"output is not zizmor JSON: {e!r}") from e
        return ScanOutcome(findings=findings)

    def _finding(self, r: dict[str, Any], ctx: ScanContext) -> Finding | None:
        ident = str(r["ident"])
        where = _primary(r["locations"])
        if where is None:
            return None  # a finding outside the scanned files (a remote action): none offline
        symbolic, concrete = where
        path = ctx.relpath(str(symbolic["key"]["Local"]["verbatim_path"]))
        span = concrete["location"]
        start, end = span["start_point"], span["end_point"]
        told = _SEVERITY.get(str(r["determinations"]["severity"]).lower(), Severity.INFO)
        severity = max(told, FLOOR.get(ident, Severity.INFO))
        annotation = str(symbolic.get("annotation") or "")
        fixes = [str(f.get("title")) for f in r.get("fixes") or [] if f.get("title")]
        finding = Finding(
            scanner=self.name,
            rule_id=ident,
            title=str(r.get("desc") or ident),
            message=f"{r.get('desc') or ident}: {annotation}" if annotation else str(r["desc"]),
            severity=severity,
            confidence=Confidence.parse(str(r["determinations"].get("confidence"))),
            kind=self.kind,
            location=Location(
                path=path,
                start_line=int(start["row"]) + 1,
                end_line=max(int(end["row"]) + 1, int(start["row"]) + 1),
                start_column=int(start["column"]) + 1,
                end_column=int(end["column"]) + 1,
            ),
            cwe=CWE.get(ident, ()),
            references=(str(r["url"]),) if r.get("url") else (),
            remediation="; ".join(fixes) or None,
            tags=("security", "ci-pipeline"),
        )
        # zizmor reads an ignore comment in the span of any of the finding's locations (a
        # `dangerous-triggers` comment on the `types:` line below `workflow_run:`).
        comments = [c for loc in r["locations"] for c in loc["concrete"].get("comments") or []]
        ignore = _ignored_by(ident, comments)
        if ignore is not None:
            finding = replace(finding, suppression=Suppression(directive=ignore))
        return finding


def _primary(locations: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(symbolic, concrete) of the finding's primary location in a local file."""
    for loc in locations:
        symbolic = loc["symbolic"]
        if symbolic.get("kind") == "Primary" and "Local" in (symbolic.get("key") or {}):
            return symbolic, loc["concrete"]
    return None


def _ignored_by(ident: str, comments: list[Any]) -> str | None:
    """The `# zizmor: ignore[...]` comment in the finding's span naming its audit, rebuilt
    from the words zizmor reads (the rest of the comment is not kept)."""
    for comment in comments:
        m = _IGNORE.search(str(comment))
        if m is None:
            continue
        names = [n.strip() for n in m.group(1).split(",") if n.strip()]
        if ident in names:
            return f"# zizmor: ignore[{', '.join(names)}]"[:MAX_DIRECTIVE]
    return None


def completed(stderr: str, ctx: ScanContext, given: Sequence[str]) -> frozenset[str]:
    """The targets zizmor says it audited (its "completed <path>" log lines): only paths it
    was handed count."""
    wanted = {ctx.abspath(t): t for t in given}
    out = set()
    for ln in stderr.splitlines():
        m = _COMPLETED.match(ln)
        if m and m["path"] in wanted:
            out.add(wanted[m["path"]])
    return frozenset(out)


def _limit(ctx: ScanContext) -> int:
    return int(ctx.config.max_file_size_mb * 1024 * 1024)
