"""Severity on evidence (issue 23 items 1-3), through real bandit, semgrep and git.

Each case is one measured on main before the fix: a flaw bandit rates HIGH that passed the
gate because the pack's LOW audit rating (or a user's rule, or a rule the pull request added)
decided its severity; a `# nosec B602` that hid the B607 on its line; bandit B201 and the
pack's Flask debug rule gating twice on one line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_pull_request_trust import commit, git
from tests.conftest import CliRun

pytestmark = pytest.mark.integration

RunCli = Callable[..., CliRun]

SHELL = """\
import subprocess


def run(cmd):
    return subprocess.call(cmd, shell=True)
"""

HTTP_SERVER = """\
import subprocess
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse


class Ping(BaseHTTPRequestHandler):
    def do_GET(self):
        host = parse_qs(urlparse(self.path).query).get("host", [""])[0]
        out = subprocess.check_output("ping -c 1 " + host, shell=True)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(out)


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", 8000), Ping).serve_forever()
"""


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def results(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "secscan-results.json").read_text(encoding="utf-8"))
    return data


def findings(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for r in data["result"]["runs"] for f in r["findings"]]


def sources(f: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["scanner"], f["rule_id"])} | {
        (s["scanner"], s["rule_id"]) for s in f.get("also_reported_by") or ()
    }


def carrying(data: dict[str, Any], scanner: str, rule: str) -> dict[str, Any]:
    (f,) = [f for f in findings(data) if (scanner, rule) in sources(f)]
    return f


def test_an_untraced_shell_call_fails_precommit_and_ci(
    tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tree(tmp_path / "proj", {".secscan.yaml": "scanners: [bandit, semgrep]\n"})
    tree(root, {"app/runner.py": SHELL})
    out = tmp_path / "ci"
    done = run_cli("ci", str(root), "--output-dir", str(out), "--no-cache", "-q")
    assert done.code == 1, done.out + done.err
    data = results(out)
    flaw = carrying(data, "bandit", "B602")
    assert ("semgrep", "python-subprocess-shell-injection") in sources(flaw)
    assert flaw["severity"] == "high"
    assert flaw["rating"]["scanner"] == "bandit" and not flaw["rating"]["proven_safe"]
    assert flaw["fingerprint"] in data["decision"]["failing_fingerprints"]
    # the pre-commit hook, on the staged file
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    monkeypatch.chdir(root)
    done = run_cli("hook", "--no-cache", "app/runner.py")
    assert done.code == 1, done.out + done.err
    assert "B602" in done.out + done.err


def test_a_command_injection_in_an_http_server_handler_fails_ci(
    tmp_path: Path, run_cli: RunCli
) -> None:
    """The pack alone (no bandit) traces the query string into the shell: a HIGH taint
    finding, so the flaw gates on the pack's own evidence."""
    root = tree(
        tmp_path / "proj",
        {".secscan.yaml": "scanners: [semgrep]\n", "server.py": HTTP_SERVER},
    )
    out = tmp_path / "out"
    done = run_cli("ci", str(root), "--output-dir", str(out), "--no-cache", "-q")
    assert done.code == 1, done.out + done.err
    flaw = carrying(results(out), "semgrep", "python-command-injection-request-data")
    assert flaw["severity"] in ("high", "critical")
    assert flaw["fingerprint"] in results(out)["decision"]["failing_fingerprints"]


def test_a_users_own_rule_file_does_not_lower_bandit(tmp_path: Path, run_cli: RunCli) -> None:
    mine = """\
rules:
  - id: my-shell-audit
    message: shell call
    severity: INFO
    languages: [python]
    metadata:
      cwe: ["CWE-78: OS Command Injection"]
    pattern: subprocess.call(..., shell=True)
"""
    root = tree(
        tmp_path / "proj",
        {
            ".secscan.yaml": "scanners: [bandit, semgrep]\nsemgrep:\n  rules: [mine.yaml]\n",
            "mine.yaml": mine,
            "app/runner.py": SHELL,
        },
    )
    out = tmp_path / "out"
    done = run_cli("ci", str(root), "--output-dir", str(out), "--no-cache", "-q")
    assert done.code == 1, done.out + done.err
    flaw = carrying(results(out), "bandit", "B602")
    assert ("semgrep", "my-shell-audit") in sources(flaw)
    assert flaw["severity"] == "high" and flaw["rating"]["scanner"] == "bandit"


