"""secscan's own semgrep rule pack (policies/semgrep): rule metadata, the rules' own
`semgrep --test` annotations run by the real semgrep, and the example project's planted
code flaws."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PACK = REPO / "policies" / "semgrep"
EXAMPLE = REPO / "examples" / "vulnerable-shop"

#: Rule directory -> (id prefix, semgrep languages allowed, test-file suffixes).
LANGUAGES: dict[str, tuple[str, set[str], tuple[str, ...]]] = {
    "python": ("python-", {"python"}, (".py",)),
    "javascript": ("javascript-", {"javascript", "typescript", "js", "ts"}, (".js", ".ts")),
    "go": ("go-", {"go", "golang"}, (".go",)),
}

#: Exact CWE titles (MITRE CWE list) of every CWE the pack uses. A new CWE may be used
#: without being listed here; a listed one must carry exactly this title.
CWE_TITLES = {
    22: "Improper Limitation of a Pathname to a Restricted Directory ('Path Traversal')",
    73: "External Control of File Name or Path",
    78: "Improper Neutralization of Special Elements used in an OS Command "
    "('OS Command Injection')",
    79: "Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')",
    89: "Improper Neutralization of Special Elements used in an SQL Command ('SQL Injection')",
    94: "Improper Control of Generation of Code ('Code Injection')",
    95: "Improper Neutralization of Directives in Dynamically Evaluated Code ('Eval Injection')",
    116: "Improper Encoding or Escaping of Output",
    215: "Insertion of Sensitive Information Into Debugging Code",
    259: "Use of Hard-coded Password",
    285: "Improper Authorization",
    295: "Improper Certificate Validation",
    326: "Inadequate Encryption Strength",
    327: "Use of a Broken or Risky Cryptographic Algorithm",
    328: "Use of Weak Hash",
    338: "Use of Cryptographically Weak Pseudo-Random Number Generator (PRNG)",
    347: "Improper Verification of Cryptographic Signature",
    377: "Insecure Temporary File",
    489: "Active Debug Code",
    502: "Deserialization of Untrusted Data",
    601: "URL Redirection to Untrusted Site ('Open Redirect')",
    611: "Improper Restriction of XML External Entity Reference",
    703: "Improper Check or Handling of Exceptional Conditions",
    776: "Improper Restriction of Recursive Entity References in DTDs ('XML Entity Expansion')",
    798: "Use of Hard-coded Credentials",
    916: "Use of Password Hash With Insufficient Computational Effort",
    918: "Server-Side Request Forgery (SSRF)",
    1327: "Binding to an Unrestricted IP Address",
    1336: "Improper Neutralization of Special Elements Used in a Template Engine",
}

#: OWASP Top 10 2021 category names, exactly as OWASP writes them.
OWASP_2021 = {
    "A01": "Broken Access Control",
    "A02": "Cryptographic Failures",
    "A03": "Injection",
    "A04": "Insecure Design",
    "A05": "Security Misconfiguration",
    "A06": "Vulnerable and Outdated Components",
    "A07": "Identification and Authentication Failures",
    "A08": "Software and Data Integrity Failures",
    "A09": "Security Logging and Monitoring Failures",
    "A10": "Server-Side Request Forgery (SSRF)",
}

CWE_RE = re.compile(r"^CWE-(\d+): (\S.*)$")
OWASP_RE = re.compile(r"^(A\d{2}):(\d{4}) - (\S.*)$")
LEVELS = {"HIGH", "MEDIUM", "LOW"}
SEVERITIES = {"ERROR", "WARNING", "LOW", "INFO"}
ANNOTATION_RE = re.compile(r"(?:#|//)\s*(ruleid|ok|todoruleid|todook):\s*([\w\-, ]+)")


def _rule_files() -> list[Path]:
    return sorted(p for p in PACK.rglob("*.yaml"))


def _rules() -> list[tuple[Path, dict[str, Any]]]:
    out = []
    for path in _rule_files():
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert isinstance(doc, dict) and isinstance(doc.get("rules"), list), path
        out += [(path, rule) for rule in doc["rules"]]
    return out


RULES = _rules()
RULE_IDS = [rule["id"] for _, rule in RULES]


def _language_dir(path: Path) -> str:
    return path.relative_to(PACK).parts[0]


def _test_files(rule_file: Path) -> list[Path]:
    suffixes = LANGUAGES[_language_dir(rule_file)][2]
    return [rule_file.with_suffix(s) for s in suffixes if rule_file.with_suffix(s).exists()]


def _annotations(rule_file: Path) -> dict[str, Counter[str]]:
    """rule id -> how often each annotation kind names it in the rule file's test files."""
    found: dict[str, Counter[str]] = {}
    for test_file in _test_files(rule_file):
        for kind, ids in ANNOTATION_RE.findall(test_file.read_text(encoding="utf-8")):
            for rule_id in (i.strip() for i in ids.split(",")):
                found.setdefault(rule_id, Counter())[kind] += 1
    return found


