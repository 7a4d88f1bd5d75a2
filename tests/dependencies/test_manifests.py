"""Reading Python dependency manifests: what is pinned, where, and what could not be read."""

from __future__ import annotations

from pathlib import Path

from secscan.dependencies.interface import Manifests
from secscan.dependencies.sources import collect, source_for


def is_manifest(path: str) -> bool:
    return source_for(path) is not None


MB = 1024 * 1024


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _collect(root: Path, files: dict[str, str], targets: list[str] | None = None) -> Manifests:
    _write(root, files)
    return collect(root, targets if targets is not None else sorted(files), 10 * MB)


def _by_name(found: Manifests) -> dict[str, tuple[str | None, str, int, str | None]]:
    return {d.key: (d.version, d.path, d.line, d.url) for d in found.declared}


def test_manifest_names() -> None:
    for yes in ("requirements.txt", "a/requirements-dev.txt", "dev-requirements.txt",
                "requirements/base.txt", "pyproject.toml", "uv.lock", "poetry.lock",
                "Pipfile.lock", "setup.py", "pkg/setup.cfg", "Pipfile"):  # fmt: skip
        assert is_manifest(yes), yes
    for no in ("constraints.txt", "notes.txt", "requirements.in"):
        assert not is_manifest(no), no


def test_requirements_syntax_pip_accepts(tmp_path: Path) -> None:
    found = _collect(
        tmp_path,
        {
            "requirements.txt": (
                "# a comment\n"
                "--index-url https://user:s3cret@pypi.example.com/simple\n"
                "Django==3.2.0  # trailing comment\n"
                "requests[socks] == 2.19.0 ; python_version >= '3.6'\n"
                "urllib3==1.23 \\\n"
                "    --hash=sha256:00000000000000000000000000000000\n"
                "gunicorn>=20.0\n"
                "flask\n"
                "idna==2.*\n"
                "six==1.16.0,<2\n"
                "-c constraints.txt\n"
                "-e .\n"
                "./vendor/localpkg\n"
                "private @ git+https://deploy:t0ken@git.example.com/private.git@v1\n"
                "-r requirements-dev.txt\n"
            ),
            "requirements-dev.txt": "pytest==6.2.5\n-rrequirements.txt\n",
        },
        targets=["requirements.txt"],
    )
    assert found.problems == []
    got = _by_name(found)
    assert got["django"] == ("3.2.0", "requirements.txt", 3, None)
    assert got["requests"] == ("2.19.0", "requirements.txt", 4, None)
    assert got["urllib3"] == ("1.23", "requirements.txt", 5, None)  # first line of a continuation
    assert got["gunicorn"][0] is None and got["flask"][0] is None and got["idna"][0] is None
    assert got["six"][0] == "1.16.0"
    assert got["pytest"] == ("6.2.5", "requirements-dev.txt", 1, None)  # followed -r
    private = got["private"]
    assert private[0] is None and private[3] is not None
    assert "t0ken" not in private[3] and "***@" in private[3]
    assert all("s3cret" not in d.text and "t0ken" not in d.text for d in found.declared)
    assert sorted(n.reason.split(":")[0] for n in found.not_audited) == ["line 12", "line 13"]
    assert found.files == ["requirements.txt", "requirements-dev.txt"]  # the -r cycle read once


def test_syntax_errors_are_problems_with_file_and_line(tmp_path: Path) -> None:
    found = _collect(
        tmp_path,
        {"requirements.txt": "django==3.2.0\nrequests===\nfoo bar baz\n--frobnicate\n-r\n"},
    )
    assert [(p.path, p.line) for p in found.problems] == [
        ("requirements.txt", 2),
        ("requirements.txt", 3),
        ("requirements.txt", 4),
        ("requirements.txt", 5),
    ]
    assert "invalid requirement 'requests==='" in found.problems[0].message
    assert "unknown pip option" in found.problems[2].message


