"""Recall and precision per web-vulnerability class on labelled twins of our own (issue 31).

Every case is one small Flask module (`app/<class>/<vuln|safe>_<n>.py`) written by the
templates below: a request value (`param`, from a Flask/Django/FastAPI-style source) goes
through a propagator (concatenation, f-string, list, dict, configparser, a conditional) into a
sink of the class. A vulnerable case really carries the value to the sink; its safe twin
differs only in what makes it safe: a dead branch whose condition folds to a constant, a dict
key or configparser option that holds a literal, a value overwritten before use, the
framework's escaping or parameterised API. The cases are written into a fresh tree (so they
are source scope) and scanned as a new user would: `secscan scan TREE --profile ci` with
`scanners: [bandit, semgrep]`.

A case counts as flagged when a finding whose CWE belongs to the class lies in its file, and
as gated when such a finding fails the gate. Per class: true-positive rate over the
vulnerable cases, false-positive rate over the safe ones, score = TPR - FPR.

    python benchmarks/webcases.py                      # measure, print the table
    python benchmarks/webcases.py --write              # also write its BENCHMARKS.md section
    python benchmarks/webcases.py --python OTHER/python --label before --json before.json
    python benchmarks/webcases.py --before before.json --write   # section with both tables
    python benchmarks/webcases.py --tree DIR           # only write the cases into DIR
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
MARK_BEGIN = "<!-- webcases:begin -->"
MARK_END = "<!-- webcases:end -->"

#: Class -> the CWE ids a finding of that class carries.
CLASSES: dict[str, set[int]] = {
    "cmdi": {77, 78},
    "sqli": {89},
    "codeinj": {94, 95},
    "pathtraver": {22, 23, 36, 73},
    "xss": {79, 80},
    "xpathi": {643},
    "ldapi": {90},
    "trustbound": {501},
    "redirect": {601},
    "deserialization": {502},
    "xxe": {611, 776, 827},
    "securecookie": {614, 1004},
    "weakrand": {330, 338},
    "hash": {327, 328, 916},
}

HEADER = """\
import ast
import base64
import configparser
import hashlib
import html
import os
import pickle
import random
import secrets
import shlex
import sqlite3
import subprocess

import flask
import ldap3
import lxml.etree
import markupsafe
import yaml
from flask import request
from ldap3.utils.conv import escape_filter_chars
from werkzeug.utils import secure_filename

app = flask.Flask(__name__)


