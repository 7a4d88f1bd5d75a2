"""secscan's own GitHub Actions rules: what zizmor's offline audits leave out.

- `secscan-untrusted-checkout`: a privileged trigger (`pull_request_target`, `workflow_run`,
  `issue_comment`) that checks out the pull request's head (the "pwn request"): the PR's code
  runs with the base repository's token and secrets. zizmor flags the trigger itself
  (`dangerous-triggers`); this rule names the step that makes it exploitable.
- `secscan-env-injection`: untrusted event data passed through `env:` and read back as shell
  code (`eval "$TITLE"`, `bash -c "... $TITLE"`): moving an expression into `env:` is the fix
  for template injection only while the script does not evaluate the variable.
- `secscan-write-all-permissions`: `permissions: write-all`, on the workflow or a job (zizmor
  reports it only where other jobs share it).

The rules are data (`RULES`): each with its title, severity, CWE and fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import yaml

from secscan.model.findings import Finding, FindingKind, NotAnalyzed, Severity
from secscan.scanners import _ci_yaml as ci
from secscan.scanners._ci_yaml import Rule
from secscan.scanners.base import RuleInfo

#: Bumped whenever a rule changes what it finds (part of the result cache key).
VERSION = "7"


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "secscan-untrusted-checkout",
            "Privileged workflow checks out the pull request's head",
            Severity.CRITICAL,
            (829, 94),
            "Do not check out or run the pull request's code in a pull_request_target, "
            "workflow_run or issue_comment workflow; build it in a `pull_request` workflow "
            "without secrets and pass results on as artifacts.",
        ),
        Rule(
            "secscan-env-injection",
            "Untrusted event data passed through env: is evaluated as shell code",
            Severity.HIGH,
            (94, 78),
            'Use the variable only as a quoted argument ("$TITLE"); never eval it or put it '
            "inside a `bash -c` / `sh -c` command string.",
        ),
        Rule(
            "secscan-write-all-permissions",
            "The workflow's token may write to everything (permissions: write-all)",
            Severity.HIGH,
            (250,),
            "Set `permissions: {}` at the workflow level and grant each job only the scopes it "
            "needs (`contents: read`, ...).",
        ),
    )
}

#: Own rules zizmor reports in some places: dropped where zizmor reports on the same line.
COVERED = frozenset({"secscan-write-all-permissions"})

#: Triggers that run with the base repository's token and secrets on others' input.
PRIVILEGED = frozenset({"pull_request_target", "workflow_run", "issue_comment"})

#: Event data any GitHub user can write (GitHub Security Lab's list of untrusted inputs).
UNTRUSTED = re.compile(
    r"github\s*\.\s*(?:head_ref\b|event\s*\.\s*(?:"
    r"issue\.(?:title|body)|pull_request\.(?:title|body|head\.(?:ref|label|repo\.default_branch))"
    r"|comment\.body|review\.body|review_comment\.body|pages\S*\.page_name"
    r"|commits\S*\.(?:message|author\.(?:email|name))"
    r"|head_commit\.(?:message|author\.(?:email|name))"
    r"|workflow_run\.(?:head_branch|display_title|head_commit\.(?:message|author\.(?:email|name)))"
    r"|discussion\.(?:title|body)|discussion_comment\.body|release\.(?:name|body)))"
)
#: Where a pull request's head is named: its SHA or branch, its fork, `refs/pull/N/...`.
_PR_HEAD = re.compile(
    r"github\s*\.\s*(?:head_ref\b|event\s*\.\s*(?:pull_request\.(?:head\.|merge_commit_sha)"
    r"|workflow_run\.(?:head_sha|head_branch|head_repository|pull_requests)|issue\.number))"
    r"|refs/pull/"
    # a ref a previous step or job computed: in a privileged workflow, the PR's head looked
    # up at run time (`gh pr view --json headRefOid`)
    r"|\$\{\{\s*(?:steps|needs)\s*\.[^}]*\}\}"
)
_CHECKOUT_ACTION = re.compile(r"^actions/checkout@", re.IGNORECASE)
_GIT = re.compile(r"\bgit\s+(?:fetch|checkout|switch|pull|clone|worktree\s+add)\b")
_GIT_CHECKOUT = re.compile(
    r"\bgh\s+pr\s+checkout\b"
    r"|\bgit\s+(?:fetch|checkout|switch|pull|clone|worktree\s+add)\b[^\n]*"
    r"(?:\bpull/[^\s/]+/(?:head|merge)\b"
    r"|\$\{\{[^}]*(?:head|pull_request|issue\.number)[^}]*\}\})"
)
#: `${{ env.NAME }}` in an expression.
_ENV_REF = re.compile(r"\benv\s*\.\s*([A-Za-z_][A-Za-z0-9_-]*)")
_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)


def describe(rule_id: str, scanner: str) -> RuleInfo | None:
    """The table's description of an own rule; None for any other id."""
    rule = RULES.get(rule_id)
    if rule is None:
        return None
    return RuleInfo(
        rule_id=rule.id,
        scanner=scanner,
        kind=FindingKind.IAC,
        title=rule.title,
        description=rule.title + " (secscan's own GitHub Actions rule).",
        cwe=rule.cwe,
        severity=rule.severity,
        fix=rule.fix,
        source="secscan GitHub Actions rules",
    )


