"""github-actions: zizmor over GitHub Actions workflows and composite actions, offline, with
secscan's own configuration and rules.

The workflows under tests/data/ci_pipeline/ are shaped after real incidents (an `issues`
workflow echoing the title, a tag-pinned checkout, a pull_request_target preview build that
checks out the head, a workflow_run follow-up, env indirection into eval, a composite action,
a reusable workflow with inherited secrets). The fixtures under tests/fixtures/zizmor/ are
zizmor 1.33.1's JSON for them, captured with the argv the scanner builds.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from secscan.errors import ScannerOutputError
from secscan.model import results
from secscan.model.findings import Finding, Severity
from secscan.scanners.base import ScanContext
from secscan.scanners.zizmor import ZizmorScanner, completed, is_action, is_workflow
from secscan.settings.config import Config

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "ci_pipeline"
FIX = REPO / "tests" / "fixtures" / "zizmor"
GITHUB = DATA / "github"
WF = ".github/workflows"

#: (file, line, rule, least severity): what each workflow of tests/data/ci_pipeline/github is
#: found for. `unpinned-uses` is rated high by zizmor itself (never lower: severity on
#: evidence), the own untrusted-checkout rule critical.
EXPECTED = {
    (f"{WF}/issue-triage.yml", 13, "template-injection", Severity.HIGH),
    (f"{WF}/ci.yml", 11, "unpinned-uses", Severity.MEDIUM),
    (f"{WF}/pr-preview.yml", 3, "dangerous-triggers", Severity.HIGH),
    (f"{WF}/pr-preview.yml", 14, "secscan-untrusted-checkout", Severity.CRITICAL),
    (f"{WF}/after-ci.yml", 3, "dangerous-triggers", Severity.HIGH),
    (f"{WF}/after-ci.yml", 14, "secscan-untrusted-checkout", Severity.CRITICAL),
    (f"{WF}/branch-name.yml", 11, "template-injection", Severity.HIGH),
    (f"{WF}/pr-comment.yml", 3, "dangerous-triggers", Severity.HIGH),
    (f"{WF}/pr-comment.yml", 11, "template-injection", Severity.HIGH),
    (f"{WF}/env-eval.yml", 3, "dangerous-triggers", Severity.HIGH),
    (f"{WF}/env-eval.yml", 13, "secscan-env-injection", Severity.HIGH),
    (f"{WF}/release.yml", 9, "unpinned-uses", Severity.MEDIUM),
    (f"{WF}/release.yml", 9, "secrets-inherit", Severity.MEDIUM),
    (".github/actions/greet/action.yml", 6, "template-injection", Severity.HIGH),
}


def ctx(root: Path, *targets: str) -> ScanContext:
    return ScanContext(root=root, targets=targets, config=Config(), timeout=120)


def targets(root: Path) -> tuple[str, ...]:
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    return tuple(f for f in files if ZizmorScanner().applies_to(f))


def keyed(findings: tuple[Finding, ...] | list[Finding]) -> dict[tuple[str, int, str], Finding]:
    return {(f.location.path, f.location.start_line or 0, f.rule_id): f for f in findings}


def assert_expected(found: dict[tuple[str, int, str], Finding], own_too: bool = True) -> None:
    for path, line, rule, least in EXPECTED:
        if rule.startswith("secscan-") and not own_too:
            continue
        f = found.get((path, line, rule))
        assert f is not None, (path, line, rule, sorted(found))
        assert f.severity >= least, (path, rule, f.severity)


# --- without the tool: selection, captured output ----------------------------------------


@pytest.mark.parametrize(
    ("path", "workflow", "action"),
    [
        (".github/workflows/ci.yml", True, False),
        (".github/workflows/ci.yaml", True, False),
        ("sub/.github/workflows/ci.yml", True, False),
        (".github/workflows/nested/ci.yml", False, False),
        (".github/workflows/README.md", False, False),
        ("workflows/ci.yml", False, False),
        ("action.yml", False, True),
        (".github/actions/greet/action.yaml", False, True),
        ("docs/action.yml.txt", False, False),
    ],
)
def test_targets_are_workflows_and_action_definitions(
    path: str, workflow: bool, action: bool
) -> None:
    assert is_workflow(path) is workflow
    assert is_action(path) is action
    assert ZizmorScanner().applies_to(path) is (workflow or action)


def test_captured_output_gives_each_rule_its_line_and_severity() -> None:
    outcome = ZizmorScanner().parse((FIX / "github.json").read_text(), ctx(GITHUB))
    assert_expected(keyed(outcome.findings), own_too=False)
    f = keyed(outcome.findings)[(f"{WF}/issue-triage.yml", 13, "template-injection")]
    assert f.kind.value == "iac" and f.cwe == (94,)
    assert f.references == ("https://docs.zizmor.sh/audits/#template-injection",)
    assert "attacker-controllable" in f.message
    assert all(f.suppression is None for f in outcome.findings)


def test_an_inline_ignore_is_marked_not_obeyed() -> None:
    root = DATA / "suppressed"
    outcome = ZizmorScanner().parse((FIX / "suppressed.json").read_text(), ctx(root))
    by_line = {f.location.start_line: f for f in outcome.findings}
    assert set(by_line) == {10, 11}
    marked = by_line[10].suppression
    assert marked is not None and marked.directive == "# zizmor: ignore[template-injection]"
    assert by_line[11].suppression is None


@pytest.mark.parametrize(
    "stdout",
    [
        "",
        "not json",
        '{"findings": []}',
        '[{"ident": "template-injection"}]',
        '[{"ident": "x", "locations": [{"symbolic": {"kind": "Primary", "key": {"Local": {}}}}]}]',
    ],
    ids=["empty", "garbage", "object", "no-locations", "no-path"],
)
def test_output_that_is_not_zizmor_json_is_an_error(stdout: str) -> None:
    with pytest.raises(ScannerOutputError, match="not zizmor JSON"):
        ZizmorScanner().parse(stdout, ctx(GITHUB))


def test_only_the_files_handed_over_count_as_read(tmp_path: Path) -> None:
    c = ctx(tmp_path, "a.yml", "b.yml")
    stderr = (
        f" INFO audit: zizmor: completed {tmp_path}/a.yml\n"
        f" INFO audit: zizmor: completed {tmp_path}/elsewhere.yml\n"
        f" WARN collect_inputs: failed to parse input: completed {tmp_path}/b.yml\n"
    )
    assert completed(stderr, c, ["a.yml", "b.yml"]) == {"a.yml"}


def test_a_file_name_with_a_newline_is_not_handed_over(tmp_path: Path, fake_tool) -> None:
    """A name could forge zizmor's "completed" line for another file: never passed on."""
    started = tmp_path / "started"
    fake_tool("zizmor", f"touch {started}; echo '[]'")
    name = ".github/workflows/a\n INFO audit: zizmor: completed b.yml"
    outcome = ZizmorScanner().scan(ctx(tmp_path, name))
    assert [n.path for n in outcome.not_analyzed] == [name]
    assert "control character" in outcome.not_analyzed[0].reason
    assert outcome.findings == () and not started.exists()


