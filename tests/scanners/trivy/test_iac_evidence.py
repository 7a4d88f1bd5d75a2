"""Dockerfile verdicts re-judged on the file's own evidence: the real trivy, real-world shapes.

The shapes are those of projects in benchmarks/precision.py and of the issue-23 survey: a
Node build that clears its token with `ENV NPM_TOKEN=` after a build-time secret, and a Go
service whose final stage is `FROM scratch`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from trivy_helpers import context

from secscan.model.findings import Finding, FindingKind, Location, Severity
from secscan.scanners import iac_evidence
from secscan.scanners.trivy_config import TrivyConfigScanner

NODE = """\
FROM node:20.11-alpine AS build
WORKDIR /app
ARG NPM_TOKEN
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci
COPY . .
RUN npm run build
# cleared so that no later layer inherits it
ENV NPM_TOKEN= \\
    NODE_ENV=production
ENV SENTRY_AUTH_TOKEN=""
ENV DB_PASSWORD=${DB_PASSWORD}
USER node
CMD ["node", "dist/server.js"]
"""

GO_SCRATCH = """\
# syntax=docker/dockerfile:1
FROM golang:1.22-alpine AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/manager ./cmd/manager

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
COPY --from=build /out/manager /manager
ENTRYPOINT ["/manager"]
"""

SCRATCH_AS_ROOT = GO_SCRATCH.replace(
    'ENTRYPOINT ["/manager"]', 'USER root\nENTRYPOINT ["/manager"]'
)

#: scratch only as an intermediate stage: the shipped image is a full distribution.
SCRATCH_THEN_DEBIAN = """\
FROM scratch AS assets
COPY static /static
FROM debian:12-slim
COPY --from=assets /static /srv/static
CMD ["python3", "-m", "http.server", "-d", "/srv/static"]
"""

#: the last stage is built FROM an earlier stage whose base is scratch.
SCRATCH_VIA_ALIAS = """\
FROM golang:1.22-alpine AS build
RUN CGO_ENABLED=0 go build -o /out/app .
FROM scratch AS base
COPY --from=build /out/app /app
FROM base
ENTRYPOINT ["/app"]
"""


def _scan(tmp_path: Path, text: str) -> list[Finding]:
    (tmp_path / "Dockerfile").write_text(text)
    outcome = TrivyConfigScanner().scan(context(tmp_path, "Dockerfile"))
    return list(outcome.findings)


def _by_rule(findings: list[Finding], rule: str) -> dict[int | None, Finding]:
    return {f.location.start_line: f for f in findings if f.rule_id == rule}


@pytest.mark.integration
def test_an_emptied_env_variable_is_no_secret_but_build_args_and_copies_are(
    tmp_path: Path,
) -> None:
    secrets = _by_rule(_scan(tmp_path, NODE), "DS-0031")
    # trivy flags the ARG, both emptied ENVs and the ENV copying a value in
    assert set(secrets) == {3, 9, 11, 12}
    assert secrets[3].severity is Severity.CRITICAL  # a build argument reaches the history
    assert secrets[12].severity is Severity.CRITICAL  # ENV DB_PASSWORD=${DB_PASSWORD}
    for line in (9, 11):
        assert secrets[line].severity is Severity.INFO
        assert "empty value" in secrets[line].message


@pytest.mark.integration
def test_a_scratch_image_without_user_is_a_low_hint(tmp_path: Path) -> None:
    root = _by_rule(_scan(tmp_path, GO_SCRATCH), "DS-0002")
    (only,) = root.values()
    assert only.severity is Severity.LOW
    assert "FROM scratch" in only.message


@pytest.mark.integration
@pytest.mark.parametrize("text", [SCRATCH_AS_ROOT, SCRATCH_THEN_DEBIAN])
def test_root_keeps_trivys_rating_unless_the_shipped_stage_is_scratch(
    tmp_path: Path, text: str
) -> None:
    root = _by_rule(_scan(tmp_path, text), "DS-0002")
    (only,) = root.values()
    assert only.severity is Severity.HIGH


@pytest.mark.integration
def test_a_final_stage_built_from_a_scratch_stage_is_scratch(tmp_path: Path) -> None:
    (only,) = _by_rule(_scan(tmp_path, SCRATCH_VIA_ALIAS), "DS-0002").values()
    assert only.severity is Severity.LOW


def test_instructions_join_continuations_and_honour_the_escape_directive() -> None:
    text = "# escape=`\nFROM scratch\nENV A=1 `\n    B=\nUSER 65532\n"
    found = iac_evidence.instructions(text)
    assert [(i.line, i.keyword) for i in found] == [(2, "FROM"), (3, "ENV"), (5, "USER")]
    assert iac_evidence.env_assignments(found[1].args) == {"A": "1", "B": ""}


def test_instructions_at_the_edges_of_the_file() -> None:
    """A file of comments only; a continuation left open at the end; a comment inside a
    continued instruction, a blank line ending one; a `# escape=` after the first
    instruction is no directive."""
    assert iac_evidence.instructions("# escape=`\n# only comments\n") == []
    found = iac_evidence.instructions("FROM a\nRUN x\\\n# dropped\n  y\\\n  z\\")
    assert [(i.line, i.keyword, i.args) for i in found] == [(1, "FROM", "a"), (2, "RUN", "x y z")]
    # a blank line ends a continued instruction
    ended = iac_evidence.instructions("RUN x \\\n\nUSER 1\n")
    assert [(i.line, i.keyword, i.args) for i in ended] == [(1, "RUN", "x"), (3, "USER", "1")]
    late = iac_evidence.instructions("FROM a\n# escape=`\nRUN x `\nUSER 1\n")
    assert [(i.line, i.keyword, i.args) for i in late] == [
        (1, "FROM", "a"),
        (3, "RUN", "x `"),
        (4, "USER", "1"),
    ]


def test_env_forms() -> None:
    assert iac_evidence.env_assignments('TOKEN="" MODE=prod') == {"TOKEN": "", "MODE": "prod"}
    assert iac_evidence.env_assignments("TOKEN some value") == {"TOKEN": "some value"}
    assert iac_evidence.env_assignments('TOKEN="unbalanced') is None


def test_an_unreadable_or_huge_dockerfile_keeps_the_rating() -> None:
    f = Finding(
        scanner="iac",
        rule_id="DS-0031",
        title="secrets passed via build-args or envs",
        message='Possible exposure of secret env "NPM_TOKEN" in ENV',
        severity=Severity.CRITICAL,
        kind=FindingKind.IAC,
        location=Location(path="Dockerfile", start_line=3, end_line=3),
        tags=("iac", "dockerfile"),
    )
    assert iac_evidence.judge([f], lambda _p: None)[0].severity is Severity.CRITICAL
    big = b"FROM node\nARG X\nENV NPM_TOKEN=\n" + b"#" * iac_evidence.MAX_BYTES
    assert iac_evidence.judge([f], lambda _p: big)[0].severity is Severity.CRITICAL
    small = b"FROM node\nARG X\nENV NPM_TOKEN=\n"
    assert iac_evidence.judge([f], lambda _p: small)[0].severity is Severity.INFO


# --- Kustomize patch fragments (the shape kubebuilder scaffolds: config/default patches) ----

BASE_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: controller-manager
  namespace: system
spec:
  selector:
    matchLabels:
      control-plane: controller-manager
  replicas: 1
  template:
    metadata:
      labels:
        control-plane: controller-manager
    spec:
      containers:
        - name: manager
          image: controller:latest
          args: ["--leader-elect"]
"""

