"""gitlab-ci: secscan's own rules over GitLab CI pipeline definitions (no offline tool exists).

Reads `.gitlab-ci.yml` (any folder), `*.gitlab-ci.yml` and the YAML under `.gitlab/ci/`, and
the local files they `include:` (inside the root, regular files, no links), as YAML node
trees (`_ci_yaml`: bounded, alias bombs refused, no tag constructed). The rules are data
(`RULES`): each with its title, severity, CWE and fix, tested one by one.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import ClassVar

import yaml

from secscan.model.findings import Finding, FindingKind, NotAnalyzed, Severity
from secscan.scanners import _ci_yaml as ci
from secscan.scanners._ci_yaml import Rule
from secscan.scanners._own_rules import TableRules
from secscan.scanners.base import ScanContext, ScanOutcome, require_accounted
from secscan.util import files as _files

RULES: Mapping[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "untrusted-variable-eval",
            "Untrusted predefined variable evaluated as shell code",
            Severity.HIGH,
            (94, 78),
            "Never pass commit messages, branch names or merge request text to eval, "
            "`sh -c` or Invoke-Expression; use them only as quoted arguments.",
        ),
        Rule(
            "untrusted-variable-unquoted",
            "Untrusted free-text variable expanded unquoted in a script",
            Severity.MEDIUM,
            (88,),
            'Quote the expansion ("$CI_COMMIT_MESSAGE"): unquoted, its words become separate '
            "arguments and options, and glob characters expand.",
        ),
        Rule(
            "include-unpinned",
            "Pipeline include not pinned to a commit SHA or checksum",
            Severity.MEDIUM,
            (829,),
            "Pin `include: project:` and components to a full commit SHA (`ref:` / `@<sha>`) "
            "and give `include: remote:` an `integrity:` checksum.",
        ),
        Rule(
            "image-not-pinned",
            "Job image referenced by a mutable tag",
            Severity.MEDIUM,
            (829,),
            "Reference images by digest (`python:3.12@sha256:<digest>`), with the tag kept "
            "for people.",
        ),
        Rule(
            "debug-trace",
            "CI_DEBUG_TRACE switched on",
            Severity.HIGH,
            (532,),
            "Remove CI_DEBUG_TRACE: debug tracing writes every variable, masked secrets "
            "included, to the job log.",
        ),
        Rule(
            "debug-services",
            "CI_DEBUG_SERVICES switched on",
            Severity.MEDIUM,
            (532,),
            "Remove CI_DEBUG_SERVICES once the service is debugged: service logs streamed into "
            "the job log can break a masked variable's masking (GitLab's documentation warns).",
        ),
        Rule(
            "secret-echoed",
            "Secret variable written to the job log",
            Severity.MEDIUM,
            (532,),
            "Do not echo, print or dump secret variables (pipe them to the command that needs "
            "them, e.g. `--password-stdin`), and do not dump the environment.",
        ),
        Rule(
            "merge-request-secrets",
            "Job with secrets runs on merge request pipelines, forks included",
            Severity.MEDIUM,
            (863,),
            "Exclude merge requests from forks (`$CI_MERGE_REQUEST_SOURCE_PROJECT_ID == "
            "$CI_PROJECT_ID`) or run the job on protected branches only.",
        ),
    )
}

#: Predefined variables whose value any contributor writes (commit, branch, MR text, name).
UNTRUSTED_TEXT = frozenset(
    {
        "CI_COMMIT_MESSAGE",
        "CI_COMMIT_TITLE",
        "CI_COMMIT_DESCRIPTION",
        "CI_COMMIT_TAG_MESSAGE",
        "CI_COMMIT_AUTHOR",
        "CI_MERGE_REQUEST_TITLE",
        "CI_MERGE_REQUEST_DESCRIPTION",
        "CI_MERGE_REQUEST_LABELS",
        "CI_EXTERNAL_PULL_REQUEST_TITLE",
        "GITLAB_USER_NAME",
        "TRIGGER_PAYLOAD",
    }
)
#: Ref names: attacker-chosen too, but git's ref-name rules forbid spaces and glob
#: characters, so only re-parsing them as code (eval, `sh -c`) is an injection.
UNTRUSTED_REFS = frozenset(
    {
        "CI_COMMIT_BRANCH",
        "CI_COMMIT_REF_NAME",
        "CI_COMMIT_TAG",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
        "CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME",
    }
)
UNTRUSTED = UNTRUSTED_TEXT | UNTRUSTED_REFS

#: Top-level keys that are no job.
GLOBAL_KEYS = frozenset(
    {"default", "include", "stages", "variables", "workflow", "image", "services", "cache"}
    | {"before_script", "after_script", "spec", "types"}
)
SCRIPT_KEYS = ("before_script", "script", "after_script")
_SHA = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_SECRET_NAME = re.compile(
    r"[A-Z0-9_]*(?:TOKEN|PASSWORD|PASSWD|SECRET|PRIVATE_KEY|API_KEY|ACCESS_KEY|CREDENTIAL"
    r"|AUTH(?!OR))[A-Z0-9_]*|[A-Z0-9_]*_(?:KEY|PASS|PAT)"
)
#: Predefined variables every pipeline has (CI_JOB_TOKEN, CI_REGISTRY_PASSWORD): no project
#: secret, so no reason to keep a merge-request job from them.
_PREDEFINED = ("CI_", "GITLAB_")
_PRINT = re.compile(r"(?:^|[;&(]\s*)(?:echo|printf|print|cat|Write-Host|Write-Output)\b")
_DUMP = re.compile(r"^\s*(?:env|printenv|export\s+-p|set|declare\s+-p)\s*$")
_FORK_GUARDS = re.compile(
    r"CI_MERGE_REQUEST_SOURCE_PROJECT_(?:ID|PATH|URL)|CI_MERGE_REQUEST_EVENT_TYPE"
    r"|CI_COMMIT_REF_PROTECTED"
)
#: Debug switches: CI_DEBUG_TRACE prints every variable; CI_DEBUG_SERVICES only interleaves
#: service logs with the job's, which can break masking (so it is the lesser finding).
_DEBUG = {"CI_DEBUG_TRACE": "debug-trace", "CI_DEBUG_SERVICES": "debug-services"}
#: Includes followed at most this deep, and at most this many files per pipeline.
MAX_DEPTH = 20
MAX_FILES = 200


def is_pipeline(path: str) -> bool:
    """A GitLab CI definition by its name: `.gitlab-ci.yml`, `x.gitlab-ci.yml`, `.gitlab/ci/`."""
    p = PurePosixPath(path)
    low = p.name.lower()
    if low.endswith((".gitlab-ci.yml", ".gitlab-ci.yaml")) or low in (
        ".gitlab-ci.yml",
        ".gitlab-ci.yaml",
    ):
        return True
    return low.endswith((".yml", ".yaml")) and "/.gitlab/ci/" in f"/{p.parent.as_posix()}/"


@dataclass
class _Pipeline:
    """The files of one scan (targets and the local files they include), read once each."""

    ctx: ScanContext
    limit: int
    docs: dict[str, list[yaml.Node]] = field(default_factory=dict)
    unread: dict[str, str] = field(default_factory=dict)
    included: set[str] = field(default_factory=set)

    def read(self, rel: str, depth: int = 0) -> None:
        if rel in self.docs or rel in self.unread or len(self.docs) >= MAX_FILES:
            return
        try:
            self.docs[rel] = ci.compose(self.ctx.root, rel, self.limit)
        except ci.CiYamlError as e:
            self.unread[rel] = str(e)
            return
        if depth >= MAX_DEPTH:
            return
        for doc in self.docs[rel]:
            for local in _local_includes(self.ctx, ci.get(doc, "include")):
                self.included.add(local)
                self.read(local, depth + 1)

    def jobs(self) -> dict[str, tuple[str, yaml.Node, yaml.Node]]:
        """Job name -> (file, key node, job node) over every file read (first one wins)."""
        out: dict[str, tuple[str, yaml.Node, yaml.Node]] = {}
        for rel, docs in sorted(self.docs.items()):
            for doc in docs:
                for name, key, job in ci.pairs(doc):
                    if name not in GLOBAL_KEYS and isinstance(job, yaml.MappingNode):
                        out.setdefault(name, (rel, key, job))
        return out


def _local_includes(ctx: ScanContext, include: yaml.Node | None) -> Iterator[str]:
    """The files of the tree a pipeline's `include:` names locally (globs expanded), each
    inside the root; never a link or anything but a regular file."""
    for entry in ci.items(include):
        text = ci.scalar(entry)
        if text is not None:
            local = None if re.match(r"^[a-z]+://", text, re.I) else text
        else:
            local = ci.scalar(ci.get(entry, "local"))
        if not local:
            continue
        pattern = posixpath.normpath(local.lstrip("/"))
        if pattern.startswith("..") or "$" in pattern:
            continue
        if any(c in pattern for c in "*?["):
            found = sorted(ctx.root.glob(pattern))[:MAX_FILES]
        else:
            found = [ctx.root / pattern]
        yield from (p.relative_to(ctx.root).as_posix() for p in found if _readable(ctx, p))


def _readable(ctx: ScanContext, path: Path) -> bool:
    """A regular file inside the root, reached through no link."""
    return (
        path.is_file()
        and _files.refusal(path) is None
        and _files.link_above(path, ctx.root) is None
    )


class GitLabCiScanner(TableRules):
    name: ClassVar[str] = "gitlab-ci"
    kind: ClassVar[FindingKind] = FindingKind.IAC
    description: ClassVar[str] = (
        "GitLab CI pipelines: untrusted variables evaluated in scripts, unpinned includes and "
        "images, debug tracing, secrets in logs, fork merge requests with secrets"
    )
    display_name: ClassVar[str] = "secscan GitLab CI rules"
    url: ClassVar[str] = "https://docs.gitlab.com/ci/pipeline_security/"
    titles: ClassVar[Mapping[str, str]] = {r.id: r.title for r in RULES.values()}
    fixes: ClassVar[Mapping[str, str]] = {r.id: r.fix for r in RULES.values()}
    title_note: ClassVar[str] = " (secscan's own GitLab CI rule)."
    rules_source: ClassVar[str] = "secscan GitLab CI rules"

    def applies_to(self, path: str) -> bool:
        return is_pipeline(path)

    def version(self) -> str:
        from secscan import __version__

        return f"secscan {__version__}"

    def scan(self, ctx: ScanContext) -> ScanOutcome:
        pipeline = _Pipeline(ctx, int(ctx.config.max_file_size_mb * 1024 * 1024))
        for rel in ctx.targets:
            pipeline.read(rel)
        # A node merged into several jobs (`<<: *base`) is one finding, where it is written.
        found = {
            (f.rule_id, f.location.path, f.location.start_line): f for f in _findings(pipeline)
        }
        findings = [found[k] for k in sorted(found, key=lambda k: (k[1], k[2] or 0, k[0]))]
        outcome = ScanOutcome(
            findings=tuple(findings),
            not_analyzed=tuple(
                NotAnalyzed(rel, f"{self.name}: {why}")
                for rel, why in sorted(pipeline.unread.items())
            ),
            analyzed=frozenset(pipeline.docs),
            inputs=tuple(sorted(pipeline.included - set(ctx.targets))),
        )
        return require_accounted(self.name, ctx, outcome)


def _findings(p: _Pipeline) -> Iterator[Finding]:
    jobs = p.jobs()
    # Global variables of every file read (GitLab merges them; a job's own win).
    merged: dict[str, str] = {}
    for rel, docs in sorted(p.docs.items()):
        for doc in docs:
            merged.update(_variables(ci.get(doc, "variables")))
            yield from (_finding(rel, *hit) for hit in _file_hits(doc))
    for name, (rel, key, job) in sorted(jobs.items()):
        for hit in _job_hits(name, key, job, jobs, merged):
            yield _finding(rel, *hit)


def _finding(rel: str, rule_id: str, line: int, detail: str) -> Finding:
    return RULES[rule_id].finding(GitLabCiScanner.name, rel, line, detail)


Hit = tuple[str, int, str]


def _file_hits(doc: yaml.Node) -> Iterator[Hit]:
    """What the file's global keys say: includes, the default image, global variables."""
    yield from _includes(ci.get(doc, "include"))
    variables = _variables(ci.get(doc, "variables"))
    yield from _debug(ci.get(doc, "variables"))
    default = ci.get(doc, "default")
    for holder in (doc, default):
        yield from _images(holder, variables)
        for key in SCRIPT_KEYS:
            yield from _scripts(ci.get(holder, key), frozenset())