# --- the real tool --------------------------------------------------------------------


@pytest.mark.integration
def test_real_zizmor_finds_each_class_with_its_rule_and_severity() -> None:
    outcome = ZizmorScanner().scan(ctx(GITHUB, *targets(GITHUB)))
    assert outcome.analyzed == set(targets(GITHUB))
    assert not outcome.not_analyzed
    found = keyed(outcome.findings)
    assert_expected(found)
    # nothing else: no finding the table does not name (no false positives on these files)
    assert set(found) == {(p, n, r) for p, n, r, _ in EXPECTED}


@pytest.mark.integration
def test_more_classes_write_all_dispatch_inputs_review_body_gh_checkout_insecure_commands() -> None:
    root = DATA / "more"
    outcome = ZizmorScanner().scan(ctx(root, *targets(root)))
    assert not outcome.not_analyzed
    found = {
        (f.location.path, f.location.start_line, f.rule_id): f.severity for f in outcome.findings
    }
    assert found == {
        (f"{WF}/pr-bot.yml", 3, "dangerous-triggers"): Severity.HIGH,
        # zizmor's regular persona leaves a one-job workflow's write-all out: the own rule
        (f"{WF}/pr-bot.yml", 8, "secscan-write-all-permissions"): Severity.HIGH,
        (f"{WF}/pr-bot.yml", 13, "template-injection"): Severity.HIGH,
        (f"{WF}/pr-bot.yml", 14, "template-injection"): Severity.HIGH,
        # `gh pr checkout`, and a checkout of the head SHA a step looked up
        (f"{WF}/pr-bot.yml", 15, "secscan-untrusted-checkout"): Severity.CRITICAL,
        (f"{WF}/pr-bot.yml", 22, "secscan-untrusted-checkout"): Severity.CRITICAL,
        (f"{WF}/legacy.yml", 7, "insecure-commands"): Severity.HIGH,
    }


