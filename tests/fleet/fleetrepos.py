"""Fleet test helpers: local git repositories with known flaws, and manifests of them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    )
    return done.stdout.strip()


def commit_files(repo: Path, files: dict[str, str], message: str = "change") -> str:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def manifest_text(repos: dict[str, Path], settings: str = "scanners: [bandit]") -> str:
    lines = [
        "version: 1",
        "defaults:",
        "  profile: ci",
        "  settings:",
        f"    {settings}",
        "  tags: {team: core}",
        "repositories:",
    ]
    for name, path in repos.items():
        lines += [f"  - name: {name}", f"    path: {path}", f"    tags: {{product: {name}}}"]
    return "\n".join(lines) + "\n"


#: Small repositories with different flaws bandit finds (each scans in about a second).
FLAWS: dict[str, dict[str, str]] = {
    "clean": {"app.py": "def add(a, b):\n    return a + b\n"},
    "shell": {
        "app.py": "import subprocess\n\n\ndef run(cmd):\n"
        "    return subprocess.call(cmd, shell=True)\n"
    },
    "pickle": {"app.py": "import pickle\n\n\ndef load(blob):\n    return pickle.loads(blob)\n"},
    "yaml": {"app.py": "import yaml\n\n\ndef load(text):\n    return yaml.load(text)\n"},
    "eval": {"app.py": "def calc(expr):\n    return eval(expr)\n"},
    "password": {"app.py": 'PASSWORD = "hunter2-not-a-secret"\n'},
    "tempfile": {"app.py": 'def log(x):\n    open("/tmp/app.log", "a").write(x)\n'},
}