def _job_hits(
    name: str,
    key: yaml.Node,
    job: yaml.Node,
    jobs: Mapping[str, tuple[str, yaml.Node, yaml.Node]],
    globals_: Mapping[str, str],
) -> Iterator[Hit]:
    variables = {**globals_, **_variables(ci.get(job, "variables"))}
    yield from _debug(ci.get(job, "variables"))
    yield from _images(job, variables)
    # A job variable set from an untrusted one (`MSG: $CI_COMMIT_MESSAGE`) is untrusted too.
    tainted = frozenset(
        v
        for v, value in variables.items()
        if any(x.variable in UNTRUSTED for x in ci.expansions(value, UNTRUSTED))
    )
    for k in SCRIPT_KEYS:
        yield from _scripts(ci.get(job, k), tainted)
    if not name.startswith("."):
        yield from _merge_request_secrets(name, key, job, jobs)


def _includes(include: yaml.Node | None) -> Iterator[Hit]:
    for entry in ci.items(include):
        text = ci.scalar(entry)
        if text is not None:
            if re.match(r"^https?://", text, re.I):
                yield "include-unpinned", ci.line(entry), "remote include without integrity:"
            continue
        remote = ci.get(entry, "remote")
        if remote is not None and ci.get(entry, "integrity") is None:
            yield "include-unpinned", ci.line(remote), "remote include without integrity:"
        project = ci.get(entry, "project")
        if project is not None:
            ref = ci.scalar(ci.get(entry, "ref"))
            if not ref or not _SHA.match(ref):
                where = "no ref (the default branch)" if not ref else "a branch or tag ref"
                yield "include-unpinned", ci.line(project), f"project include with {where}"
        component = ci.scalar(ci.get(entry, "component"))
        if component is not None:
            version = component.rpartition("@")[2] if "@" in component else ""
            if not _SHA.match(version):
                yield (
                    "include-unpinned",
                    ci.line(entry),
                    "component included by version or tag, not a commit SHA",
                )