def check(
    root: Path, paths: Sequence[str], limit: int, scanner: str
) -> tuple[list[Finding], list[NotAnalyzed]]:
    """The own rules' findings in workflow and action files, and those it could not read."""
    findings: list[Finding] = []
    unread: list[NotAnalyzed] = []
    for rel in paths:
        try:
            docs = ci.compose(root, rel, limit)
        except ci.CiYamlError as e:
            unread.append(NotAnalyzed(rel, f"{scanner}: secscan's workflow rules: {e}"))
            continue
        for doc in docs:
            findings += [_finding(scanner, rel, *hit) for hit in _hits(doc)]
    return findings, unread


def _finding(scanner: str, rel: str, rule_id: str, line: int, detail: str) -> Finding:
    return RULES[rule_id].finding(scanner, rel, line, detail)


def _hits(doc: yaml.Node) -> Iterator[tuple[str, int, str]]:
    yield from _write_all(doc)
    triggers = _triggers(ci.get(doc, "on"))
    privileged = sorted(triggers & PRIVILEGED)
    workflow_env = ci.get(doc, "env")
    for steps, job_env in _step_lists(doc):
        envs = (workflow_env, job_env)
        for step in _steps(steps):
            if privileged:
                heads = _env_matching((*envs, ci.get(step, "env")), _PR_HEAD, whole=True)
                yield from _checkout(step, privileged[0], heads)
            untrusted = _env_matching((*envs, ci.get(step, "env")), UNTRUSTED)
            yield from _env_injection(step, untrusted)


def _write_all(doc: yaml.Node) -> Iterator[tuple[str, int, str]]:
    """`permissions: write-all` on the workflow or a job (zizmor's regular persona leaves a
    one-job workflow's out: it reads it as the job's)."""
    holders = [("the workflow", doc)] + [
        (f"job {name!r}", job) for name, _, job in ci.pairs(ci.get(doc, "jobs"))
    ]
    for who, holder in holders:
        value = ci.get(holder, "permissions")
        if (ci.scalar(value) or "").strip() == "write-all" and value is not None:
            yield "secscan-write-all-permissions", ci.line(value), f"{who} grants write-all"


def _triggers(on: yaml.Node | None) -> set[str]:
    if isinstance(on, yaml.MappingNode):
        return {k for k, _, _ in ci.pairs(on)}
    return {t for t, _ in ci.strings(on)}