def test_a_rule_the_pull_request_adds_cannot_lower_bandit(
    tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PR adds B507 (`AutoAddPolicy`) and an INFO rule with B507's CWE on its line."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    tree(root, {".secscan.yaml": "scanners: [bandit, semgrep]\n", "app/__init__.py": ""})
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "pr")
    info_rule = """\
rules:
  - id: host-key-policy-note
    message: a host key policy is set
    severity: INFO
    languages: [python]
    metadata:
      cwe: ["CWE-295: Improper Certificate Validation"]
      proves-safe: the policy is reviewed
      vouches-for: ["bandit:B507"]
    pattern: $C.set_missing_host_key_policy(...)
"""
    ssh = """\
import paramiko


def connect(host):
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(host)
    return client
"""
    tree(
        root,
        {
            ".secscan.yaml": "scanners: [bandit, semgrep]\n"
            "semgrep:\n  rules: [builtin, review.yaml]\n",
            "review.yaml": info_rule,
            "app/ssh.py": ssh,
        },
    )
    commit(root)
    monkeypatch.chdir(root)
    out = tmp_path / "out"
    done = run_cli(
        "ci", str(root), "--new-since", "main", "--output-dir", str(out), "--no-cache", "-q"
    )
    assert done.code == 1, done.out + done.err
    data = results(out)
    b507 = carrying(data, "bandit", "B507")
    assert b507["severity"] == "high" and sources(b507) == {("bandit", "B507")}
    assert b507["fingerprint"] in data["decision"]["failing_fingerprints"]
    added = carrying(data, "semgrep", "host-key-policy-note")
    assert added["severity"] == "info" and added["review_rule"] is True
    assert added["claims"] is None  # an added rule set proves nothing