def test_includes_that_cannot_be_followed(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (tmp_path / "outside.txt").write_text("evil==1.0\n")
    found = _collect(
        root,
        {
            "requirements.txt": (
                "-r ../outside.txt\n-r missing.txt\n-r https://example.com/reqs.txt\n"
            )
        },
    )
    messages = [p.message for p in found.problems]
    assert "outside the scan root" in messages[0]
    assert "file not found" in messages[1]
    assert "not fetched" in messages[2]
    assert found.declared == []


def test_huge_included_file_is_a_problem(tmp_path: Path) -> None:
    _write(tmp_path, {"requirements.txt": "-r big-requirements.txt\n"})
    (tmp_path / "big-requirements.txt").write_text("x==1.0\n" * 200_000)  # ~1.4 MB
    found = collect(tmp_path, ["requirements.txt"], 1 * MB)
    assert found.problems[0].path == "big-requirements.txt"
    assert "larger than 1 MB" in found.problems[0].message


def test_pyproject_pep621_and_dependency_groups(tmp_path: Path) -> None:
    found = _collect(
        tmp_path,
        {
            "pyproject.toml": (
                "[project]\n"
                'name = "shop"\n'
                "dependencies = [\n"
                '    "Flask==0.12.2",\n'
                "    'gunicorn>=20.0',\n"
                "]\n"
                "[project.optional-dependencies]\n"
                'dev = ["pytest==6.2.5"]\n'
                "[dependency-groups]\n"
                'lint = ["ruff==0.5.0", {include-group = "dev"}]\n'
            )
        },
    )
    assert found.problems == []
    got = _by_name(found)
    assert got["flask"] == ("0.12.2", "pyproject.toml", 4, None)
    assert got["gunicorn"][:3] == (None, "pyproject.toml", 5)
    assert got["pytest"] == ("6.2.5", "pyproject.toml", 8, None)
    assert got["ruff"] == ("0.5.0", "pyproject.toml", 10, None)


def test_pyproject_errors_and_dynamic(tmp_path: Path) -> None:
    bad = _collect(tmp_path / "a", {"pyproject.toml": "[project\nname = 1\n"})
    assert bad.problems[0].line == 1 and "TOML syntax error" in bad.problems[0].message
    dyn = _collect(
        tmp_path / "b", {"pyproject.toml": '[project]\nname="x"\ndynamic=["dependencies"]\n'}
    )
    assert dyn.problems == [] and "dynamic" in dyn.not_audited[0].reason


POETRY_LOCK = """\
# This file is automatically @generated by Poetry 1.8.3 and should not be changed by hand.

[[package]]
name = "django"
version = "3.2"
description = "A high-level Python Web framework"
optional = false
python-versions = ">=3.6"
files = []

[package.dependencies]
asgiref = ">=3.3.2,<4"

[[package]]
name = "mylib"
version = "0.1.0"
description = ""
optional = false
python-versions = "*"
files = []

[package.source]
type = "git"
url = "https://user:pw@git.example.com/mylib.git"
reference = "HEAD"
resolved_reference = "abc123"

[[package]]
name = "requests"
version = "2.19.0"
description = "Python HTTP for Humans."
optional = false
python-versions = "*"
files = []

[metadata]
lock-version = "2.0"
python-versions = "^3.11"
content-hash = "0"
"""

UV_LOCK = """\
version = 1
requires-python = ">=3.11"

[[package]]
name = "shop"
version = "1.0.0"
source = { editable = "." }
dependencies = [{ name = "idna" }]

[[package]]
name = "idna"
version = "2.7"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/idna-2.7.tar.gz", hash = "sha256:0", size = 1 }

[[package]]
name = "localthing"
version = "0.0.1"
source = { directory = "../localthing" }
"""

PIPFILE_LOCK = """\
{
    "_meta": {"hash": {"sha256": "0"}, "pipfile-spec": 6, "requires": {}, "sources": []},
    "default": {
        "certifi": {
            "hashes": ["sha256:0"],
            "version": "==2018.8.24"
        },
        "editme": {
            "editable": true,
            "path": "."
        }
    },
    "develop": {
        "paramiko": {
            "hashes": ["sha256:0"],
            "version": "==2.7.2"
        }
    }
}
"""


def test_lock_files(tmp_path: Path) -> None:
    found = _collect(
        tmp_path,
        {"p/poetry.lock": POETRY_LOCK, "u/uv.lock": UV_LOCK, "f/Pipfile.lock": PIPFILE_LOCK},
    )
    assert found.problems == []
    got = _by_name(found)
    assert got["django"] == ("3.2", "p/poetry.lock", 4, None)
    assert got["requests"] == ("2.19.0", "p/poetry.lock", 29, None)
    assert got["mylib"][0] is None and "pw" not in (got["mylib"][3] or "")
    assert got["idna"] == ("2.7", "u/uv.lock", 11, None)
    assert "shop" not in got  # uv's own project
    assert got["certifi"] == ("2018.8.24", "f/Pipfile.lock", 4, None)
    assert got["paramiko"] == ("2.7.2", "f/Pipfile.lock", 14, None)
    assert sorted(n.path for n in found.not_audited) == ["f/Pipfile.lock", "u/uv.lock"]


def test_broken_lock_files_are_problems(tmp_path: Path) -> None:
    found = _collect(
        tmp_path,
        {
            "a/poetry.lock": "[[package]\n",
            "b/Pipfile.lock": "{",
            "c/uv.lock": '[[package]]\nname = "x"\n',
        },
    )
    assert sorted(p.path for p in found.problems) == [
        "a/poetry.lock",
        "b/Pipfile.lock",
        "c/uv.lock",
    ]


def test_poetry_dependencies_groups_and_constraints(tmp_path: Path) -> None:
    found = _collect(
        tmp_path,
        {
            "pyproject.toml": (
                "[tool.poetry]\n"
                'name = "shop"\n'
                "\n"
                "[tool.poetry.dependencies]\n"
                'python = "^3.11"\n'
                'Django = "3.2"\n'
                'requests = "^2.20"\n'
                'flask = { version = "==0.12.2", extras = ["dotenv"] }\n'
                'lib = { git = "https://user:tok@example.com/lib.git" }\n'
                'local = { path = "../local" }\n'
                'multi = [{ version = "1.0", python = "<3.12" }, { version = "2.0" }]\n'
                "\n"
                "[tool.poetry.group.dev.dependencies]\n"
                'pytest = "6.2.5"\n'
                "[tool.poetry.dev-dependencies]\n"
                'black = "*"\n'
            )
        },
    )
    assert found.problems == []
    got = _by_name(found)
    assert "python" not in got
    assert got["django"] == ("3.2", "pyproject.toml", 6, None)
    assert got["requests"] == (None, "pyproject.toml", 7, None)
    assert got["flask"] == ("0.12.2", "pyproject.toml", 8, None)
    assert got["lib"] == (None, "pyproject.toml", 9, "https://***@example.com/lib.git")
    assert got["multi"][:3] == (None, "pyproject.toml", 11)
    assert got["pytest"] == ("6.2.5", "pyproject.toml", 14, None)
    assert got["black"] == (None, "pyproject.toml", 16, None)
    assert [n.reason for n in found.not_audited] == [
        "line 10: local comes from a local path: not audited"
    ]


def test_setup_cfg_install_requires_and_extras(tmp_path: Path) -> None:
    found = _collect(
        tmp_path,
        {
            "setup.cfg": (
                "[metadata]\n"
                "name = shop\n"
                "[options]\n"
                "install_requires =\n"
                "    Django==3.2  # pinned\n"
                "    requests>=2.0\n"
                "[options.extras_require]\n"
                "dev = pytest==6.2.5\n"
            ),
            "b/setup.cfg": "[options]\ninstall_requires = file: requirements.in\n",
            "c/setup.cfg": "[options\ninstall_requires = x\n",
        },
    )
    got = _by_name(found)
    assert got["django"] == ("3.2", "setup.cfg", 5, None)
    assert got["requests"][:3] == (None, "setup.cfg", 6)
    assert got["pytest"] == ("6.2.5", "setup.cfg", 8, None)
    assert [n.path for n in found.not_audited] == ["b/setup.cfg"]
    assert "file: requirements.in" in found.not_audited[0].reason
    assert [p.path for p in found.problems] == ["c/setup.cfg"]


def test_setup_py_is_read_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    found = _collect(
        tmp_path,
        {
            "setup.py": (
                "import pathlib\n"
                f"pathlib.Path({str(marker)!r}).write_text('x')\n"
                "from setuptools import setup\n"
                "EXTRA = ['pytest==6.2.5']\n"
                "setup(\n"
                "    name='shop',\n"
                "    install_requires=[\n"
                "        'Django==3.2',\n"
                "        'requests>=2',\n"
                "    ],\n"
                "    extras_require={'dev': EXTRA},\n"
                ")\n"
            ),
            "b/setup.py": (
                "import setuptools\n"
                "setuptools.setup(install_requires=open('req.txt').read().split())\n"
            ),
            "c/setup.py": "from setuptools import setup\nsetup(**CONFIG)\n",
            "d/setup.py": "print 'python 2'\n",
            "e/setup.py": "from setuptools import setup as s\ns(install_requires=['x==1'])\n",
        },
    )
    assert not marker.exists()
    got = _by_name(found)
    assert got["django"] == ("3.2", "setup.py", 8, None)
    assert got["requests"][:3] == (None, "setup.py", 9)
    assert got["pytest"] == ("6.2.5", "setup.py", 4, None)
    reasons = {n.path: n.reason for n in found.not_audited}
    assert reasons == {
        "b/setup.py": "line 2: setup(install_requires=...) is not a literal list: not analyzed "
        "(audit it through a requirements or lock file)",
        "c/setup.py": "line 2: setup(**...) arguments are computed: not analyzed "
        "(audit them through a requirements or lock file)",
        "d/setup.py": "does not parse as Python (SyntaxError): not analyzed",
        "e/setup.py": "no setup(...) call found (renamed or built at run time): its "
        "requirements were not analyzed (audit them through a requirements or lock file)",
    }
    assert found.problems == []


def test_pipfile_packages_and_dev_packages(tmp_path: Path) -> None:
    found = _collect(
        tmp_path,
        {
            "Pipfile": (
                "[[source]]\n"
                'url = "https://pypi.org/simple"\n'
                "[packages]\n"
                'django = "==3.2"\n'
                'requests = "*"\n'
                'flask = {version = "==0.12.2", extras = ["dotenv"]}\n'
                'lib = {git = "https://example.com/lib.git", ref = "main"}\n'
                'mine = {path = ".", editable = true}\n'
                "[dev-packages]\n"
                'pytest = ">=6"\n'
            )
        },
    )
    assert found.problems == []
    got = _by_name(found)
    assert got["django"] == ("3.2", "Pipfile", 4, None)
    assert got["requests"] == (None, "Pipfile", 5, None)
    assert got["flask"] == ("0.12.2", "Pipfile", 6, None)
    assert got["lib"] == (None, "Pipfile", 7, "https://example.com/lib.git")
    assert got["pytest"][:3] == (None, "Pipfile", 10)
    assert [n.reason for n in found.not_audited] == [
        "line 8: mine comes from a local path: not audited"
    ]