@pytest.mark.integration
def test_write_all_is_one_finding_zizmors_where_zizmor_reports_it(tmp_path: Path) -> None:
    wf = tmp_path / WF / "two.yml"
    wf.parent.mkdir(parents=True)
    jobs = "".join(
        f"  {j}:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make {j}\n" for j in "ab"
    )
    wf.write_text(f"on: push\npermissions: write-all\njobs:\n{jobs}")
    outcome = ZizmorScanner().scan(ctx(tmp_path, f"{WF}/two.yml"))
    on_line = [f.rule_id for f in outcome.findings if f.location.start_line == 2]
    assert on_line == ["excessive-permissions"]


@pytest.mark.integration
def test_real_zizmor_output_still_matches_the_captured_fixture() -> None:
    """The fixture the parse tests read is what this zizmor prints (re-capture on upgrade)."""
    s = ZizmorScanner()
    live = s.scan(ctx(GITHUB, *targets(GITHUB)))
    captured = s.parse((FIX / "github.json").read_text(), ctx(GITHUB))
    tool_only = {k for k in keyed(live.findings) if not k[2].startswith("secscan-")}
    assert tool_only == set(keyed(captured.findings))


@pytest.mark.integration
def test_a_hardened_workflow_is_clean() -> None:
    root = DATA / "hardened"
    outcome = ZizmorScanner().scan(ctx(root, *targets(root)))
    assert outcome.analyzed == set(targets(root)) and outcome.findings == ()


@pytest.mark.integration
def test_the_github_ci_template_passes(tmp_path: Path) -> None:
    wf = tmp_path / WF / "secscan.yml"
    wf.parent.mkdir(parents=True)
    shutil.copy(REPO / "ci-templates" / "github-actions.yml", wf)
    outcome = ZizmorScanner().scan(ctx(tmp_path, f"{WF}/secscan.yml"))
    assert outcome.analyzed == {f"{WF}/secscan.yml"}
    assert outcome.findings == ()