def _step_lists(doc: yaml.Node) -> Iterator[tuple[yaml.Node | None, yaml.Node | None]]:
    """(steps, the job's env) of every job of a workflow, and a composite action's."""
    for _, _, job in ci.pairs(ci.get(doc, "jobs")):
        yield ci.get(job, "steps"), ci.get(job, "env")
    runs = ci.get(doc, "runs")
    if runs is not None:
        yield ci.get(runs, "steps"), None


def _steps(steps: yaml.Node | None, depth: int = 0) -> Iterator[yaml.Node]:
    """The steps of a list, those of a `parallel:` group among them too (steps that run side
    by side are steps all the same)."""
    for step in ci.items(steps):
        group = ci.get(step, "parallel")
        if group is not None and depth < 10:
            yield from _steps(group, depth + 1)
        else:
            yield step


def _env_matching(
    envs: Sequence[yaml.Node | None], pattern: re.Pattern[str], whole: bool = False
) -> dict[str, str]:
    """Variable -> what `pattern` finds in its value's expressions (in the whole value when
    `whole`: `refs/pull/...` text, `${{ steps... }}`), over `env:` blocks from the outermost
    (workflow) to the innermost (step): an inner block's value wins."""
    out: dict[str, str] = {}
    for env in envs:
        for name, _, value in ci.pairs(env):
            out.pop(name, None)
            text = ci.scalar(value) or ""
            parts = [text] if whole else _EXPRESSION.findall(text)
            for m in (pattern.search(part) for part in parts):
                if m:
                    out[name] = " ".join(m.group(0).split())
                    break
    return out


def _head_named(text: str, heads: dict[str, str]) -> str | None:
    """The PR-head expression `text` names: directly, or through `${{ env.NAME }}`."""
    m = _PR_HEAD.search(text)
    if m:
        return m.group(0)
    for expr in _EXPRESSION.findall(text):
        for name in _ENV_REF.findall(expr):
            if name in heads:
                return heads[name]
    return None


def _checkout(
    step: yaml.Node, trigger: str, heads: dict[str, str]
) -> Iterator[tuple[str, int, str]]:
    """A checkout of the pull request's head: `actions/checkout` with a head `ref:` or
    `repository:` (an env variable holding one too), `gh pr checkout`, git fetching
    `pull/N/head` or a head expression or variable."""
    uses = ci.get(step, "uses")
    with_ = ci.get(step, "with")
    if _CHECKOUT_ACTION.match(ci.scalar(uses) or ""):
        for key in ("ref", "repository"):
            value = ci.get(with_, key)
            named = _head_named(ci.scalar(value) or "", heads)
            if value is not None and named:
                yield (
                    "secscan-untrusted-checkout",
                    ci.line(value),
                    f"`{trigger}` workflow checks out `{key}:` from `{ci.short(named)}`",
                )
                return
    # a variable holding event data (not a value a step computed: that may be anything)
    names = frozenset(k for k, v in heads.items() if not v.startswith("${{"))
    for text, first in ci.strings(ci.get(step, "run")):
        for n, ln in enumerate(text.splitlines()):
            m = _GIT_CHECKOUT.search(ln)
            git = _GIT.search(ln)
            if m or (git and ci.expansions(ln[git.end() :], names)):
                how = "gh pr checkout" if m and m.group(0).startswith("gh") else "git"
                yield (
                    "secscan-untrusted-checkout",
                    first + n,
                    f"`{trigger}` workflow fetches the pull request's code with {how}",
                )
                return


def _env_injection(step: yaml.Node, env: dict[str, str]) -> Iterator[tuple[str, int, str]]:
    if not env:
        return
    run = ci.get(step, "run")
    names = frozenset(env)
    for text, first in ci.strings(run):
        for n, ln, role in ci.script_lines(text):
            for x in ci.expansions(ln, names) if role != "data" else ():
                if x.reparsed or role == "code":
                    how = (
                        "the line evaluates it" if role == "command" else "a program is made of it"
                    )
                    yield (
                        "secscan-env-injection",
                        first + n,
                        f"${x.variable} holds {env[x.variable]} and {how}",
                    )
