"""gitlab-ci: secscan's own rules over GitLab CI pipelines, each rule found and left alone.

The pipeline is read as an untrusted YAML node tree: bounded, alias bombs refused, GitLab's
`!reference` tag read as data, local includes followed only inside the root and never
through a link.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest

from secscan.model.findings import Finding, Severity
from secscan.scanners.base import ScanContext
from secscan.scanners.gitlab_ci import RULES, GitLabCiScanner, is_pipeline
from secscan.settings.config import Config

REPO = Path(__file__).resolve().parents[2]


def scan(root: Path, *targets: str) -> tuple[list[Finding], dict[str, str]]:
    c = ScanContext(root=root, targets=targets or (".gitlab-ci.yml",), config=Config(), timeout=60)
    outcome = GitLabCiScanner().scan(c)
    return list(outcome.findings), {n.path: n.reason for n in outcome.not_analyzed}


def pipeline(tmp_path: Path, text: str, name: str = ".gitlab-ci.yml") -> Path:
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(textwrap.dedent(text))
    return tmp_path


def hits(findings: list[Finding]) -> set[tuple[str, int]]:
    return {(f.rule_id, f.location.start_line or 0) for f in findings}


@pytest.mark.parametrize(
    ("path", "wanted"),
    [
        (".gitlab-ci.yml", True),
        (".gitlab-ci.yaml", True),
        ("sub/.gitlab-ci.yml", True),
        ("build.gitlab-ci.yml", True),
        (".gitlab/ci/deploy.yml", True),
        (".gitlab/issue_templates/bug.md", False),
        ("gitlab-ci.yml", False),
        ("ci.yml", False),
    ],
)
def test_targets(path: str, wanted: bool) -> None:
    assert is_pipeline(path) is wanted
    assert GitLabCiScanner().applies_to(path) is wanted


# One case per rule: (pipeline, the (rule, line) found). Each rule's negative twin is below.
CASES = {
    "untrusted-variable-eval": (
        """\
        build:
          script:
            - eval "echo $CI_COMMIT_MESSAGE"
            - bash -c "git log ${CI_MERGE_REQUEST_SOURCE_BRANCH_NAME}"
            - sh -ec "deploy $CI_COMMIT_BRANCH"
            - pwsh -Command "Write-Host $env:CI_MERGE_REQUEST_TITLE"
            - echo "$CI_COMMIT_TITLE" | bash
        """,
        {
            ("untrusted-variable-eval", 7),
            ("untrusted-variable-eval", 3),
            ("untrusted-variable-eval", 4),
            ("untrusted-variable-eval", 5),
            ("untrusted-variable-eval", 6),
        },
    ),
    "untrusted-variable-eval-via-variable": (
        """\
        build:
          variables:
            MSG: $CI_MERGE_REQUEST_DESCRIPTION
          script: |
            echo start
            eval "$MSG"
        """,
        {("untrusted-variable-eval", 6)},
    ),
    # An unquoted here-document fed to an interpreter: the outer shell writes the commit
    # message into the program (a quoted one, and a shell's, run nothing of it).
    "untrusted-variable-eval-in-heredoc": (
        """\
        build:
          script:
            - |
              python3 - <<EOF
              print("$CI_COMMIT_MESSAGE")
              EOF
              bash <<'SH'
              eval "$CI_COMMIT_TITLE"
              SH
        """,
        {("untrusted-variable-eval", 5), ("untrusted-variable-eval", 8)},
    ),
    "untrusted-variable-unquoted": (
        """\
        build:
          script:
            - echo $CI_COMMIT_TITLE
            - ./notify ${CI_MERGE_REQUEST_TITLE}
        """,
        {("untrusted-variable-unquoted", 3), ("untrusted-variable-unquoted", 4)},
    ),
    "include-unpinned": (
        """\
        include:
          - project: group/templates
            ref: main
            file: /build.yml
          - project: group/templates
            file: /test.yml
          - remote: https://example.com/ci.yml
          - https://example.com/other.yml
          - component: gitlab.com/org/components/lint@1.2.0
        job:
          script: [make]
        """,
        {
            ("include-unpinned", 2),
            ("include-unpinned", 5),
            ("include-unpinned", 7),
            ("include-unpinned", 8),
            ("include-unpinned", 9),
        },
    ),
    "image-not-pinned": (
        """\
        image: python:3.12
        variables:
          IMG: alpine:latest
        build:
          image: $IMG
          services:
            - postgres:16
            - name: redis
          script: [make]
        """,
        {
            ("image-not-pinned", 1),
            ("image-not-pinned", 5),
            ("image-not-pinned", 7),
            ("image-not-pinned", 8),
        },
    ),
    "debug-trace": (
        """\
        variables:
          CI_DEBUG_TRACE: "true"
        build:
          variables:
            CI_DEBUG_SERVICES:
              value: "true"
          script: [make]
        """,
        {("debug-trace", 2), ("debug-services", 5)},
    ),
    "secret-echoed": (
        """\
        deploy:
          script:
            - echo "token is $DEPLOY_TOKEN"
            - printf '%s' "${AWS_SECRET_ACCESS_KEY}"
            - env
            - printenv
            - echo "$SSH_DEPLOY_KEY"
            - echo "by $CI_COMMIT_AUTHOR"
            - x=1; echo "$(hostname) $API_TOKEN"
        """,
        {
            ("secret-echoed", 9),
            ("secret-echoed", 3),
            ("secret-echoed", 4),
            ("secret-echoed", 5),
            ("secret-echoed", 6),
            ("secret-echoed", 7),
        },
    ),
    "merge-request-secrets": (
        """\
        .deploy:
          rules:
            - if: $CI_PIPELINE_SOURCE == "merge_request_event"
        preview:
          extends: .deploy
          script:
            - ./deploy --token "$PREVIEW_DEPLOY_TOKEN"
        sign:
          only: [merge_requests]
          id_tokens:
            SIGSTORE_ID_TOKEN:
              aud: sigstore
          script: [./sign]
        """,
        {("merge-request-secrets", 4), ("merge-request-secrets", 8)},
    ),
    # Shaped after gitlab-runner's _rules.gitlab-ci.yml (2026): rules kept in hidden jobs,
    # anchored `if:` entries, and jobs taking them with `!reference`, whole or as an entry.
    "merge-request-secrets-via-reference": (
        """\
        .if-mr: &if-mr
          if: $CI_PIPELINE_SOURCE == "merge_request_event"
        .rules:mr:
          rules:
            - <<: *if-mr
        upload:
          rules: !reference [.rules:mr, rules]
          script: ['./upload --key "$S3_SECRET_KEY"']
        publish:
          rules:
            - if: $CI_COMMIT_TAG
            - !reference [.rules:mr, rules]
          script: ['./publish "$NPM_TOKEN"']
        """,
        {("merge-request-secrets", 6), ("merge-request-secrets", 9)},
    ),
}

SAFE = {
    "untrusted-variable": """\
        build:
          script:
            - echo "$CI_COMMIT_MESSAGE"
            - git checkout $CI_COMMIT_BRANCH
            - docker build -t app:$CI_COMMIT_REF_NAME .
            - echo '$CI_COMMIT_TITLE'
            - eval "$SAFE_COMMAND"
            - echo "$CI_COMMIT_TITLE" | tee title.txt
            - ./build.sh "$CI_COMMIT_BRANCH" | sh -c 'cat'
        """,
    "include-pinned": """\
        include:
          - project: group/templates
            ref: 0123456789abcdef0123456789abcdef01234567
            file: /build.yml
          - remote: https://example.com/ci.yml
            integrity: sha256-L3/GAoKaw0Arw6hDCKeKQlV1QPEgHYxGBHsH4zG1IY8=
          - component: gitlab.com/org/components/lint@0123456789abcdef0123456789abcdef01234567
          - template: Security/SAST.gitlab-ci.yml
          - local: /ci/missing.yml
        job:
          script: [make]
        """,
    "image-pinned": """\
        image: python:3.12@sha256:c7220863385ee39fb6d822da81f4469d0cd33ff893d92ce94105e5c3f4b95fe2
        build:
          image: $IMAGE_FROM_PROJECT_SETTINGS
          script: [make]
        """,
    "debug-off": """\
        variables:
          CI_DEBUG_TRACE: "false"
        build:
          script: [make]
        """,
    # Shaped after omnibus-gitlab's .gitlab-ci.yml (2026): a git credential helper written
    # to a config file through a quoted here-document; its `echo` never runs in the job.
    "secret-in-heredoc-data": """\
        build:
          script:
            - |
              cat >> "$GIT_CONFIG_GLOBAL" <<'GITCFG'
              [credential "https://gitlab.example"]
                  helper = "!f() { echo \\"password=${CI_JOB_TOKEN}\\"; echo $DEPLOY_TOKEN; }; f"
              GITCFG
              cat > notes.txt <<EOF
              $CI_COMMIT_MESSAGE
              EOF
        """,
    # Shaped after GNOME/glib's coverity job (2026): the token file is read into curl's
    # argument by a command substitution, not printed.
    "secret-in-command-substitution": """\
        coverity:
          script:
            - curl https://scan.example/builds --form token="$(cat "${COVERITY_SCAN_TOKEN_FILE}")"
            - curl https://scan.example/builds --form token="`cat $UPLOAD_TOKEN_FILE`"
        """,
    "merge-request-reference-forks-excluded": """\
        .rules:mr:
          rules:
            - if: >-
                $CI_PIPELINE_SOURCE == "merge_request_event"
                && $CI_MERGE_REQUEST_SOURCE_PROJECT_ID == $CI_PROJECT_ID
        upload:
          rules: !reference [.rules:mr, rules]
          script: ['./upload --key "$S3_SECRET_KEY"']
        """,
    "secret-piped": """\
        deploy:
          script:
            - echo "$REGISTRY_PASSWORD" | docker login -u ci --password-stdin registry
            - echo "$DEPLOY_TOKEN" > token.txt
            - echo "deploying $CI_PROJECT_NAME"
        """,
    "merge-request-forks-excluded": """\
        preview:
          rules:
            - if: >-
                $CI_PIPELINE_SOURCE == "merge_request_event"
                && $CI_MERGE_REQUEST_SOURCE_PROJECT_ID == $CI_PROJECT_ID
          script:
            - ./deploy --token "$PREVIEW_DEPLOY_TOKEN"
        test:
          rules:
            - if: $CI_PIPELINE_SOURCE == "merge_request_event"
          script:
            - docker login -u gitlab-ci-token -p "$CI_JOB_TOKEN" "$CI_REGISTRY"
            - make test
        """,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_rule_is_found_where_it_is_written(tmp_path: Path, case: str) -> None:
    text, wanted = CASES[case]
    findings, unread = scan(pipeline(tmp_path, text))
    assert not unread
    assert hits(findings) == wanted
    for f in findings:
        rule = RULES[f.rule_id]
        assert f.severity is rule.severity and f.cwe == rule.cwe
        assert f.kind.value == "iac" and f.scanner == "gitlab-ci"


@pytest.mark.parametrize("case", sorted(SAFE))
def test_the_safe_twin_is_clean(tmp_path: Path, case: str) -> None:
    findings, unread = scan(pipeline(tmp_path, SAFE[case]))
    assert not unread
    assert findings == []


def test_every_rule_has_a_case_and_a_description() -> None:
    covered = {r for _, wanted in CASES.values() for r, _ in wanted}
    assert covered == set(RULES)
    s = GitLabCiScanner()
    assert s.rule_ids() == frozenset(RULES)
    for rule_id in RULES:
        info = s.describe_rule(rule_id, None)  # type: ignore[arg-type]
        assert info is not None and info.fix


def test_severities_are_stated() -> None:
    assert RULES["untrusted-variable-eval"].severity is Severity.HIGH
    assert RULES["debug-trace"].severity is Severity.HIGH
    # GitLab-shell sets CI_DEBUG_SERVICES (held-out, 2026): service logs, no variable dump
    assert RULES["debug-services"].severity is Severity.MEDIUM
    assert RULES["include-unpinned"].severity is Severity.MEDIUM
    assert RULES["image-not-pinned"].severity is Severity.MEDIUM


def test_local_includes_are_followed_inside_the_root_only(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    pipeline(
        root,
        """\
        include:
          - local: /ci/build.yml
          - local: ci/jobs/*.yml
          - local: ../outside.yml
          - local: linked/evil.yml
          - ci/plain.yml
        """,
    )
    pipeline(root, "build:\n  script:\n    - eval $CI_COMMIT_TITLE\n", "ci/build.yml")
    pipeline(root, "lint:\n  image: node:20\n  script: [lint]\n", "ci/jobs/lint.yml")
    pipeline(root, "x:\n  variables: {CI_DEBUG_TRACE: 'true'}\n  script: [x]\n", "ci/plain.yml")
    pipeline(tmp_path, "evil:\n  image: evil:latest\n  script: [x]\n", "outside.yml")
    pipeline(tmp_path, "evil:\n  image: evil:latest\n  script: [x]\n", "elsewhere/evil.yml")
    os.symlink(tmp_path / "elsewhere", root / "linked")
    findings, unread = scan(root)
    assert not unread
    assert {(f.location.path, f.rule_id) for f in findings} == {
        ("ci/build.yml", "untrusted-variable-eval"),
        ("ci/jobs/lint.yml", "image-not-pinned"),
        ("ci/plain.yml", "debug-trace"),
    }


def test_gitlab_reference_tags_and_anchors_are_read_as_data(tmp_path: Path) -> None:
    findings, unread = scan(
        pipeline(
            tmp_path,
            """\
            .setup:
              script:
                - eval "$CI_COMMIT_MESSAGE"
            .defaults: &defaults
              image: ruby:3.3
            build:
              <<: *defaults
              script:
                - !reference [.setup, script]
                - make
            test:
              <<: *defaults
              script: [make test]
            """,
        )
    )
    assert not unread
    # the anchored image is written once: one finding, where it is written
    assert hits(findings) == {("untrusted-variable-eval", 3), ("image-not-pinned", 5)}


def test_an_alias_bomb_is_not_analyzed_and_never_expanded(tmp_path: Path) -> None:
    levels = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for n in range(1, 9):
        levels.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 10) + "]")
    root = pipeline(tmp_path, "\n".join(levels) + "\n")
    findings, unread = scan(root)
    assert findings == [] and "billion-laughs" in unread[".gitlab-ci.yml"]
    pipeline(tmp_path, "ok:\n  image: alpine:3\n  script: [x]\n", "b.gitlab-ci.yml")
    findings, unread = scan(root, ".gitlab-ci.yml", "b.gitlab-ci.yml")
    assert "billion-laughs" in unread[".gitlab-ci.yml"]
    assert hits(findings) == {("image-not-pinned", 2)}


def test_broken_yaml_is_not_analyzed(tmp_path: Path) -> None:
    root = pipeline(tmp_path, "job:\n  script: [x\n")
    pipeline(tmp_path, "ok:\n  script: [eval $CI_COMMIT_TITLE]\n", "a.gitlab-ci.yml")
    findings, unread = scan(root, ".gitlab-ci.yml", "a.gitlab-ci.yml")
    assert "YAML syntax error" in unread[".gitlab-ci.yml"]
    assert hits(findings) == {("untrusted-variable-eval", 2)}


def test_an_oversized_pipeline_is_not_analyzed(tmp_path: Path) -> None:
    root = pipeline(tmp_path, "job:\n  script:\n" + "    - make\n" * 200_000)
    c = ScanContext(
        root=root,
        targets=(".gitlab-ci.yml", "b.gitlab-ci.yml"),
        config=Config(max_file_size_mb=0.5),
        timeout=60,
    )
    pipeline(tmp_path, "ok:\n  script: [make]\n", "b.gitlab-ci.yml")
    outcome = GitLabCiScanner().scan(c)
    assert {n.path for n in outcome.not_analyzed} == {".gitlab-ci.yml"}


def test_the_gitlab_ci_template_passes(tmp_path: Path) -> None:
    shutil.copy(REPO / "ci-templates" / "gitlab-ci.yml", tmp_path / ".gitlab-ci.yml")
    findings, unread = scan(tmp_path)
    assert not unread
    assert findings == []


def test_gitlab_findings_carry_the_ci_pipeline_controls(tmp_path: Path, run_cli) -> None:
    """Each GitLab rule family maps through policies/mappings/ci-pipeline.yaml and its
    SSDF, SOC 2 and CRA extensions, through a real scan and gate."""
    from secscan.model import results

    root = pipeline(
        tmp_path / "repo",
        """\
        include:
          - project: group/templates
            ref: main
            file: /build.yml
        variables:
          CI_DEBUG_TRACE: "true"
        build:
          script:
            - eval "$CI_COMMIT_MESSAGE"
        """,
    )
    out = tmp_path / "out"
    res = run_cli("scan", str(root), "--scanner", "gitlab-ci", "--output-dir", str(out))
    assert res.code == 1
    saved = results.loads((out / "secscan-results.json").read_text())
    controls = {f.rule_id: set(f.controls) for f in saved.result.runs[0].findings}
    common = {"iso27001-2022:A.8.25", "nist-ssdf-1.1:PO.3", "soc2-tsc:CC8.1"}
    common |= {"eu-cra:AnnexI.I(2)(f)"}
    assert controls["include-unpinned"] >= common | {"iso27001-2022:A.8.32", "nist-ssdf-1.1:PS.1"}
    assert controls["untrusted-variable-eval"] >= common | {
        "iso27001-2022:A.8.31",
        "nist-ssdf-1.1:PS.1",
    }
    assert controls["debug-trace"] >= common | {"iso27001-2022:A.8.31", "eu-cra:AnnexI.I(2)(d)"}