@pytest.mark.integration
def test_the_trees_zizmor_config_and_inline_ignores_decide_nothing(tmp_path: Path) -> None:
    """Plain zizmor in the tree's git repository obeys its zizmor.yml and hides both
    injections; secscan reports both and marks the one an inline comment would hide."""
    root = tmp_path / "repo"
    shutil.copytree(DATA / "suppressed", root)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    zizmor = ZizmorScanner().tool_path()
    plain = subprocess.run(
        [zizmor, "--offline", "--format", "json", f"{root}/{WF}/ignored.yml"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(plain.stdout) == []  # the tree's config works on plain zizmor
    outcome = ZizmorScanner().scan(ctx(root, f"{WF}/ignored.yml"))
    by_line = {f.location.start_line: f for f in outcome.findings}
    assert {f.rule_id for f in outcome.findings} == {"template-injection"}
    assert set(by_line) == {10, 11}
    assert by_line[10].suppression is not None and by_line[11].suppression is None
    assert outcome.inline_suppressions == 0  # zizmor hid nothing: it was told not to


@pytest.mark.integration
def test_a_file_zizmor_cannot_read_is_not_analyzed_and_the_others_keep_results(
    tmp_path: Path,
) -> None:
    shutil.copytree(GITHUB, tmp_path, dirs_exist_ok=True)
    (tmp_path / WF / "broken.yml").write_text("name: x\non: [push\n")
    (tmp_path / WF / "not-a-workflow.yml").write_text("foo: bar\n")
    outcome = ZizmorScanner().scan(ctx(tmp_path, *targets(tmp_path)))
    gone = {n.path: n.reason for n in outcome.not_analyzed}
    assert set(gone) == {f"{WF}/broken.yml", f"{WF}/not-a-workflow.yml"}
    assert all("zizmor could not read it" in r for r in gone.values())
    assert_expected(keyed(outcome.findings))


def _scan(run_cli: Callable[..., object], root: Path, out: Path):  # type: ignore[no-untyped-def]
    res = run_cli("scan", str(root), "--output-dir", str(out), "--no-cache")
    saved = results.loads((out / "secscan-results.json").read_text())
    return res, {r.scanner: r for r in saved.result.runs}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(GITHUB, root)
    (root / ".secscan.yaml").write_text(
        "version: 1\nscanners: [github-actions]\ntimeouts: {github-actions: 3}\n"
    )
    return root


VERSION = 'if [ "$1" = "--version" ]; then echo "zizmor 9.9.9"; exit 0; fi\n'


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (None, "cannot execute"),
        (VERSION + "echo 'fatal: boom' >&2; exit 1", "exited with code 1"),
        (VERSION + "sleep 30", "did not finish within"),
        (VERSION + "echo 'this is not json'", "not zizmor JSON"),
        (VERSION + "echo '[]'", "accounts for none"),
    ],
    ids=["missing", "crash", "timeout", "garbage", "silent"],
)
def test_a_broken_zizmor_exits_3(
    tree: Path, tmp_path: Path, run_cli, fake_tool, monkeypatch: pytest.MonkeyPatch, body, reason
) -> None:
    if body is None:
        monkeypatch.setenv("SECSCAN_TOOL_ZIZMOR", str(tmp_path / "no-such-zizmor"))
    else:
        fake_tool("zizmor", body)
    res, runs = _scan(run_cli, tree, tmp_path / "out")
    assert res.code == 3
    run = runs["github-actions"]
    assert run.status.value == "error"
    assert reason in (run.error or "")
    assert run.findings == ()


@pytest.mark.integration
def test_the_gate_fails_on_the_workflows_through_the_cli(
    tree: Path, tmp_path: Path, run_cli
) -> None:
    res, runs = _scan(run_cli, tree, tmp_path / "out")
    assert res.code == 1
    run = runs["github-actions"]
    assert run.status.value == "ok"
    assert {(f.location.path, f.location.start_line, f.rule_id) for f in run.findings} == {
        (p, n, r) for p, n, r, _ in EXPECTED
    }
    # the findings carry the CI pipeline controls
    untrusted = next(f for f in run.findings if f.rule_id == "secscan-untrusted-checkout")
    for control in (
        "iso27001-2022:A.8.31",
        "iso27001-2022:A.8.25",
        "nist-ssdf-1.1:PO.3",
        "nist-ssdf-1.1:PS.1",
        "soc2-tsc:CC8.1",
        "eu-cra:AnnexI.I(2)(f)",
    ):
        assert control in untrusted.controls
    pinned = next(f for f in run.findings if f.rule_id == "unpinned-uses")
    assert "iso27001-2022:A.8.32" in pinned.controls


@pytest.mark.integration
def test_a_cached_scan_keeps_findings_own_rules_and_suppressions(tmp_path: Path) -> None:
    from secscan.scan import pipeline

    root = tmp_path / "tree"
    shutil.copytree(DATA / "suppressed", root)
    shutil.copytree(GITHUB / ".github", root / ".github", dirs_exist_ok=True)
    config = Config(scanners=("github-actions",))
    cold = pipeline.scan(root, config, cache_dir=tmp_path / "cache").runs[0]
    warm = pipeline.scan(root, config, cache_dir=tmp_path / "cache").runs[0]
    assert warm.cached and not cold.cached
    assert warm.findings == cold.findings
    assert {f.rule_id for f in warm.findings} >= {"template-injection", "secscan-env-injection"}
    assert (cold.inline_suppressions, warm.inline_suppressions) == (1, 1)


