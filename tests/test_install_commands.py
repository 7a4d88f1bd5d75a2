"""Every install command the README, the usage guide and the CI templates give refers to
something that installs: no bare `pip install secscan` (the name is free on PyPI), no
pre-commit `rev:` the repository does not have.

The real check builds and installs secscan with the documented command shapes, offline: the
templates' `pip install "secscan @ $SECSCAN_SOURCE"` with a git URL at a commit of this
repository, and with a wheel built from it.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
PLACEHOLDER_SHA = "REPLACE-WITH-A-REVIEWED-COMMIT-SHA"
DOCS = [REPO / "README.md", *sorted(REPO.glob("docs/*.md"))]
#: The threat model quotes the command it forbids.
QUOTING = {"docs/security.md"}
TEMPLATES = sorted((REPO / "ci-templates").glob("*.yml"))
#: One pip command: up to a shell operator, a code span's end or the line's end.
_PIP = re.compile(r"\bpip install\b(?:[^\n`&;|)]|\)(?=\S))*")


def install_commands() -> list[tuple[str, str]]:
    """(file, command) for every `pip install` line in the docs and templates."""
    out = []
    for path in dict.fromkeys([*DOCS, *TEMPLATES]):
        for m in _PIP.finditer(path.read_text(encoding="utf-8")):
            out.append((path.relative_to(REPO).as_posix(), m.group(0).strip()))
    return out


def template_sources() -> list[str]:
    """The SECSCAN_SOURCE values the templates set."""
    found = []
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r'^\s*SECSCAN_SOURCE: "([^"]+)"', text, re.MULTILINE):
            found.append(m.group(1))
    return found


def test_no_install_command_names_the_unregistered_package() -> None:
    commands = install_commands()
    assert commands
    for where, command in commands:
        if where in QUOTING:
            continue
        argv = shlex.split(command)[2:]
        names = [a for a in argv if not a.startswith("-")]
        # A local source (`.`, `'.[test]'`), a wheel, or secscan from an explicit source.
        for name in names:
            assert (
                name.startswith((".", "/"))
                or re.match(r"secscan(\[[a-z,]+\])? @ ", name) is not None
                or name.endswith(".whl")
                or name.startswith("-")
            ), f"{where}: `{command}` installs {name!r} from an index"


def test_templates_pin_a_commit_placeholder_that_fails_until_set() -> None:
    sources = template_sources()
    assert len(sources) == len(TEMPLATES) == 2
    for src in sources:
        assert src.startswith("git+https://") and src.endswith("@" + PLACEHOLDER_SHA)


def _precommit_revs() -> list[tuple[str, str]]:
    revs = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
            data = yaml.safe_load(block)
            if not isinstance(data, dict):
                continue
            for repo in data.get("repos", []):
                if "rev" in repo:
                    revs.append((path.name, str(repo["rev"])))
    return revs


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def test_precommit_examples_pin_a_sha_placeholder_or_a_ref_the_repository_has() -> None:
    revs = _precommit_revs()
    assert revs  # README and usage.md both show the hooks
    tags = set(_git("tag", "--list").split())
    for where, rev in revs:
        if rev == PLACEHOLDER_SHA:
            continue
        assert re.fullmatch(r"[0-9a-f]{40}", rev) or rev in tags, f"{where}: rev {rev!r}"


def _pip_install(spec: str, target: Path) -> None:
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]
    subprocess.run([*cmd, "--target", str(target), spec], check=True, env=env, timeout=300)


def _installed(target: Path) -> None:
    assert (target / "secscan" / "__init__.py").is_file()
    assert (target / "secscan" / "report" / "gitlab.py").is_file()
    # PEP 561: type checkers read secscan's own annotations when code imports it.
    assert (target / "secscan" / "py.typed").is_file()
    assert list(target.glob("secscan-*.dist-info"))


@pytest.mark.integration
def test_the_template_command_installs_secscan_from_a_git_commit(tmp_path: Path) -> None:
    """`pip install "secscan @ git+<repo>@<sha>"`, with this repository at HEAD as the mirror."""
    sha = _git("rev-parse", "HEAD")
    (source,) = set(template_sources())
    # pip's requirement parser wants a host in the URL: file://localhost/<path> is this disk.
    mirror = "file://localhost" + REPO.as_posix()
    url = source.replace("https://git.example.com/your-org/secscan.git", mirror)
    url = url.replace(PLACEHOLDER_SHA, sha)
    command = 'pip install "secscan @ $SECSCAN_SOURCE"'
    spec = shlex.split(command.replace("$SECSCAN_SOURCE", url))[2]
    assert spec == f"secscan @ git+{mirror}@{sha}"
    _pip_install(spec, tmp_path / "site")
    _installed(tmp_path / "site")


@pytest.mark.integration
def test_the_template_command_installs_a_wheel_the_user_built(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", str(wheels), str(REPO)],
        check=True, env=env, timeout=300,
    )  # fmt: skip
    (wheel,) = wheels.glob("secscan-*.whl")
    _pip_install(f"secscan @ {wheel.as_uri()}", tmp_path / "site")
    _installed(tmp_path / "site")