def _semgrep() -> str:
    """The semgrep next to this interpreter (the project's venv) first, else the one on PATH."""
    beside = Path(sys.executable).parent / ("semgrep.exe" if os.name == "nt" else "semgrep")
    if beside.exists():
        return str(beside)
    found = shutil.which("semgrep")
    if found is None:
        pytest.fail("semgrep is not installed (it is a secscan dependency)")
    return found


def _offline_env() -> dict[str, str]:
    return {**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}


# --- the pack as a whole ------------------------------------------------------------------


def test_pack_size_and_language_mix() -> None:
    per_language = Counter(_language_dir(path) for path, _ in RULES)
    assert len(RULES) >= 30, per_language
    assert per_language["python"] > len(RULES) / 2, "the pack is mostly Python"
    assert per_language["javascript"] >= 4, per_language
    assert per_language["go"] >= 3, per_language
    assert set(per_language) <= set(LANGUAGES), per_language


def test_rule_ids_are_unique_and_dot_free() -> None:
    duplicates = [rule_id for rule_id, n in Counter(RULE_IDS).items() if n > 1]
    assert duplicates == []
    # semgrep prefixes local rule ids with their directory as dotted path; secscan strips
    # everything up to the last dot, so our own ids must not contain dots.
    assert [i for i in RULE_IDS if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", i)] == []


def test_rule_files_use_no_yaml_anchors() -> None:
    """semgrep's OCaml CLI (secscan's default engine) refuses a rule that reuses a block
    through a YAML alias ("Expected a list for pattern-sinks"): the pack writes blocks out."""
    with_aliases = [
        str(path.relative_to(PACK))
        for path in _rule_files()
        if any(
            isinstance(e, yaml.AliasEvent) or getattr(e, "anchor", None)
            for e in yaml.parse(path.read_text(encoding="utf-8"))
        )
    ]
    assert with_aliases == []


def test_same_cwe_number_always_has_the_same_title() -> None:
    titles: dict[int, set[str]] = {}
    for _, rule in RULES:
        for entry in rule["metadata"]["cwe"]:
            m = CWE_RE.match(entry)
            assert m, entry
            titles.setdefault(int(m.group(1)), set()).add(m.group(2))
    assert {n: t for n, t in titles.items() if len(t) > 1} == {}


# --- each rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "rule"), RULES, ids=RULE_IDS)
def test_rule_metadata_is_complete(path: Path, rule: dict[str, Any]) -> None:
    prefix, languages, _ = LANGUAGES[_language_dir(path)]
    assert rule["id"].startswith(prefix)
    assert rule["severity"] in SEVERITIES
    assert rule["languages"] and set(rule["languages"]) <= languages
    message = rule["message"].strip()
    assert len(message) >= 80, "the message says what is wrong and how to fix it"

    meta = rule["metadata"]
    assert meta["category"] == "security"
    title = meta["shortDescription"]
    assert isinstance(title, str) and 8 <= len(title) <= 60, "a short human title"
    assert " " in title and title != rule["id"], "a phrase, not the id"
    for field in ("confidence", "likelihood", "impact"):
        assert meta[field] in LEVELS, field

    assert isinstance(meta["cwe"], list) and meta["cwe"]
    for entry in meta["cwe"]:
        m = CWE_RE.match(entry)
        assert m, f"{entry!r} is not 'CWE-<n>: <title>'"
        number, title = int(m.group(1)), m.group(2)
        if number in CWE_TITLES:
            assert title == CWE_TITLES[number], f"CWE-{number} title differs from MITRE's"

    assert isinstance(meta["owasp"], list) and meta["owasp"]
    for entry in meta["owasp"]:
        m = OWASP_RE.match(entry)
        assert m, f"{entry!r} is not 'Axx:YYYY - Name'"
        if m.group(2) == "2021":
            assert OWASP_2021.get(m.group(1)) == m.group(3), entry

    refs = meta["references"]
    assert isinstance(refs, list) and refs
    assert all(re.match(r"^https?://\S+$", r) for r in refs), refs
    cwe_numbers = {CWE_RE.match(c).group(1) for c in meta["cwe"]}  # type: ignore[union-attr]
    assert any(
        f"cwe.mitre.org/data/definitions/{n}.html" in r for r in refs for n in cwe_numbers
    ), "links the CWE definition"

    remediation = meta["remediation"]
    assert isinstance(remediation, str) and remediation.strip()
    assert "\n" not in remediation.strip() and len(remediation) <= 160, "one short sentence"


@pytest.mark.parametrize(("path", "rule"), RULES, ids=RULE_IDS)
def test_rule_has_positive_and_negative_test_cases(path: Path, rule: dict[str, Any]) -> None:
    assert _test_files(path), f"{path.name} has no sibling test file"
    seen = _annotations(path).get(rule["id"], Counter())
    assert seen["ruleid"] >= 1, "no `ruleid:` case"
    assert seen["ok"] >= 1, "no `ok:` case"


def test_annotations_name_only_existing_rules() -> None:
    for path in _rule_files():
        own = {rule["id"] for p, rule in RULES if p == path}
        assert set(_annotations(path)) <= own, path.name


def test_readme_table_lists_every_rule() -> None:
    readme = (PACK / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([a-z0-9-]+)` \|", readme, flags=re.MULTILINE))
    assert listed == set(RULE_IDS)
    assert "secscan" in readme


# --- the real semgrep ------------------------------------------------------------------------


@pytest.mark.integration
def test_semgrep_test_passes_and_exercises_every_rule() -> None:
    """`semgrep --test` over the pack: every annotation holds and every rule really ran."""
    proc = subprocess.run(
        [
            _semgrep(),
            "--test",
            "--json",
            "--disable-version-check",
            "--metrics=off",
            "policies/semgrep",  # relative on purpose: never mistaken for a registry "r/" id
        ],
        cwd=REPO,
        env=_offline_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        pytest.fail(f"semgrep --test printed no JSON (exit {proc.returncode}):\n{proc.stderr}")
    assert report["config_with_errors"] == [], report["config_with_errors"]
    assert report["config_missing_tests"] == []

    checks: dict[str, dict[str, Any]] = {}
    for config, result in report["results"].items():
        for rule_id, check in result["checks"].items():
            checks[rule_id.rsplit(".", 1)[-1]] = {"config": config, **check}

    failed = {
        rule_id: check["matches"]
        for rule_id, check in checks.items()
        if not check["passed"] or check["errors"]
    }
    assert failed == {}
    assert set(checks) == set(RULE_IDS), "every rule of the pack was run"
    unexercised = [
        rule_id
        for rule_id, check in checks.items()
        if not any(m["expected_lines"] and m["reported_lines"] for m in check["matches"].values())
    ]
    assert unexercised == [], "rules that reported nothing on their own test file"
    assert proc.returncode == 0, proc.stderr[-2000:]


def _flaw_line(flaw: dict[str, Any]) -> int:
    """flaws.yaml: the flawed construct is the first non-comment line after the marker."""
    lines = (EXAMPLE / flaw["file"]).read_text(encoding="utf-8").splitlines()
    start = next(n for n, text in enumerate(lines) if flaw["marker"] in text)
    return next(
        n + 1
        for n in range(start + 1, len(lines))
        if lines[n].strip() and not lines[n].strip().startswith("#")
    )


@pytest.mark.integration
@pytest.mark.skipif(not (EXAMPLE / "flaws.yaml").exists(), reason="no example project")
def test_every_planted_code_flaw_of_the_example_is_reported() -> None:
    flaws = yaml.safe_load((EXAMPLE / "flaws.yaml").read_text(encoding="utf-8"))["flaws"]
    planted = [f for f in flaws if f["kind"] == "code" and "semgrep" in f["expected"]]
    assert planted
    targets = sorted({f["file"] for f in planted})
    proc = subprocess.run(
        [
            _semgrep(),
            "scan",
            "--json",
            "--quiet",
            "--disable-version-check",
            "--metrics=off",
            "--config",
            str(PACK),
            "--",
            *targets,
        ],
        cwd=EXAMPLE,
        env=_offline_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["errors"] == []
    missed = []
    for flaw in planted:
        line = _flaw_line(flaw)
        hits = [
            r
            for r in out["results"]
            if r["path"] == flaw["file"]
            and r["start"]["line"] <= line <= r["end"]["line"]
            and {int(n) for c in r["extra"]["metadata"]["cwe"] for n in re.findall(r"CWE-(\d+)", c)}
            & set(flaw["cwe"])
        ]
        if not hits:
            missed.append(f"{flaw['id']} ({flaw['file']}:{line})")
    assert missed == []


#: The table of equivalent rules (issue 23 item 3): same-line reports of one flaw under
#: different CWE ids (bandit's own CWE for a test against the pack rule's), each pair seen on
#: bandit's examples, the example project or a real scan of the constructs. Never a guess:
#: a pair is merged only when a pack rule names it here.
EQUIVALENT = {
    "python-yaml-unsafe-load": ("bandit:B506",),
    "python-deserialization-request-data": ("bandit:B506",),
    "python-bind-all-interfaces": ("bandit:B104",),
    "python-eval-injection": ("bandit:B307",),
    "python-eval-request-data": ("bandit:B307",),
    "python-eval-local-input": ("bandit:B307",),
    "python-exec-injection": ("bandit:B102",),
    "python-flask-debug-enabled": ("bandit:B201",),
    "python-insecure-random-secret": ("bandit:B311",),
    "python-xml-untrusted-stdlib-parser": (
        "bandit:B313",
        "bandit:B314",
        "bandit:B317",
        "bandit:B318",
        "bandit:B319",
    ),
}


def test_the_equivalence_table_is_explicit_and_names_real_rules() -> None:
    from secscan.scanners.bandit import known_test_ids
    from secscan.scanners.semgrep import rule_claims

    table = {
        rule["id"]: claims.same_flaw_as
        for _, rule in RULES
        if (claims := rule_claims(rule.get("metadata"))) is not None and claims.same_flaw_as
    }
    assert table == EQUIVALENT
    bandit_ids = known_test_ids()
    assert {n.split(":", 1)[1] for names in table.values() for n in names} <= bandit_ids


def test_proofs_name_the_rules_they_vouch_for_and_nothing_else_proves() -> None:
    from secscan.scanners.bandit import known_test_ids
    from secscan.scanners.semgrep import rule_claims

    proofs = {
        path.name: rule["id"]
        for path, rule in RULES
        if (claims := rule_claims(rule.get("metadata"))) is not None and claims.proves_safe
    }
    assert set(proofs) == {"proofs.yaml"}, "proofs live in proofs.yaml only"
    for _, rule in RULES:
        claims = rule_claims(rule.get("metadata"))
        if claims is None or not claims.proves_safe:
            continue
        assert rule["severity"] == "INFO"
        for name in claims.vouches_for:
            scanner, rule_id = name.split(":", 1)
            assert rule_id in (known_test_ids() if scanner == "bandit" else set(RULE_IDS))
        # a wildcard in a constant command is still dangerous: never vouched for
        assert "bandit:B609" not in claims.vouches_for