@pytest.mark.integration
@pytest.mark.parametrize(("profile", "code"), [("ci", 1), ("release", 1)])
def test_an_ignore_comment_is_the_profiles_decision(
    tmp_path: Path, run_cli, profile: str, code: int
) -> None:
    """Only the commented injection in the tree: `ci` honours the comment (and says so),
    `release` does not; the uncommented one fails both."""
    root = tmp_path / "repo"
    shutil.copytree(DATA / "suppressed", root)
    out = tmp_path / "out"
    res = run_cli(
        "scan",
        str(root),
        "--scanner",
        "github-actions",
        "--profile",
        profile,
        "--output-dir",
        str(out),
        "--no-cache",
    )
    assert res.code == code
    saved = results.loads((out / "secscan-results.json").read_text())
    failing = set(saved.decision.failing_fingerprints)
    by_line = {f.location.start_line: f for f in saved.result.runs[0].findings}
    assert by_line[11].fingerprint in failing
    assert (by_line[10].fingerprint in failing) is (profile == "release")


def test_explain_describes_zizmors_audits_and_the_own_rules_only() -> None:
    s = ZizmorScanner()
    info = s.describe_rule("template-injection", None)  # type: ignore[arg-type]
    assert info is not None and info.cwe == (94,) and info.references
    own = s.describe_rule("secscan-untrusted-checkout", None)  # type: ignore[arg-type]
    assert own is not None and own.severity is Severity.CRITICAL and own.fix
    # another scanner's rule id (the GitLab rules') is not claimed
    assert s.describe_rule("untrusted-variable-eval", None) is None  # type: ignore[arg-type]


# --- held-out workflows (docs/usage.md "Tried on real pipelines"): what they taught ---------


def _workflow(root: Path, text: str, name: str = "wf.yml") -> str:
    rel = f"{WF}/{name}"
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text)
    return rel


#: Shaped after vuejs/core's size-report workflow (2026), which groups steps in `parallel:`.
PARALLEL = """\
name: p
on:
  pull_request_target:
permissions: {}
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - parallel:
          - run: make lint
          - uses: actions/checkout@11d5960a326750d5838078e36cf38b85af677262  # v4.4.0
            with:
              ref: ${{ github.event.pull_request.head.sha }}
              persist-credentials: false
"""

#: Untrusted text through env: into here-documents: an interpreter's unquoted one is code, a
#: quoted one written to a file is data.
HEREDOC = """\
name: h
on:
  issues:
permissions: {}
jobs:
  a:
    runs-on: ubuntu-latest
    env:
      TITLE: ${{ github.event.issue.title }}
    steps:
      - run: |
          python3 - <<EOF
          print("$TITLE")
          EOF
          cat > notes.md <<'EOF'
          eval "$TITLE"
          EOF
"""


def test_a_checkout_in_a_parallel_step_group_is_found(tmp_path: Path) -> None:
    from secscan.scanners import actions_rules

    rel = _workflow(tmp_path, PARALLEL)
    found, unread = actions_rules.check(tmp_path, [rel], 1 << 20, "github-actions")
    assert not unread
    assert [(f.rule_id, f.location.start_line) for f in found] == [
        ("secscan-untrusted-checkout", 13)
    ]


def test_env_text_in_an_interpreters_heredoc_is_code_and_in_a_files_is_data(
    tmp_path: Path,
) -> None:
    from secscan.scanners import actions_rules

    rel = _workflow(tmp_path, HEREDOC)
    found, _ = actions_rules.check(tmp_path, [rel], 1 << 20, "github-actions")
    assert [(f.rule_id, f.location.start_line) for f in found] == [("secscan-env-injection", 13)]
    assert "a program is made of it" in found[0].message


@pytest.mark.integration
def test_an_ignore_comment_anywhere_in_the_findings_spans_marks_it(tmp_path: Path) -> None:
    """Shaped after composer/composer's api-surface-comment workflow (2026): the comment sits
    on the `types:` line, inside the `on:` span zizmor also reports, not on `workflow_run:`.
    zizmor reads comments in every location's span; so does the mark."""
    rel = _workflow(
        tmp_path,
        "name: c\non:\n  workflow_run:\n    workflows: [ci]\n"
        "    types: [completed] # zizmor: ignore[dangerous-triggers]\n"
        "permissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: make report\n",
    )
    outcome = ZizmorScanner().scan(ctx(tmp_path, rel))
    trigger = next(f for f in outcome.findings if f.rule_id == "dangerous-triggers")
    assert trigger.location.start_line == 3
    assert trigger.suppression is not None
    assert trigger.suppression.directive == "# zizmor: ignore[dangerous-triggers]"