def _variables(node: yaml.Node | None) -> dict[str, str]:
    """Variable -> its literal value (`X: v` or `X: {value: v}`)."""
    out: dict[str, str] = {}
    for name, _, value in ci.pairs(node):
        text = ci.scalar(value)
        if text is None:
            text = ci.scalar(ci.get(value, "value"))
        if text is not None:
            out[name] = text
    return out


def _debug(node: yaml.Node | None) -> Iterator[Hit]:
    for name, key, value in ci.pairs(node):
        text = ci.scalar(value)
        if text is None:
            text = ci.scalar(ci.get(value, "value"))
        if name in _DEBUG and (text or "").lower() == "true":
            yield _DEBUG[name], ci.line(key), f"{name} is true"


def _images(holder: yaml.Node | None, variables: Mapping[str, str]) -> Iterator[Hit]:
    refs = [ci.get(holder, "image"), *ci.items(ci.get(holder, "services"))]
    for node in refs:
        value = node if isinstance(node, yaml.ScalarNode) else ci.get(node, "name")
        text = ci.scalar(value)
        if value is None or not text:
            continue
        resolved = re.sub(
            r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: variables.get(m[1], m[0]), text
        )
        if "$" in resolved or _DIGEST.search(resolved):
            continue  # set elsewhere (a CI/CD variable): not judged; or pinned
        detail = f"image {ci.short(resolved)} has no @sha256 digest"
        yield "image-not-pinned", ci.line(value), detail