@app.route("/{name}", methods=["GET", "POST"])
def {name}():
"""

#: Where `param` comes from (rotated over the cases).
SOURCES = (
    'param = request.args.get("q", "")',
    'param = request.form.get("q", "")',
    'param = request.headers.get("X-Q", "")',
    'param = request.cookies.get("q", "")',
    'param = request.values.get("q", "")',
)

#: Propagators from `param` to `bar`: (vulnerable, safe twin).
FLOWS: tuple[tuple[str, str], ...] = (
    ("bar = param", 'bar = param\n    bar = "constant"'),
    (
        'num = 106\n    bar = "safe" if (7 * 18) + num < 200 else param',
        'num = 106\n    bar = "safe" if (7 * 18) + num > 200 else param',
    ),
    (
        'num = 86\n    if (7 * 42) - num > 200:\n        bar = param\n    else:\n        bar = "x"',
        'num = 86\n    if (7 * 42) - num > 200:\n        bar = "x"\n    else:\n        bar = param',
    ),
    (
        'values = {"keyA": "a_Value", "keyB": param}\n    bar = values["keyB"]',
        'values = {"keyA": "a_Value", "keyB": param}\n    bar = values["keyA"]',
    ),
    (
        'conf = configparser.ConfigParser()\n    conf.add_section("s")\n'
        '    conf.set("s", "keyA", "a_Value")\n    conf.set("s", "keyB", param)\n'
        '    bar = conf.get("s", "keyB")',
        'conf = configparser.ConfigParser()\n    conf.add_section("s")\n'
        '    conf.set("s", "keyA", "a_Value")\n    conf.set("s", "keyB", param)\n'
        '    bar = conf.get("s", "keyA")',
    ),
    (
        'parts = []\n    parts.append("safe")\n    parts.append(param)\n    bar = " ".join(parts)',
        'parts = []\n    parts.append("safe")\n    parts.append(param)\n    bar = parts[0]',
    ),
)

#: Per injection class: the sink with `{bar}`, and a sanitized sink (the framework's own safe
#: API) used for one more safe twin.
SINKS: dict[str, tuple[str, str]] = {
    "cmdi": (
        'return str(os.system("echo " + {bar}))',
        'return subprocess.run(["echo", {bar}], check=False).stdout',
    ),
    "sqli": (
        'return str(sqlite3.connect("db").execute("SELECT * FROM users WHERE name = \'"'
        ' + {bar} + "\'").fetchall())',
        'return str(sqlite3.connect("db").execute("SELECT * FROM users WHERE name = ?", '
        "({bar},)).fetchall())",
    ),
    "codeinj": ("return str(eval({bar}))", "return str(ast.literal_eval({bar}))"),
    "pathtraver": (
        'return open(os.path.join("/srv/files", {bar})).read()',
        'return open(os.path.join("/srv/files", secure_filename({bar}))).read()',
    ),
    "xss": (
        'return "<p>Hello " + {bar} + "</p>"',
        'return "<p>Hello " + html.escape({bar}) + "</p>"',
    ),
    "xpathi": (
        'root = lxml.etree.parse("users.xml")\n'
        '    return str(root.xpath("//user[@name=\'" + {bar} + "\']"))',
        'root = lxml.etree.parse("users.xml")\n'
        '    return str(root.xpath("//user[@name=$name]", name={bar}))',
    ),
    "ldapi": (
        'conn = ldap3.Connection("ldap://localhost")\n'
        '    conn.search("dc=example,dc=org", "(uid=" + {bar} + ")")\n    return "ok"',
        'conn = ldap3.Connection("ldap://localhost")\n'
        '    conn.search("dc=example,dc=org", "(uid=" + escape_filter_chars({bar}) + ")")\n'
        '    return "ok"',
    ),
    "trustbound": (
        'flask.session["userid"] = {bar}\n    return "ok"',
        'flask.session["userid"] = int({bar})\n    return "ok"',
    ),
    "redirect": (
        "return flask.redirect({bar})",
        'return flask.redirect(flask.url_for("index", q={bar}))',
    ),
    "deserialization": (
        "return str(pickle.loads(base64.b64decode({bar})))",
        "return str(yaml.safe_load({bar}))",
    ),
}

#: Classes whose flaw is a configuration rather than a data flow: explicit twins.
EXPLICIT: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "xxe": (
        (
            "parser = lxml.etree.XMLParser(resolve_entities=True)\n"
            "    return str(lxml.etree.fromstring(param.encode(), parser))",
            "parser = lxml.etree.XMLParser(no_network=False)\n"
            "    return str(lxml.etree.fromstring(param.encode(), parser))",
            "return str(lxml.etree.fromstring(param.encode(), "
            "lxml.etree.XMLParser(resolve_entities=True, no_network=False)))",
        ),
        (
            "parser = lxml.etree.XMLParser(resolve_entities=False)\n"
            "    return str(lxml.etree.fromstring(param.encode(), parser))",
            "parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True)\n"
            "    return str(lxml.etree.fromstring(param.encode(), parser))",
            'return str(lxml.etree.fromstring(b"<a/>"))',
        ),
    ),
    "securecookie": (
        (
            'resp = flask.make_response("ok")\n'
            '    resp.set_cookie("SomeCookie", param, secure=False, httponly=True)\n'
            "    return resp",
            'resp = flask.make_response("ok")\n'
            '    resp.set_cookie("SomeCookie", param, secure=True, httponly=False)\n'
            "    return resp",
            'resp = flask.make_response("ok")\n'
            "    flag = False\n"
            '    resp.set_cookie("SomeCookie", param, secure=flag, httponly=True, path="/")\n'
            "    return resp",
        ),
        (
            'resp = flask.make_response("ok")\n'
            '    resp.set_cookie("SomeCookie", param, secure=True, httponly=True)\n'
            "    return resp",
            'resp = flask.make_response("ok")\n'
            '    resp.set_cookie("SomeCookie", param, secure=True, httponly=True, '
            'samesite="Strict")\n    return resp',
            'resp = flask.make_response("ok")\n'
            "    flag = True\n"
            '    resp.set_cookie("SomeCookie", param, secure=flag, httponly=flag, path="/")\n'
            "    return resp",
        ),
    ),
    "weakrand": (
        (
            "value = str(random.random())\n"
            '    resp = flask.make_response("ok")\n'
            '    resp.set_cookie("rememberMe", value, secure=True, httponly=True)\n'
            "    return resp",
            'flask.session["rememberMe"] = str(random.randint(0, 2**31))\n    return "ok"',
            'token = "%08x" % random.getrandbits(32)\n    return token',
            "remember_me_key = str(random.random())\n"
            '    flask.session["key"] = remember_me_key\n    return "ok"',
        ),
        (
            "value = secrets.token_hex(16)\n"
            '    resp = flask.make_response("ok")\n'
            '    resp.set_cookie("rememberMe", value, secure=True, httponly=True)\n'
            "    return resp",
            'flask.session["rememberMe"] = str(random.SystemRandom().randint(0, 2**31))\n'
            '    return "ok"',
            "token = secrets.token_urlsafe(16)\n    return token",
            "delay = random.uniform(0.1, 0.5)\n    return str(delay)",
        ),
    ),
    "hash": (
        (
            "digest = hashlib.md5()\n    digest.update(param.encode())\n"
            '    with open("passwordFile.txt", "a") as f:\n'
            '        f.write(digest.hexdigest())\n    return "ok"',
            'digest = hashlib.new("sha1")\n    digest.update(param.encode())\n'
            '    with open("passwordFile.txt", "a") as f:\n'
            '        f.write(digest.hexdigest())\n    return "ok"',
            "password_hash = hashlib.md5(param.encode()).hexdigest()\n    return password_hash",
        ),
        (
            "digest = hashlib.sha256()\n    digest.update(param.encode())\n"
            '    with open("passwordFile.txt", "a") as f:\n'
            '        f.write(digest.hexdigest())\n    return "ok"',
            'digest = hashlib.new("sha512")\n    digest.update(param.encode())\n'
            '    with open("passwordFile.txt", "a") as f:\n'
            '        f.write(digest.hexdigest())\n    return "ok"',
            'password_hash = hashlib.pbkdf2_hmac("sha256", param.encode(), b"salt", 600000)\n'
            "    return password_hash.hex()",
        ),
    ),
}

#: Classes the cross-function cases cover: the helper each calls, and the sanitizer its
#: sanitized safe twin passes through (the helpers live in `app/cross/`, see CROSS_MODULES).
CROSS: dict[str, tuple[str, str]] = {
    "cmdi": ("run_shell", "shlex.quote(param)"),
    "sqli": ("query", "int(param)"),
    "codeinj": ("evaluate", "int(param)"),
    "pathtraver": ("read", "secure_filename(param)"),
    "deserialization": ("load", "int(param)"),
}

#: The shared helper modules of the cross-function cases: not cases themselves (their own
#: findings, on a parameter whoever calls them, count for no case). `helpers.forward_*` go
#: one module deeper.
CROSS_MODULES: dict[str, str] = {
    "app/__init__.py": "",
    "app/cross/__init__.py": "",
    "app/cross/deeper.py": """\