BASE_KUSTOMIZATION = "resources:\n  - manager.yaml\n"

#: sets only resources: every other check on it is about fields the base decides
RESOURCES_PATCH = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: controller-manager
  namespace: system
spec:
  template:
    spec:
      containers:
        - name: manager
          resources:
            limits:
              cpu: 500m
              memory: 128Mi
"""

#: a patch that itself makes the container privileged
PRIVILEGED_PATCH = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: controller-manager
spec:
  template:
    spec:
      containers:
        - name: manager
          securityContext:
            privileged: true
"""

OVERLAY = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: operator-system
resources:
  - ../manager
patches:
  - path: patches/resources_patch.yaml
  - path: patches/privileged_patch.yaml
patchesStrategicMerge:
  - complete.yaml
"""


def _kustomize_tree(root: Path) -> tuple[str, ...]:
    files = {
        "config/manager/manager.yaml": BASE_DEPLOYMENT,
        "config/manager/kustomization.yaml": BASE_KUSTOMIZATION,
        "config/default/kustomization.yaml": OVERLAY,
        "config/default/patches/resources_patch.yaml": RESOURCES_PATCH,
        "config/default/patches/privileged_patch.yaml": PRIVILEGED_PATCH,
        # a complete manifest listed as a patch is judged as the manifest it is
        "config/default/complete.yaml": BASE_DEPLOYMENT,
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return tuple(sorted(files))


@pytest.mark.integration
def test_kustomize_patch_fragments_are_judged_with_their_base(tmp_path: Path) -> None:
    targets = _kustomize_tree(tmp_path)
    outcome = TrivyConfigScanner().scan(context(tmp_path, *targets))
    by = {(f.location.path, f.rule_id): f for f in outcome.findings}
    base, complete = "config/manager/manager.yaml", "config/default/complete.yaml"
    resources = "config/default/patches/resources_patch.yaml"
    privileged = "config/default/patches/privileged_patch.yaml"
    # the base is judged as trivy judges it
    assert by[(base, "KSV-0014")].severity is Severity.HIGH
    assert by[(complete, "KSV-0014")].severity is Severity.HIGH
    # the fragment does not set readOnlyRootFilesystem: its base decides, info here
    fragment = by[(resources, "KSV-0014")]
    assert fragment.severity is Severity.INFO
    assert "config/default/kustomization.yaml" in fragment.message
    # ... but the limits it sets are its own: no limit finding, and requests stay as rated
    assert (resources, "KSV-0011") not in by
    # a fragment that makes the container privileged keeps trivy's rating for it
    assert by[(privileged, "KSV-0017")].severity is Severity.HIGH
    # a check about a field the fragment sets (a securityContext) is not lowered either
    assert by[(privileged, "KSV-0118")].severity is Severity.HIGH
    assert by[(privileged, "KSV-0014")].severity is Severity.INFO


def test_patch_paths_and_fragments() -> None:
    assert iac_evidence.patch_paths("config/default/kustomization.yaml", OVERLAY.encode()) == {
        "config/default/patches/resources_patch.yaml",
        "config/default/patches/privileged_patch.yaml",
        "config/default/complete.yaml",
    }
    assert iac_evidence.cannot_apply_alone(RESOURCES_PATCH.encode())
    assert not iac_evidence.cannot_apply_alone(BASE_DEPLOYMENT.encode())
    # a path leaving the tree, an alias bomb and garbage are no patch lists
    assert (
        iac_evidence.patch_paths("kustomization.yaml", b"patches:\n  - path: ../x.yaml\n") == set()
    )
    bomb = b"a: &a [x, x]\nb: &b [*a, *a]\npatches: *b\n"
    assert iac_evidence.patch_paths("kustomization.yaml", bomb) == set()
    assert iac_evidence.patch_paths("kustomization.yaml", b"\x00\xff: [") == set()