@pytest.mark.integration
def test_credentials_persisted_by_checkout_are_found(tmp_path: Path) -> None:
    """`actions/checkout` without `persist-credentials: false` leaves the token in
    .git/config for every later step and artifact: zizmor's `artipacked`, never below medium."""
    rel = _workflow(
        tmp_path,
        "name: c\non: push\npermissions:\n  contents: read\njobs:\n  a:\n"
        "    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@11d5960a326750d5838078e36cf38b85af677262  # v4.4.0\n"
        "      - run: make\n",
    )
    outcome = ZizmorScanner().scan(ctx(tmp_path, rel))
    found = {(f.rule_id, f.location.start_line): f.severity for f in outcome.findings}
    assert found == {("artipacked", 9): Severity.MEDIUM}


#: The pull request's head named the other ways: `pull/${PR}/head` fetched by git, a `ref:`
#: through a workflow env variable, the fork cloned; and their safe twins (a variable a step
#: computed, a step env overriding the workflow's with a constant).
HEAD_ELSEWHERE = """\
name: h
on:
  pull_request_target:
permissions: {}
env:
  HEAD_SHA: ${{ github.event.pull_request.head.sha }}
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: |
          git fetch origin "pull/${PR}/head:pr"
          git checkout pr
        env:
          PR: ${{ github.event.pull_request.number }}
      - uses: actions/checkout@11d5960a326750d5838078e36cf38b85af677262  # v4.4.0
        with:
          ref: ${{ env.HEAD_SHA }}
          persist-credentials: false
      - run: git fetch origin "$HEAD_SHA"
      - run: git clone "${{ github.event.pull_request.head.repo.clone_url }}" pr
      - uses: actions/checkout@11d5960a326750d5838078e36cf38b85af677262  # v4.4.0
        with:
          ref: ${{ env.PR_SHA }}
          persist-credentials: false
        env:
          PR_SHA: ${{ steps.pr.outputs.sha }}
      - run: git fetch origin "$MERGE_REF"
        env:
          MERGE_REF: refs/pull/${{ github.event.number }}/merge
      - run: git fetch origin "$VERSION" && git checkout "$HEAD_SHA"
        env:
          VERSION: ${{ steps.v.outputs.tag }}
          HEAD_SHA: main
"""


def test_the_pull_requests_head_through_git_pull_refs_and_env_is_found(tmp_path: Path) -> None:
    from secscan.scanners import actions_rules

    rel = _workflow(tmp_path, HEAD_ELSEWHERE)
    found, _ = actions_rules.check(tmp_path, [rel], 1 << 20, "github-actions")
    assert [(f.rule_id, f.location.start_line) for f in found] == [
        ("secscan-untrusted-checkout", 12),
        ("secscan-untrusted-checkout", 18),
        ("secscan-untrusted-checkout", 20),
        ("secscan-untrusted-checkout", 21),
        ("secscan-untrusted-checkout", 24),
        ("secscan-untrusted-checkout", 28),
    ]


def test_every_rule_the_ci_mappings_name_is_a_ci_scanners_rule() -> None:
    """A mapping row naming an audit zizmor does not have (or a mistyped own rule) would
    never match; each one `explain` can describe. zizmor's `unsafe-checkout` (seen on
    held-out workflows) maps with the privileged-trigger rules, not only the catch-all."""
    from secscan.policy.loader import load_policy
    from secscan.scanners.gitlab_ci import GitLabCiScanner

    policy = load_policy(None)
    named: dict[str, set[str]] = {}
    for r in policy.rules:
        if set(r.match.scanners) & {"github-actions", "gitlab-ci"}:
            for rule_id in r.match.rules:
                named.setdefault(rule_id, set()).add(r.id)
    z, g = ZizmorScanner(), GitLabCiScanner()
    for rule_id in named:
        described = z.describe_rule(rule_id, None)  # type: ignore[arg-type]
        assert rule_id in g.rule_ids() or described is not None, rule_id
    assert "ci-privileged-trigger" in named["unsafe-checkout"]
    assert "ci-unpinned" in named["unpinned-tools"]