import os
import pickle
import sqlite3
import subprocess


def run_shell(value):
    return subprocess.run("echo " + value, shell=True, capture_output=True).stdout


def query(value):
    db = sqlite3.connect("db")
    return db.execute("SELECT * FROM users WHERE name = '" + str(value) + "'").fetchall()


def evaluate(value):
    return eval(str(value))


def read(value):
    return open(os.path.join("/srv/files", str(value))).read()


def load(value):
    return pickle.loads(value)
""",
    "app/cross/helpers.py": """\
from app.cross import deeper


def forward_run_shell(value):
    return deeper.run_shell(value)


def forward_query(value):
    return deeper.query(value)


def forward_evaluate(value):
    return deeper.evaluate(value)


def forward_read(value):
    return deeper.read(value)


def forward_load(value):
    return deeper.load(value)
""",
}


#: A view nested in an app factory that imports what it uses itself (the shape of many
#: generated test suites): `{name}` the view, `{body}` its statements (8 spaces).
FACTORY_HEADER = """\
from flask import request


def init(app):
    @app.route("/{name}", methods=["GET", "POST"])
    def {name}():
        RESPONSE = ""
        import urllib.parse
        param = urllib.parse.unquote_plus(request.args.get("q", ""))

"""

#: Factory propagators (vulnerable, safe twin): the value after the request is read.
FACTORY_FLOWS: tuple[tuple[str, str], ...] = (
    (
        'num = 106\nbar = "safe" if (7 * 42) - num > 200 else param',
        'num = 106\nbar = "safe" if (7 * 18) + num > 200 else param',
    ),
    (
        'guess = "ABC"\nmatch guess[2]:\n    case "A":\n        bar = "bob"\n'
        '    case "B" | "C":\n        bar = param\n    case _:\n        bar = "bob"',
        'guess = "ABC"\nmatch guess[1]:\n    case "A" | "C":\n        bar = param\n'
        '    case "B":\n        bar = "bob"\n    case _:\n        bar = param',
    ),
    (
        'lst = []\nlst.append("safe")\nlst.append(param)\nlst.append("moresafe")\n'
        "lst.pop(0)\nbar = lst[0]",
        'lst = []\nlst.append("safe")\nlst.append(param)\nlst.append("moresafe")\n'
        "lst.pop(0)\nbar = lst[1]",
    ),
)

#: Factory sinks per class, each importing its module inside the view.
FACTORY_SINKS: dict[str, str] = {
    "cmdi": 'import subprocess\nsubprocess.run("ls " + bar, shell=True, capture_output=True)\n'
    'RESPONSE += "done"',
    "sqli": 'import sqlite3\nconn = sqlite3.connect("db")\n'
    'RESPONSE += str(conn.execute("SELECT * FROM users WHERE name = \'" + bar + "\'")'
    ".fetchall())",
    "xss": 'RESPONSE += "<p>Hello " + bar + "</p>"',
}


@dataclass(frozen=True)
class Case:
    cls: str
    vulnerable: bool
    name: str
    body: str
    #: Module text after the view (a same-module helper).
    tail: str = ""
    #: A view nested in an app factory (FACTORY_HEADER): `body` is its statements.
    factory: bool = False

    @property
    def path(self) -> str:
        return f"app/{self.cls}/{self.name}.py"

    def source(self) -> str:
        if self.factory:
            body = textwrap.indent(self.body.rstrip() + "\nreturn RESPONSE", " " * 8)
            return FACTORY_HEADER.format(name=self.name) + body + "\n"
        text = HEADER.format(name=self.name) + "    " + self.body.rstrip() + "\n"
        return text + (f"\n\n{self.tail.rstrip()}\n" if self.tail else "")


def cases() -> list[Case]:
    """Every labelled case: for each injection class one vulnerable and one safe twin per
    propagator, plus a safe twin through the framework's own safe API."""
    out: list[Case] = []
    n = 0
    for cls, (sink, sanitized) in SINKS.items():
        for i, (vuln_flow, safe_flow) in enumerate(FLOWS):
            src = SOURCES[n % len(SOURCES)]
            n += 1
            for vulnerable, flow in ((True, vuln_flow), (False, safe_flow)):
                kind = "vuln" if vulnerable else "safe"
                body = f"{src}\n    {flow}\n    {sink.format(bar='bar')}"
                out.append(Case(cls, vulnerable, f"{cls}_{kind}_{i:02d}", body))
        src = SOURCES[n % len(SOURCES)]
        body = f"{src}\n    {sanitized.format(bar='param')}"
        out.append(Case(cls, False, f"{cls}_safe_api", body))
    out.extend(cross_cases())
    for cls, sink in FACTORY_SINKS.items():
        for i, (vuln_flow, safe_flow) in enumerate(FACTORY_FLOWS):
            for vulnerable, flow in ((True, vuln_flow), (False, safe_flow)):
                kind = "vuln" if vulnerable else "safe"
                name = f"{cls}_{kind}_f{i}"
                out.append(Case(cls, vulnerable, name, f"{flow}\n{sink}", factory=True))
    for cls, (vulns, safes) in EXPLICIT.items():
        for vulnerable, bodies in ((True, vulns), (False, safes)):
            kind = "vuln" if vulnerable else "safe"
            for i, text in enumerate(bodies):
                src = SOURCES[(n + i) % len(SOURCES)]
                out.append(Case(cls, vulnerable, f"{cls}_{kind}_{i:02d}", f"{src}\n    {text}"))
    return out