def _scripts(node: yaml.Node | None, tainted: frozenset[str]) -> Iterator[Hit]:
    names = UNTRUSTED | tainted
    for text, first in ci.strings(node):
        for n, ln, role in ci.script_lines(text):
            at = first + n
            if role == "command":
                yield from _script_line(ln, at, names)
            elif role == "code":
                # an unquoted here-document fed to a program: the expansion is its code
                for x in ci.expansions(ln, names)[:1]:
                    yield "untrusted-variable-eval", at, f"${x.variable} is expanded into a program"


def _script_line(ln: str, at: int, names: frozenset[str]) -> Iterator[Hit]:
    for x in ci.expansions(ln, names):
        if x.reparsed:
            yield "untrusted-variable-eval", at, f"${x.variable} is evaluated as code"
            return
        if x.unquoted and x.variable not in UNTRUSTED_REFS:
            yield "untrusted-variable-unquoted", at, f"${x.variable} is expanded unquoted"
            return
    if _DUMP.match(ln):
        yield "secret-echoed", at, "the script dumps every variable to the log"
        return
    printed = _printed(ln)
    if printed and "|" not in ln[printed.end() :] and ">" not in ln[printed.end() :]:
        for x in ci.expansions(ln[printed.end() :], _SECRET_NAME):
            yield "secret-echoed", at, f"${x.variable} is printed to the job log"
            return


