"""Build the benchmark corpus: a real Python tree, multiplied IaC, pinned requirements, an image.

The corpus lives in a cache directory outside the repository (so secscan's self-scan never
reads it) and is built once per recipe version: a finished corpus carries a stamp file, and a
half-built one (interrupted download) is thrown away and built again.

Full mode scans the source of a pinned Django release, downloaded from PyPI with pip and
checked against its published SHA-256. Quick mode needs no network: its Python tree is
secscan's own source plus the example shop, so the harness can be debugged offline in seconds.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

REPO = Path(__file__).resolve().parent.parent
#: Bump when the corpus recipe changes: old corpora are rebuilt, never silently reused.
RECIPE = 5

DJANGO_VERSION = "4.2.16"
#: sha256 of Django-4.2.16.tar.gz as published on PyPI.
DJANGO_SHA256 = "6f1616c2786c408ce86ab7e10f792b8f15742f7b7b7460243929cb371e7f1dad"

#: Real releases from 2018-2021, pinned: the dependency set of a service nobody has updated.
#: Every name has records in the advisory mirror below, so pip-audit has real work to do.
REQUIREMENTS = """\
# Pinned dependencies of the benchmark service (real releases, never updated since 2021).
Django==3.2.4
asgiref==3.3.4
sqlparse==0.4.1
Flask==0.12.2
Jinja2==2.10
MarkupSafe==1.0
Werkzeug==0.15.2
itsdangerous==0.24
click==6.7
requests==2.19.0
urllib3==1.23
idna==2.7
chardet==3.0.4
certifi==2018.8.24
PyYAML==5.3
lxml==4.6.2
Pillow==8.1.0
paramiko==2.7.2
cryptography==3.3.1
Twisted==20.3.0
aiohttp==3.7.3
numpy==1.19.5
SQLAlchemy==1.3.0
tornado==6.0.4
"""

#: Source of the example project's IaC, copied into many environment folders.
SHOP = REPO / "examples" / "vulnerable-shop"
IAC_FILES = ("deploy/terraform/main.tf", "deploy/k8s/deployment.yaml", "Dockerfile")
#: Real OSV records committed with the tests (PyPI, Debian, Alpine; CC BY 4.0, see SOURCES.md).
OSV_RECORDS = REPO / "tests" / "data" / "osv"


@dataclass(frozen=True)
class Corpus:
    name: str
    #: The scan root: a git repository (pre-commit needs one).
    tree: Path
    #: The secscan config (outside the tree, so no scanner reads it as a YAML to check).
    config: Path
    advisory_db: Path
    image: Path
    requirements: Path
    #: The file the pre-commit measurement changes by one line per run.
    precommit_target: Path

    def stats(self) -> dict[str, int]:
        """What is in the tree, so BENCHMARKS.md can say how big "big" is."""
        files = py = lines = size = iac = 0
        for p in self.tree.rglob("*"):
            if ".git" in p.relative_to(self.tree).parts or not p.is_file():
                continue
            files += 1
            size += p.stat().st_size
            if p.suffix == ".py":
                py += 1
                with p.open("rb") as fh:
                    lines += sum(1 for _ in fh)
            if p.relative_to(self.tree).parts[0] == "infra":
                iac += 1
        return {
            "files": files,
            "python_files": py,
            "python_lines": lines,
            "iac_files": iac,
            "bytes": size,
            "image_bytes": self.image.stat().st_size,
        }


def default_dir() -> Path:
    return Path(platformdirs.user_cache_dir("secscan-bench"))


def build(base: Path | None = None, *, quick: bool = False, log: bool = True) -> Corpus:
    """The corpus under `base`, built now unless a finished one of this recipe is there."""
    base = base or default_dir()
    name = "quick" if quick else f"django-{DJANGO_VERSION}"
    home = base / name
    stamp = home / ".complete"
    want = json.dumps({"recipe": RECIPE, "name": name})
    if not (stamp.is_file() and stamp.read_text() == want):
        if log:
            print(f"building corpus {name} in {home} ...", file=sys.stderr, flush=True)
        shutil.rmtree(home, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=_mkdir(base)))
        try:
            _build_into(work, quick=quick, downloads=_mkdir(base / "downloads"))
            work.rename(home)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        stamp.write_text(want)
    return _layout(home, name, quick)


def _layout(home: Path, name: str, quick: bool) -> Corpus:
    tree = home / "tree"
    target = "python/secscan/scan/pipeline.py" if quick else "django/django/db/models/query.py"
    return Corpus(
        name=name,
        tree=tree,
        config=home / "secscan.yaml",
        advisory_db=home / "advisory-db",
        image=home / "image.tar",
        requirements=tree / "requirements.txt",
        precommit_target=tree / target,
    )


def _build_into(home: Path, *, quick: bool, downloads: Path) -> None:
    tree = _mkdir(home / "tree")
    if quick:
        shutil.copytree(REPO / "secscan", tree / "python" / "secscan", ignore=_PYCACHE)
        shutil.copytree(SHOP / "app", tree / "python" / "shop", ignore=_PYCACHE)
    else:
        _django_tree(downloads, tree / "django")
    (tree / "requirements.txt").write_text(REQUIREMENTS)
    # semgrep run by hand on a folder skips tests/, test/ and more when there is no
    # .semgrepignore; an empty one makes it read the same files secscan hands it (a fair
    # comparison of the same work; secscan passes files explicitly, so it is unaffected).
    (tree / ".semgrepignore").write_text("")
    multiply_iac(tree / "infra", copies=10 if quick else 100)
    shutil.copytree(OSV_RECORDS, home / "advisory-db", ignore=shutil.ignore_patterns("*.md"))
    (home / "image.tar").write_bytes(image_archive())
    (home / "secscan.yaml").write_text(CONFIG)
    _git_commit(tree)


CONFIG = """\
# secscan config for the benchmark corpus (kept outside the tree it scans).
version: 1
scanners: [bandit, semgrep, pip-audit, iac, secrets]
# A busy shared machine can be several times slower than an idle one: a timed-out scanner
# would make the run invalid, not faster.
timeout: 1800
advisories:
  db: advisory-db