def cross_cases() -> list[Case]:
    """Per class of CROSS, three twins whose sink is in another function: a helper of another
    module (safe: the class's sanitizer on the way), a helper of the same module (safe: the
    value overwritten before the call), two modules deep (safe: a literal passed)."""
    out: list[Case] = []
    imports = "from app.cross import deeper, helpers\n    "
    for n, (cls, (func, sanitized)) in enumerate(CROSS.items()):
        src = SOURCES[n % len(SOURCES)]
        sink = SINKS[cls][0].format(bar="value")
        helper = f"def _helper(value):\n    {sink}\n"
        twins = (
            (f"return str(deeper.{func}(param))", f"return str(deeper.{func}({sanitized}))", ""),
            (
                "bar = param\n    return str(_helper(bar))",
                'bar = param\n    bar = "constant"\n    return str(_helper(bar))',
                helper,
            ),
            (
                f"return str(helpers.forward_{func}(param))",
                f'return str(helpers.forward_{func}("constant"))',
                "",
            ),
        )
        for i, (vuln, safe, tail) in enumerate(twins):
            for vulnerable, flow in ((True, vuln), (False, safe)):
                kind = "vuln" if vulnerable else "safe"
                body = f"{src}\n    {imports}{flow}"
                out.append(Case(cls, vulnerable, f"{cls}_{kind}_x{i}", body, tail))
    return out


