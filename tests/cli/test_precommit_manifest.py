"""`.pre-commit-hooks.yaml` is valid for pre-commit, and its filters route files to the hook
whose scanners read them: checked with pre-commit's own manifest loader and file classifier.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pre_commit.clientlib import load_manifest
from pre_commit.commands.run import Classifier

from secscan.cli.hook import hook
from secscan.scanners.osv_deps import OsvDepsScanner
from secscan.scanners.pip_audit import PipAuditScanner
from secscan.scanners.trivy_config import TrivyConfigScanner

REPO = Path(__file__).resolve().parents[2]

#: path -> the hooks that must receive it
ROUTES: dict[str, set[str]] = {
    "app/views.py": {"secscan"},
    "web/app.ts": {"secscan"},
    "conf/.env": {"secscan"},
    "conf/settings.ini": {"secscan"},
    "README.md": set(),
    "docs/guide.rst": set(),
    "docs/notes.adoc": set(),
    "static/logo.png": set(),
    "requirements.txt": {"secscan", "secscan-deps"},
    "requirements-dev.txt": {"secscan", "secscan-deps"},
    "requirements/prod.txt": {"secscan", "secscan-deps"},
    "pyproject.toml": {"secscan", "secscan-deps"},
    "poetry.lock": {"secscan", "secscan-deps"},
    "uv.lock": {"secscan", "secscan-deps"},
    "Pipfile.lock": {"secscan", "secscan-deps"},
    "web/package-lock.json": {"secscan", "secscan-deps", "secscan-iac"},
    "web/yarn.lock": {"secscan", "secscan-deps"},
    "web/pnpm-lock.yaml": {"secscan", "secscan-deps", "secscan-iac"},
    "svc/go.mod": {"secscan", "secscan-deps"},
    "rust/Cargo.lock": {"secscan", "secscan-deps"},
    "php/composer.lock": {"secscan", "secscan-deps"},
    "rb/Gemfile.lock": {"secscan", "secscan-deps"},
    "rb/gems.locked": {"secscan", "secscan-deps"},  # Bundler's lock of a gems.rb
    "rb/gems.rb.lock": {"secscan"},  # no tool writes it
    "web/npm-shrinkwrap.json": {"secscan", "secscan-deps", "secscan-iac"},
    "cs/packages.lock.json": {"secscan", "secscan-deps", "secscan-iac"},
    "jvm/pom.xml": {"secscan", "secscan-deps"},
    "jvm/gradle.lockfile": {"secscan", "secscan-deps"},
    "jvm/gradle/dependency-locks/compileClasspath.lockfile": {"secscan", "secscan-deps"},
    "package.json": {
        "secscan",
        "secscan-iac",
        "secscan-deps",
    },  # JSON: trivy tells CloudFormation from the rest; npm ranges
    "deploy/main.tf": {"secscan", "secscan-iac"},
    "deploy/prod.tfvars": {"secscan", "secscan-iac"},
    "deploy/k8s/deployment.yaml": {"secscan", "secscan-iac"},
    "charts/web/templates/_helpers.tpl": {"secscan", "secscan-iac"},
    "Dockerfile": {"secscan", "secscan-iac"},
    "docker/Dockerfile.prod": {"secscan", "secscan-iac"},
    "docker/web.dockerfile": {"secscan", "secscan-iac"},
    "Containerfile": {"secscan", "secscan-iac"},
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, dict[str, Any]]:
    hooks = load_manifest(str(REPO / ".pre-commit-hooks.yaml"))
    return {h["id"]: h for h in hooks}


def test_the_three_hooks_are_python_serial_and_verbose(manifest: dict[str, Any]) -> None:
    assert set(manifest) == {"secscan", "secscan-deps", "secscan-iac"}
    for h in manifest.values():
        assert h["language"] == "python"
        assert h["require_serial"] is True  # one process judges the whole commit
        assert h["verbose"] is True  # a tolerated scanner failure is never silent
        assert h["pass_filenames"] is True


@pytest.mark.parametrize("hook_id", ["secscan", "secscan-deps", "secscan-iac"])
def test_each_entry_is_a_valid_secscan_command(manifest: dict[str, Any], hook_id: str) -> None:
    argv = shlex.split(manifest[hook_id]["entry"])
    assert argv[:2] == ["secscan", "hook"]
    ctx = hook.make_context("hook", [*argv[2:], "some/file.py"])
    assert ctx.params["kind"] == {"secscan": "code", "secscan-deps": "deps"}.get(hook_id, "iac")


def test_filters_route_each_file_to_the_hooks_that_read_it(
    manifest: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for rel in ROUTES:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" if rel.endswith(".png") else b"x = 1\n")
    classifier = Classifier(list(ROUTES))
    routed: dict[str, set[str]] = {rel: set() for rel in ROUTES}
    for hook_id, h in manifest.items():
        filters = ("files", "exclude", "types", "types_or", "exclude_types")
        view = SimpleNamespace(**{k: h[k] for k in filters})
        for rel in classifier.filenames_for_hook(view):  # type: ignore[arg-type]
            routed[rel].add(hook_id)
    assert routed == ROUTES


def test_hook_filters_agree_with_the_scanners(manifest: dict[str, Any]) -> None:
    """Every file a dependency or IaC scanner reads reaches its hook, and the other way round."""
    import re

    deps, iac = (PipAuditScanner(), OsvDepsScanner()), TrivyConfigScanner()
    for rel, hooks in ROUTES.items():
        assert ("secscan-deps" in hooks) == any(d.applies_to(rel) for d in deps), rel
        assert ("secscan-iac" in hooks) == iac.applies_to(rel), rel
        assert bool(re.search(manifest["secscan-iac"]["files"], rel)) == iac.applies_to(rel)


def test_the_deps_hook_files_pattern_is_the_registered_sources(manifest: dict[str, Any]) -> None:
    """Adding a dependency format means regenerating the hook's pattern from the sources."""
    from secscan.dependencies import sources

    assert manifest["secscan-deps"]["files"] == sources.files_pattern()