formats: [json, sarif, html, markdown, junit]
"""

_PYCACHE = shutil.ignore_patterns("__pycache__", "*.pyc")


def _django_tree(downloads: Path, dest: Path) -> None:
    """Django's sdist, unpacked: ~2,800 Python files of real, well-kept code."""
    archive = downloads / f"Django-{DJANGO_VERSION}.tar.gz"
    if not archive.is_file() or _sha256(archive) != DJANGO_SHA256:
        archive.unlink(missing_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                f"django=={DJANGO_VERSION}",
                "-d",
                str(downloads),
            ],
            check=True,
        )
    digest = _sha256(archive)
    if digest != DJANGO_SHA256:
        raise RuntimeError(f"{archive}: sha256 {digest}, expected {DJANGO_SHA256}")
    with tarfile.open(archive) as tar, tempfile.TemporaryDirectory() as tmp:
        tar.extractall(tmp, filter="data")
        shutil.move(str(Path(tmp) / f"Django-{DJANGO_VERSION}"), dest)


def multiply_iac(dest: Path, copies: int) -> None:
    """The shop's Terraform, Kubernetes and Dockerfile, once per environment folder.

    Each copy differs by a comment line, as real per-environment copies differ, so no two
    files share content (a content-only cache could otherwise look better than it is).
    """
    for n in range(copies):
        env = dest / f"env-{n:03d}"
        for rel in IAC_FILES:
            text = (SHOP / rel).read_text()
            target = env / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f"# environment {n:03d}\n{text}")


#: Debian 11 packages at versions with real advisories in tests/data/osv/Debian.
_DPKG = [
    ("openssl", "1.1.1k-1+deb11u1", "openssl"),
    ("libssl1.1", "1.1.1k-1+deb11u1", "openssl"),
    ("zlib1g", "1:1.2.11.dfsg-2", "zlib"),
]
_SITE = "usr/local/lib/python3.9/site-packages"
_IMAGE_PY = [
    ("Flask", "0.12.2"),
    ("Jinja2", "2.10"),
    ("Werkzeug", "0.15.2"),
    ("PyYAML", "5.3"),
    ("Pillow", "8.1.0"),
    ("urllib3", "1.23"),
    ("requests", "2.19.0"),
]


def image_archive() -> bytes:
    """A `docker save` tarball with Debian and Python packages, built byte-for-byte stable.

    No Docker daemon or registry is needed: the layer is a tar written here, with the files
    trivy reads to list packages (dpkg status, os-release, dist-info METADATA).
    """
    files: dict[str, bytes] = {
        "etc/os-release": b'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nNAME="Debian GNU/Linux"\n'
        b'VERSION_ID="11"\nVERSION="11 (bullseye)"\nVERSION_CODENAME=bullseye\nID=debian\n',
        "etc/debian_version": b"11.0\n",
        "var/lib/dpkg/status": "".join(
            f"Package: {p}\nStatus: install ok installed\nPriority: optional\n"
            f"Section: libs\nMaintainer: Debian <debian@example.invalid>\n"
            f"Architecture: amd64\nSource: {src}\nVersion: {v}\nDescription: {p}\n\n"
            for p, v, src in _DPKG
        ).encode(),
    }
    for name, version in _IMAGE_PY:
        files[f"{_SITE}/{name}-{version}.dist-info/METADATA"] = (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
        )
    for p in sorted((SHOP / "app").glob("*.py")):
        files[f"srv/shop/app/{p.name}"] = p.read_bytes()
    layer = _tar(files)
    layer_id = hashlib.sha256(layer).hexdigest()
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "created": "2021-06-01T00:00:00Z",
            "config": {
                "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", "SHOP_ENV=production"],
                "Cmd": ["gunicorn", "--bind", "0.0.0.0:8000", "wsgi:app"],
                "WorkingDir": "/srv/shop",
            },
            "rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer_id}"]},
            "history": [{"created": "2021-06-01T00:00:00Z", "created_by": "COPY . /"}],
        },
        sort_keys=True,
    ).encode()
    config_name = f"{hashlib.sha256(config).hexdigest()}.json"
    manifest = json.dumps(
        [
            {
                "Config": config_name,
                "RepoTags": ["secscan-bench/shop:1.0"],
                "Layers": [f"{layer_id}/layer.tar"],
            }
        ]
    ).encode()
    return _tar({config_name: config, f"{layer_id}/layer.tar": layer, "manifest.json": manifest})


def _tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mtime = 1622505600  # 2021-06-01: the same bytes on every build
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(files[name]))
    return buf.getvalue()


def _git_commit(tree: Path) -> None:
    """The tree as one commit: pre-commit needs a repository and a staged change."""

    def git(*args: str) -> None:
        subprocess.run(
            [
                "git",
                "-c",
                "user.name=secscan-bench",
                "-c",
                "user.email=bench@example.invalid",
                "-c",
                "commit.gpgsign=false",
                *args,
            ],
            cwd=tree,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "--no-verify", "-m", "benchmark corpus")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _mkdir(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--dir", type=Path, default=None)
    ns = ap.parse_args()
    c = build(ns.dir, quick=ns.quick)
    print(json.dumps({"tree": str(c.tree), **c.stats()}, indent=2))