def _printed(ln: str) -> re.Match[str] | None:
    """The first command on the line that prints to the log: one inside a command
    substitution (`token="$(cat "$TOKEN_FILE")"`, backticks) hands its output to the command
    around it instead."""
    for m in _PRINT.finditer(ln):
        inside_dollar = m.group(0).lstrip().startswith("(") and ln[: m.start()].endswith("$")
        inside_backticks = ln[: m.start()].count("`") % 2 == 1
        if not inside_dollar and not inside_backticks:
            return m
    return None


def _merge_request_secrets(
    name: str, key: yaml.Node, job: yaml.Node, jobs: Mapping[str, tuple[str, yaml.Node, yaml.Node]]
) -> Iterator[Hit]:
    when = _effective(job, ("rules", "only"), jobs)
    conditions = " ".join(t for t, _ in ci.strings(_flatten(when, jobs)))
    runs_on_mr = "merge_request_event" in conditions or "merge_requests" in conditions
    if not runs_on_mr or _FORK_GUARDS.search(conditions):
        return
    uses = [k for k in ("secrets", "id_tokens") if _effective(job, (k,), jobs) is not None]
    script = " ".join(t for k in SCRIPT_KEYS for t, _ in ci.strings(_effective(job, (k,), jobs)))
    named = sorted(
        {
            x.variable
            for x in ci.expansions(script, _SECRET_NAME)
            if not x.variable.startswith(_PREDEFINED)
        }
    )
    if uses or named:
        what = ", ".join([*(f"`{u}:`" for u in uses), *(f"${v}" for v in named[:3])])
        yield (
            "merge-request-secrets",
            ci.line(key),
            f"job {name!r} runs on merge request pipelines and uses {what}",
        )


def _effective(
    job: yaml.Node,
    keys: Sequence[str],
    jobs: Mapping[str, tuple[str, yaml.Node, yaml.Node]],
    depth: int = 0,
) -> yaml.Node | None:
    """The first of `keys` the job sets, else what its `extends:` chain sets (last base wins,
    as GitLab merges them)."""
    for k in keys:
        own = ci.get(job, k)
        if own is not None:
            return own
    if depth >= 10:
        return None
    for base in reversed([t for t, _ in ci.strings(ci.get(job, "extends"))]):
        entry = jobs.get(base)
        if entry is not None:
            found = _effective(entry[2], keys, jobs, depth + 1)
            if found is not None:
                return found
    return None


Jobs = Mapping[str, tuple[str, yaml.Node, yaml.Node]]


def _deref(node: yaml.Node | None, jobs: Jobs, depth: int = 0) -> yaml.Node | None:
    """What a `!reference [.job, key, ...]` names (another job's keys, hidden ones too),
    followed through references it holds; any other node as it is."""
    while isinstance(node, yaml.SequenceNode) and node.tag == "!reference" and depth < MAX_DEPTH:
        path = [ci.scalar(v) or "" for v in node.value]
        entry = jobs.get(path[0]) if path else None
        target: yaml.Node | None = entry[2] if entry is not None else None
        for key in path[1:]:
            target = ci.get(target, key)
        node, depth = target, depth + 1
    return node


def _flatten(node: yaml.Node | None, jobs: Jobs, depth: int = 0) -> yaml.Node | None:
    """`rules:` entries' `if:` texts as one sequence, `!reference`d rules resolved (`only:`
    lists are already flat)."""
    node = _deref(node, jobs)
    if not isinstance(node, yaml.SequenceNode):
        return node
    parts: list[yaml.Node] = []
    for entry in node.value:
        entry = _deref(entry, jobs)
        if isinstance(entry, yaml.SequenceNode) and depth < MAX_DEPTH:
            flat = _flatten(entry, jobs, depth + 1)
            parts += flat.value if isinstance(flat, yaml.SequenceNode) else []
            continue
        cond = ci.get(entry, "if")
        parts += (
            [cond] if cond is not None else [entry] if isinstance(entry, yaml.ScalarNode) else []
        )
    return yaml.SequenceNode("tag:yaml.org,2002:seq", parts)