def test_nosec_hides_only_the_test_it_names(tmp_path: Path, run_cli: RunCli) -> None:
    code = """\
import subprocess


def listing():
    subprocess.Popen("ls -l", shell=True)  # nosec B602


def run(cmd):
    return subprocess.call(cmd, shell=True)  # nosec B602
"""
    root = tree(
        tmp_path / "proj",
        {".secscan.yaml": "scanners: [bandit, semgrep]\n", "app/jobs.py": code},
    )
    raw = subprocess.run(
        [
            str(Path(sys.executable).with_name("bandit")),
            "-f",
            "json",
            "-q",
            str(root / "app" / "jobs.py"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert {r["test_id"] for r in json.loads(raw.stdout)["results"]} == {"B404", "B607"}
    out = tmp_path / "out"
    run_cli("ci", str(root), "--output-dir", str(out), "--no-cache", "-q")
    data = results(out)
    b607 = carrying(data, "bandit", "B607")
    assert b607["suppression"] is None and sources(b607) == {("bandit", "B607")}
    suppressed = [f for f in findings(data) if f["suppression"] is not None]
    assert sorted(f["location"]["start_line"] for f in suppressed) == [5, 9]
    assert all(sources(f) == {("bandit", "B602")} for f in suppressed)
    # the semgrep audit finding on line 9 has no comment of its own: it stays
    audit = carrying(data, "semgrep", "python-subprocess-shell-injection")
    assert audit["suppression"] is None and audit["location"]["start_line"] == 9
    # both suppressed findings are in the results: nothing was hidden by a tool itself
    warnings = data["decision"]["warnings"]
    assert not any("suppressed inline by the tools themselves" in w for w in warnings), warnings


def test_bandit_b201_and_the_pack_flask_debug_rule_are_one_flaw(
    tmp_path: Path, run_cli: RunCli
) -> None:
    app = """\
from flask import Flask

app = Flask(__name__)

if __name__ == "__main__":
    app.run(debug=True)
"""
    root = tree(
        tmp_path / "proj",
        {".secscan.yaml": "scanners: [bandit, semgrep]\n", "app/web.py": app},
    )
    out = tmp_path / "out"
    done = run_cli("ci", str(root), "--output-dir", str(out), "--no-cache", "-q")
    assert done.code == 1, done.out + done.err
    data = results(out)
    on_line = [f for f in findings(data) if f["location"]["start_line"] == 6]
    assert len(on_line) == 1
    assert sources(on_line[0]) == {("bandit", "B201"), ("semgrep", "python-flask-debug-enabled")}
    sarif = json.loads((out / "secscan.sarif").read_text(encoding="utf-8"))
    (result,) = [
        r
        for r in sarif["runs"][0]["results"]
        if r["locations"][0]["physicalLocation"]["region"]["startLine"] == 6
    ]
    assert result["properties"]["rating"]["scanner"] in ("bandit", "semgrep")
    assert "highest rating" in result["properties"]["rating"]["reason"]
    html = (out / "secscan-report.html").read_text(encoding="utf-8")
    assert "Severity decided by" in html and "highest rating" in html


def test_a_constant_shell_command_is_proven_safe_by_the_pack(
    tmp_path: Path, run_cli: RunCli
) -> None:
    """bandit rates a shell call of a module-level constant HIGH; the pack's proof rule shows
    the command is constant, and every report says which rule decided and why."""
    code = """\
import subprocess

LISTING = "/bin/ls -l"


def listing():
    return subprocess.call(LISTING, shell=True)
"""
    root = tree(
        tmp_path / "proj",
        {".secscan.yaml": "scanners: [bandit, semgrep]\n", "app/jobs.py": code},
    )
    out = tmp_path / "out"
    run_cli("ci", str(root), "--output-dir", str(out), "--no-cache", "-q")
    data = results(out)
    flaw = carrying(data, "bandit", "B602")
    assert flaw["severity"] == "info"
    assert flaw["rating"]["proven_safe"] is True
    assert flaw["rating"]["rule_id"] == "python-shell-command-constant"
    assert "constant" in flaw["rating"]["reason"]
    assert flaw["fingerprint"] not in data["decision"]["failing_fingerprints"]
    explained = run_cli(
        "explain", flaw["fingerprint"], "--results", str(out / "secscan-results.json")
    )
    assert "python-shell-command-constant" in explained.out


HMAC_DIGEST = '''\
import hashlib


def _lazy_sha1(string=b""):
    """Flask 3.0.3's flask/sessions.py shape: SHA-1 only as the HMAC digest of a signer."""
    return hashlib.sha1(string)


class SessionInterface:
    salt = "cookie-session"
    digest_method = staticmethod(_lazy_sha1)
    key_derivation = "hmac"
'''


def test_sha1_used_only_as_an_hmac_digest_is_proven_safe_and_a_direct_call_is_not(
    tmp_path: Path, run_cli: RunCli
) -> None:
    """bandit rates the SHA-1 call HIGH (B324); the pack's proof shows the wrapper is used only
    as the digest of an HMAC signer, so the flaw is info and the gate passes. Calling the same
    wrapper on a password in the file takes the proof away: bandit's HIGH fails ci again."""
    config = {".secscan.yaml": "scanners: [bandit, semgrep]\n"}
    root = tree(tmp_path / "proj", {**config, "app/sessions.py": HMAC_DIGEST})
    out = tmp_path / "out"
    done = run_cli("ci", str(root), "--output-dir", str(out), "--no-cache", "-q")
    assert done.code == 0, done.out + done.err
    flaw = carrying(results(out), "bandit", "B324")
    assert flaw["severity"] == "info"
    assert flaw["rating"]["proven_safe"] is True
    assert flaw["rating"]["rule_id"] == "python-weak-hash-hmac-digest"
    assert "HMAC" in flaw["rating"]["reason"]

    misused = HMAC_DIGEST + "\n\ndef remember(password):\n    return _lazy_sha1(password)\n"
    root = tree(tmp_path / "proj2", {**config, "app/sessions.py": misused})
    out = tmp_path / "out2"
    done = run_cli("ci", str(root), "--output-dir", str(out), "--no-cache", "-q")
    assert done.code == 1, done.out + done.err
    flaw = carrying(results(out), "bandit", "B324")
    assert flaw["severity"] == "high"
    assert not (flaw["rating"] or {}).get("proven_safe")


def test_a_shell_command_with_every_value_shlex_quoted_is_proven_safe(
    tmp_path: Path, run_cli: RunCli
) -> None:
    """skypilot 0.14.1's shape (sky/data/storage_utils.py): the command is built once from
    f-string pieces whose only value is shlex-quoted; bandit's B602 is HIGH, the pack's proof
    rates it info. The same command with the value unquoted, or run again by `bash -c`, keeps
    bandit's HIGH and fails ci."""
    quoted = """\
import shlex
import subprocess


def submodules(path):
    cmd = (f'git -c safe.directory="*" '
           f'-C {shlex.quote(path)} '
           'submodule status')
    return subprocess.run(cmd, shell=True, stdout=subprocess.PIPE)
"""
    config = {".secscan.yaml": "scanners: [bandit, semgrep]\n"}
    root = tree(tmp_path / "proj", {**config, "app/git.py": quoted})
    out = tmp_path / "out"
    done = run_cli("ci", str(root), "--output-dir", str(out), "--no-cache", "-q")
    assert done.code == 0, done.out + done.err
    flaw = carrying(results(out), "bandit", "B602")
    assert flaw["severity"] == "info"
    assert flaw["rating"]["proven_safe"] is True
    assert flaw["rating"]["rule_id"] == "python-shell-command-quoted"

    for n, variant in enumerate(
        (
            quoted.replace("{shlex.quote(path)}", "{path}"),
            quoted.replace("git -c safe.directory", "nohup bash -c {shlex.quote(path)} safe"),
        )
    ):
        root = tree(tmp_path / f"bad{n}", {**config, "app/git.py": variant})
        out = tmp_path / f"out{n}"
        done = run_cli("ci", str(root), "--output-dir", str(out), "--no-cache", "-q")
        assert done.code == 1, variant + done.out + done.err
        flaw = carrying(results(out), "bandit", "B602")
        assert flaw["severity"] == "high"