def write_tree(tree: Path) -> list[Case]:
    all_cases = cases()
    for case in all_cases:
        target = tree / case.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(case.source(), encoding="utf-8")
    for rel, text in CROSS_MODULES.items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text(text, encoding="utf-8")
    (tree / ".secscan.yaml").write_text(
        "scanners: [bandit, semgrep, crossflow]\n", encoding="utf-8"
    )
    return all_cases


def scan(tree: Path, out: Path, python: str) -> tuple[int, dict[str, Any], float]:
    env = {**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0"}
    t0 = time.monotonic()
    proc = subprocess.run(
        [python, "-m", "secscan", "scan", str(tree), "--profile", "ci"]
        + ["--output-dir", str(out), "--no-cache", "-q"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tree.parent,  # never this checkout's own package ahead of the interpreter's
        check=False,
    )
    seconds = time.monotonic() - t0
    results = out / "secscan-results.json"
    if not results.exists():
        raise SystemExit(f"secscan wrote no results (exit {proc.returncode}):\n{proc.stderr}")
    return proc.returncode, json.loads(results.read_text(encoding="utf-8")), seconds


def _cwes(f: dict[str, Any]) -> set[int]:
    found = {int(c) for c in f.get("cwe") or ()}
    for other in f.get("also_reported_by") or ():
        found |= {int(c) for c in other.get("cwe") or ()}
    return found


def _places(f: dict[str, Any]) -> set[str]:
    """The files a finding counts for: where it lies, and where its traced flow starts (a
    view whose request data reaches a sink in a helper module)."""
    places = {f["location"]["path"]}
    flow = f.get("flow") or ()
    if flow:
        places.add(flow[0]["location"]["path"])
    return places


def _hits(data: dict[str, Any]) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(path, class) flagged by any finding, and by a finding that fails the gate."""
    failing = set((data.get("decision") or {}).get("failing_fingerprints") or ())
    flagged: set[tuple[str, str]] = set()
    gated: set[tuple[str, str]] = set()
    for run in data["result"]["runs"]:
        for f in run["findings"]:
            for path in _places(f):
                for cls, cwes in CLASSES.items():
                    if _cwes(f) & cwes:
                        flagged.add((path, cls))
                        if f["fingerprint"] in failing:
                            gated.add((path, cls))
    return flagged, gated


def gate_errors(all_cases: list[Case], data: dict[str, Any]) -> str:
    """The cases the gate gets wrong, by name: safe twins it fails, vulnerable ones it passes."""
    _, gated = _hits(data)
    wrong_safe = [c.name for c in all_cases if not c.vulnerable and (c.path, c.cls) in gated]
    missed = [c.name for c in all_cases if c.vulnerable and (c.path, c.cls) not in gated]
    return (
        f"Safe twins that fail the gate: {', '.join(wrong_safe) or 'none'}. "
        f"Vulnerable cases that pass it: {', '.join(missed) or 'none'}."
    )


def score(all_cases: list[Case], data: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per class: TPR/FPR over all findings and over the gate's failing findings."""
    flagged, gated = _hits(data)
    table: dict[str, dict[str, float]] = {}
    for cls in CLASSES:
        mine = [c for c in all_cases if c.cls == cls]
        vuln = [c for c in mine if c.vulnerable]
        safe = [c for c in mine if not c.vulnerable]

        def rate(group: list[Case], hits: set[tuple[str, str]], cls: str = cls) -> float:
            return sum((c.path, cls) in hits for c in group) / len(group) if group else 0.0

        table[cls] = {
            "vulnerable": len(vuln),
            "safe": len(safe),
            "tpr": rate(vuln, flagged),
            "fpr": rate(safe, flagged),
            "gate_tpr": rate(vuln, gated),
            "gate_fpr": rate(safe, gated),
        }
    return table


def render(table: dict[str, dict[str, float]], label: str) -> str:
    lines = [
        f"**{label}**",
        "",
        "| class | cases (vuln / safe) | all findings: TPR | FPR | score "
        "| `ci` gate: TPR | FPR | score |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    totals = dict.fromkeys(("tpr", "fpr", "gate_tpr", "gate_fpr"), 0.0)
    for cls, row in table.items():
        lines.append(
            f"| {cls} | {row['vulnerable']:.0f} / {row['safe']:.0f} "
            f"| {row['tpr']:.2f} | {row['fpr']:.2f} | {row['tpr'] - row['fpr']:.2f} "
            f"| {row['gate_tpr']:.2f} | {row['gate_fpr']:.2f} "
            f"| {row['gate_tpr'] - row['gate_fpr']:.2f} |"
        )
        for k in totals:
            totals[k] += row[k]
    n = len(table)
    avg = {k: v / n for k, v in totals.items()}
    lines.append(
        f"| **mean over classes** | | {avg['tpr']:.2f} | {avg['fpr']:.2f} "
        f"| {avg['tpr'] - avg['fpr']:.2f} | {avg['gate_tpr']:.2f} | {avg['gate_fpr']:.2f} "
        f"| {avg['gate_tpr'] - avg['gate_fpr']:.2f} |"
    )
    return "\n".join(lines)


def verdict(table: dict[str, dict[str, float]]) -> str:
    """The acceptance of issue 31 against one run: which classes meet or miss what."""
    gate_miss = [
        f"{cls} (TPR {row['gate_tpr']:.2f}, FPR {row['gate_fpr']:.2f})"
        for cls, row in table.items()
        if row["gate_tpr"] < 0.6 or row["gate_fpr"] > 0.1
    ]
    low = [
        f"{cls} {row['tpr'] - row['fpr']:.2f}"
        for cls, row in table.items()
        if row["tpr"] - row["fpr"] < 0.5
    ]
    mean = sum(row["tpr"] - row["fpr"] for row in table.values()) / len(table)
    return (
        "Acceptance: gate TPR >= 0.6 and FPR <= 0.1 per class: "
        + (f"**missed** by {', '.join(gate_miss)}" if gate_miss else "met by every class")
        + f"; all-findings score over classes {mean:.2f} "
        + ("(met, >= 0.5)" if mean >= 0.5 else "(**missed**, < 0.5)")
        + (f"; classes below 0.5 on their own: {', '.join(low)}." if low else ".")
    )


#: The section's text above its tables (BENCHMARKS.md is written, never edited by hand).
DESCRIPTION = """\
## Web-vulnerability classes on labelled twins (`benchmarks/webcases.py`, issue 31)

{cases} small Flask modules written by us from templates (`benchmarks/webcases.py`): per
injection class six vulnerable cases, one per propagator (direct, live conditional
expression, live if/else, dict key, configparser option, list), each with a safe twin that
differs only in what makes it safe (the value overwritten, the dead arm of a folded
condition, the literal key/option/list head), plus a safe case through the framework's own
API (escaping, query parameters, argument lists, `secure_filename`, `url_for`,
`escape_filter_chars`, `yaml.safe_load`); for command, SQL, code injection, path traversal
and deserialization three more twins whose sink is in another function (a helper of another
module, of the same module, two modules deep; safe: a sanitizer on the way, the value
overwritten before the call, a literal passed); for command, SQL injection and XSS three
more in the shape of generated test suites (a view nested in `init(app)` that imports
`urllib`, `subprocess`, `sqlite3` itself and appends to a `RESPONSE` string; a folded
conditional, a `match` on a constant, a list whose head is popped); explicit twins for the
configuration classes (XXE parser flags, cookie flags, PRNG vs `secrets`, MD5/SHA-1 vs
SHA-256/PBKDF2). Sources rotate over `request.args/form/headers/cookies/values`. Scanned as
a new user would: `secscan scan TREE --profile ci` with `scanners: [bandit, semgrep,
crossflow]`. A case is flagged when a finding with a CWE of its class lies in its file (or
its traced flow starts there), gated when that finding fails `ci`; score = TPR - FPR.
Acceptance (issue 31): every class gate TPR >= 0.6 and FPR <= 0.1, all-findings score >=
0.5.

Every case module imports the same header (`subprocess`, `pickle`, ... for all classes), so
bandit's import audits (B404 `import subprocess`, CWE-78; B403 `import pickle`, CWE-502;
LOW) lie in every file: they alone make the all-findings FPR of cmdi and deserialization
1.00. The rest of the all-findings FPR is bandit's MEDIUM B608/B307/B301 on a non-constant
sink argument of a dead-branch twin (rated, not gating) and B311 on a delay drawn with
`random.uniform`.

Why the gate errors listed under the table remain (2026-12-07): `cmdi_safe_x1` is bandit's
B605 HIGH inside a same-module helper whose only caller passes an overwritten constant (the
AST proof is per function; the helper's parameter is not a constant); `sqli_safe_f1` and
`xss_safe_f1` are the pack's taint rules on a `match` whose live case is the literal
(semgrep does not fold `match`; secscan's AST proof covers shell commands only).
"""


def write_section(text: str) -> None:
    bench = REPO / "BENCHMARKS.md"
    current = bench.read_text(encoding="utf-8")
    block = f"{MARK_BEGIN}\n{text}\n{MARK_END}"
    if MARK_BEGIN in current:
        head, _, rest = current.partition(MARK_BEGIN)
        _, _, tail = rest.partition(MARK_END)
        bench.write_text(head + block + tail, encoding="utf-8")
    else:
        bench.write_text(current.rstrip("\n") + "\n\n" + block + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", default=sys.executable, help="interpreter with secscan")
    ap.add_argument("--label", default="this checkout", help="the table's caption")
    ap.add_argument("--write", action="store_true", help="write the BENCHMARKS.md section")
    ap.add_argument("--json", type=Path, help="also write the per-class numbers as JSON")
    ap.add_argument("--before", type=Path, help="a --json file to show above this run")
    ap.add_argument("--tree", type=Path, help="only write the cases into this directory")
    args = ap.parse_args(argv)
    if args.tree is not None:
        print(f"{len(write_tree(args.tree))} cases written to {args.tree}")
        return 0
    with tempfile.TemporaryDirectory(prefix="secscan-webcases-") as tmp:
        all_cases = write_tree(Path(tmp) / "tree")
        code, data, seconds = scan(Path(tmp) / "tree", Path(tmp) / "out", args.python)
    table = score(all_cases, data)
    label = f"{args.label}: {len(all_cases)} cases, exit {code}, {seconds:.0f} s"
    text = render(table, label)
    errors = gate_errors(all_cases, data)
    print(text + "\n\n" + verdict(table) + "\n\n" + errors)
    if args.json:
        saved = {"label": label, "table": table}
        args.json.write_text(json.dumps(saved, indent=1), encoding="utf-8")
    if args.write:
        parts = [DESCRIPTION.format(cases=len(all_cases)).strip()]
        if args.before:
            before = json.loads(args.before.read_text(encoding="utf-8"))
            parts.append(render(before["table"], before["label"]))
        parts += [text, verdict(table), errors]
        write_section("\n\n".join(parts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
