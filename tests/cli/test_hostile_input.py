"""Hostile input the scanned tree or a foreign document holds (issue 22 item 10).

A VEX document nested a hundred thousand levels deep, a Kubernetes manifest whose YAML
aliases expand to billions of nodes: each is named with its reason and ends in exit 1 or
2, never a traceback and never "analyzed, 0 findings". Real trivy, real git.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secscan.report.formats import FORMATS
from secscan.util.yamlio import alias_bomb

SAMPLE = Path(__file__).resolve().parents[2] / "reports" / "samples" / "secscan-results.json"


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)


def laughs(levels: int = 9) -> str:
    """A Pod whose annotations hold a billion-laughs list (10**levels strings from ~60
    nodes), with a privileged container trivy flags when it reads the file."""
    lines = ["apiVersion: v1", "kind: Pod", "metadata:", "  name: lol", "  annotations:"]
    lines.append("    a0: &a0 [" + ",".join(['"lol"'] * 10) + "]")
    for i in range(1, levels):
        lines.append(f"    a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]")
    lines += [
        "spec:",
        "  containers:",
        "  - name: c",
        "    image: nginx:1.27",
        "    securityContext:",
        "      privileged: true",
        f"  extra: *a{levels - 1}",
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "body",
    [
        '{"@context": "https://openvex.dev/ns/v0.2.0", "statements": ' + "[" * 100_000,
        '{"@context": "https://openvex.dev/ns/v0.2.0", "statements": '
        + "[" * 200
        + "]" * 200
        + "}",
    ],
    ids=["100k-levels", "200-levels"],
)
def test_import_vex_of_deeply_nested_json_exits_2_without_a_traceback(
    body: str, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    vex = tmp_path / "deep.openvex.json"
    vex.write_text(body)
    ran = run_cli(
        "waivers", "import-vex", str(vex), "--results", str(SAMPLE),
        "--waivers", str(tmp_path / "w.yaml"),
    )  # fmt: skip
    assert ran.code == 2, ran.err
    assert "deep.openvex.json" in ran.err
    assert "nested deeper than" in ran.err or "not JSON" in ran.err
    assert "Traceback" not in ran.err + ran.out and "RecursionError" not in ran.err
    assert not (tmp_path / "w.yaml").exists()


def test_import_vex_refuses_a_link_or_a_device(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    link = tmp_path / "v.json"
    link.symlink_to(SAMPLE)
    for source, why in ((link, "symbolic link"), (Path("/dev/zero"), "device")):
        ran = run_cli("waivers", "import-vex", str(source), "--results", str(SAMPLE))
        assert ran.code == 2 and why in ran.err and str(source) in ran.err, ran.err


def test_the_alias_bomb_check_counts_without_expanding() -> None:
    assert alias_bomb(laughs()) is not None
    assert "billion-laughs" in (alias_bomb(laughs()) or "")
    assert alias_bomb("a: &x [1, *x]\n") is not None  # an alias to itself: endless
    # Ordinary reuse (docker-compose's x- blocks, Kubernetes defaults) is no bomb.
    assert alias_bomb("x: &d {cpu: 1}\na: *d\nb: *d\nc: [*d, *d]\n") is None
    assert alias_bomb(laughs(levels=4)) is None  # 10,000 strings: under the bound
    big = "items:\n" + "".join(f"- &a{i} {{k: {i}}}\n" for i in range(60_000))
    assert alias_bomb(big) is None  # many nodes, no expansion


@pytest.mark.integration
def test_a_pr_adding_a_yaml_alias_bomb_manifest_is_not_analyzed_and_fails_release(
    tmp_path: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "infra"
    (repo / "k8s").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "dev@example.com")
    git(repo, "config", "user.name", "Dev")
    (repo / ".secscan.yaml").write_text("version: 1\nscanners: [iac]\n")
    (repo / "k8s" / "svc.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n"
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "pr")
    (repo / "k8s" / "pod.yaml").write_text(laughs())
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "pr")
    monkeypatch.chdir(repo)
    out = tmp_path / "out"
    ran = run_cli(
        "ci", "--new-since", "main", "--profile", "release", "--output-dir", str(out),
        "--no-cache",
    )  # fmt: skip
    assert ran.code == 1, ran.out + ran.err
    assert "k8s/pod.yaml" in ran.out and "billion-laughs" in ran.out
    data = json.loads((out / "secscan-results.json").read_text())
    iac = next(r for r in data["result"]["runs"] if r["scanner"] == "iac")
    reasons = {n["path"]: n["reason"] for n in iac["not_analyzed"]}
    assert "billion-laughs" in reasons["k8s/pod.yaml"]


#: Bidi controls (embeddings, overrides, isolates, LRM, RLM, ALM) and a lone surrogate.
_HIDDEN = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


@pytest.mark.integration
def test_bidi_controls_and_lone_surrogates_are_escaped_in_every_format(
    tmp_path: Path, run_cli: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """A flawed file whose name and line hold every bidi control, and a file whose name is
    not UTF-8 (a lone surrogate once decoded), through real bandit and semgrep into every
    scan format, every compliance format and the terminal: no such character is written
    raw; the name is shown with the control as `\\u202e`."""
    tree = tmp_path / "tree"
    (tree / "app").mkdir(parents=True)
    controls = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    (tree / "app" / f"ev\u202eil{controls}.py").write_text(
        "import subprocess\n\n\ndef f(request):\n"
        f'    return subprocess.run(request.args["c"] + "{controls}", shell=True)  # {controls}\n'
    )
    odd = os.fsencode(tree / "app") + b"/pkg\xff"
    os.mkdir(odd)
    with open(odd + b"/x.py", "wb") as fh:
        fh.write(b"import os\n")
    (tree / "app" / "__init__.py").write_text("")
    out = tmp_path / "out"
    formats = [
        f for name in FORMATS if FORMATS[name].kind.value == "scan" for f in ("--format", name)
    ]
    ran = run_cli(
        "scan", str(tree), "--output-dir", str(out), "--no-cache", "--scanner", "bandit",
        "--scanner", "semgrep", *formats,
    )  # fmt: skip
    assert ran.code == 1, ran.out + ran.err
    terminal = ran.out + ran.err
    comp = run_cli(
        "compliance", "--from", str(out / "secscan-results.json"), "--output-dir",
        str(tmp_path / "comp"),
        "--format", "html", "--format", "markdown", "--format", "json", "--format", "oscal",
    )  # fmt: skip
    assert comp.code in (0, 1), comp.err
    written = sorted([*out.iterdir(), *(tmp_path / "comp").iterdir()])
    assert len(written) >= 15
    assert not _HIDDEN.search(terminal) and "\\u202e" in terminal
    assert "pkg\\xff" in terminal  # the name that is not UTF-8, shown, not written raw
    for f in written:
        text = f.read_bytes().decode("utf-8")  # strict: a lone surrogate cannot be encoded
        assert not _HIDDEN.search(text), f.name
    # Markdown escapes the backslash too (`ev\\\\u202eil`), which renders as `ev\\u202eil`.
    # SARIF's artifact URIs are percent-encoded.
    shown = [
        f.name for f in written if re.search(r"ev(\\{1,2}u202e|%E2%80%AE)il", f.read_text("utf-8"))
    ]
    for name in ("secscan-junit.xml", "gl-code-quality-report.json", "secscan-report.html",
                 "secscan-summary.md", "secscan.sarif", "secscan-results.json"):  # fmt: skip
        assert name in shown, (name, shown)
    assert any(n.startswith("secscan-defectdojo-") for n in shown)
