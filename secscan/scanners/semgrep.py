"""semgrep, offline: secscan's own rule pack by default, never the network."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

import yaml
from pydantic import BaseModel, Field

from secscan.errors import ConfigError, ScannerError, ScannerOutputError
from secscan.model.findings import (
    TRANSIENT,
    Confidence,
    Finding,
    FindingKind,
    Location,
    NotAnalyzed,
    RuleClaims,
    Severity,
    Suppression,
)
from secscan.model.targets import PYTHON_ALIASES, is_notebook, is_python
from secscan.scanners._views import Views, python_views
from secscan.scanners.base import (
    MAX_NAMED,
    RuleInfo,
    RuleLookup,
    ScanContext,
    ScanOutcome,
    ScanRequest,
    ToolScanner,
    normalized,
    options,
    require_accounted,
    section_options,
)
from secscan.settings import trust
from secscan.settings.config import Config, Options
from secscan.util import files as _files
from secscan.util.cachedir import hash_files
from secscan.util.resources import data_dir

#: Languages our pack and semgrep's parsers cover; other files are not worth a semgrep start.
EXTENSIONS = (
    ".py",
    ".pyw",
    ".js",
    ".jsx",
    ".mjs",
    ".cjs",
    ".ts",
    ".tsx",
    ".go",
    ".java",
    ".rb",
    ".php",
    ".rs",
    ".c",
    ".cs",
    ".kt",
    ".scala",
    ".sh",
)
_CWE = re.compile(r"CWE-(\d+)")
#: These keep semgrep 1.x from calling home (the version check alone stalls ~100 s offline).
OFFLINE_ENV = {"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}


#: semgrep's own reading of a `nosemgrep` comment (src/reporting/Nosemgrep.ml, 1.x).
_RULE_IDS = r"(?:[:=][\s]?(?P<ids>([^,\s](?:[,\s]+)?)+))?"
NOSEM_INLINE = re.compile(r" nosem(?:grep)?" + _RULE_IDS, re.IGNORECASE)
NOSEM_PREVIOUS_LINE = re.compile(r"^[^a-zA-Z0-9]* *nosem(?:grep)?" + _RULE_IDS, re.IGNORECASE)
MAX_DIRECTIVE = 200
#: The target extensions each `languages:` name of a rule reads, as semgrep 1.185 decides for
#: a file it is handed (its lang.json, and measured with both engines: a `javascript` rule
#: also reads TypeScript, no rule language reads `.pyw`). Names not listed here are never
#: dropped from a run (see `keeps`).
_LANGUAGES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("python", "py", "python2", "python3"), (".py", ".pyi")),
    (("javascript", "js"), (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx")),
    (("typescript", "ts"), (".ts", ".tsx")),
    (("go", "golang"), (".go",)),
    (("java",), (".java",)),
    (("ruby",), (".rb",)),
    (("php",), (".php", ".tpl", ".phtml")),
    (("rust",), (".rs",)),
    (("c",), (".c", ".h")),
    (("cpp", "c++"), (".cc", ".cpp", ".cxx", ".c++", ".h", ".hh", ".hpp", ".hxx")),
    (("csharp", "c#"), (".cs",)),
    (("kotlin", "kt"), (".kt", ".kts", ".ktm")),
    (("scala",), (".scala",)),
    (("bash", "sh"), (".bash", ".sh")),
    (("yaml",), (".yml", ".yaml")),
    (("json",), (".json", ".ipynb")),
    (("dockerfile", "docker"), (".dockerfile", "Dockerfile", "dockerfile")),
    (("terraform", "hcl", "tf"), (".tf", ".tofu", ".hcl", ".tfvars")),
    (("html",), (".htm", ".html")),
    (("xml",), (".xml", ".plist")),
    (("swift",), (".swift",)),
    (("lua",), (".lua",)),
)
LANGUAGE_EXTENSIONS: dict[str, tuple[str, ...]] = {
    name: exts for names, exts in _LANGUAGES for name in names
}
#: Rules in these "languages" read any file.
ANY_LANGUAGE = frozenset({"generic", "spacegrep", "aliengrep", "regex", "none"})


def nosem_directive(line: str, previous: str | None, check_id: str) -> str | None:
    """The `nosemgrep` comment semgrep would hide a match for, or None.

    As semgrep reads it: on the match's first line, or alone on the line above; no ids
    means every rule; an id matches the rule's id or a dotted suffix of it.
    """
    found: list[list[str] | None] = []
    for text, rex in ((line, NOSEM_INLINE), (previous, NOSEM_PREVIOUS_LINE)):
        if text is None:
            continue
        for m in rex.finditer(text):
            found.append(None if m["ids"] is None else _ids(m["ids"]))
    if not found:
        return None
    if all(ids is None for ids in found):
        return "nosemgrep"
    for ids in found:
        for wanted in ids or ():
            if check_id == wanted or check_id.endswith("." + wanted):
                # Rebuilt from the ids semgrep reads: the rest of the line is not kept.
                return f"nosemgrep: {', '.join(ids or ())}"[:MAX_DIRECTIVE]
    return None


def _ids(text: str) -> list[str]:
    """The rule ids of a `nosemgrep:` list as semgrep takes them: each entry's first word."""
    out = []
    for raw in text.split(","):
        words = raw.strip(" ").split(" ")
        wanted = words[0].strip('"') if words else ""
        if wanted:
            out.append(wanted)
    return out


@dataclass(frozen=True, slots=True)
class RuleFile:
    """One local rule file: where it is and what its rules say about themselves."""

    path: str
    #: The `languages:` names of its rules; None when it cannot be read here (semgrep will
    #: say what is wrong with it) or a rule names none: it reads every file, as far as we know.
    languages: frozenset[str] | None
    ids: tuple[str, ...] = ()
    #: What its rules say about other rules' findings (metadata `proves-safe`,
    #: `vouches-for`, `same-flaw-as`), by rule id: honoured only from a trusted rule set.
    claims: tuple[tuple[str, RuleClaims], ...] = ()


_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: Rule files by (path, mtime, size): a run reads each once, however many shards ask.
_RULE_FILES: dict[tuple[str, int, int], RuleFile] = {}


def read_rule_file(path: str) -> RuleFile:
    try:
        st = os.stat(path)
    except OSError:
        return RuleFile(path, None)
    key = (path, st.st_mtime_ns, st.st_size)
    if key not in _RULE_FILES:
        _RULE_FILES[key] = _read_rule_file(path)
    return _RULE_FILES[key]


def _read_rule_file(path: str) -> RuleFile:
    try:
        text = _files.read_text(Path(path))
        doc = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
    except (OSError, ValueError, yaml.YAMLError, ConfigError):
        return RuleFile(path, None)
    rules = doc.get("rules") if isinstance(doc, dict) else None
    if not isinstance(rules, list):
        return RuleFile(path, None)
    languages: set[str] = set()
    ids: list[str] = []
    claims: list[tuple[str, RuleClaims]] = []
    unknown = False
    for rule in rules:
        langs = rule.get("languages") if isinstance(rule, dict) else None
        if isinstance(langs, list) and langs:
            languages.update(str(x).lower() for x in langs if x)
        else:
            unknown = True
        if isinstance(rule, dict) and rule.get("id") is not None:
            ids.append(str(rule["id"]))
            said = rule_claims(rule.get("metadata"))
            if said is not None:
                claims.append((str(rule["id"]), said))
    return RuleFile(path, None if unknown else frozenset(languages), tuple(ids), tuple(claims))


#: How long a `proves-safe` reason may be, and how many rules a claim may name.
MAX_CLAIM = 200
MAX_CLAIM_RULES = 50


def rule_claims(meta: object) -> RuleClaims | None:
    """A rule's claims about other rules' findings, from its metadata (None: it makes none).

    `proves-safe: <why>` with `vouches-for: [scanner:rule, ...]`: a match proves the value
    those rules flag on the same span safe; `same-flaw-as: [scanner:rule, ...]`: those rules
    report this flaw under other CWE ids.
    """
    if not isinstance(meta, dict):
        return None
    why = meta.get("proves-safe")
    proves = " ".join(str(why).split())[:MAX_CLAIM] if isinstance(why, str) else ""
    vouches = _names(meta.get("vouches-for")) if proves else ()
    same = _names(meta.get("same-flaw-as"))
    if not (proves and vouches) and not same:
        return None
    return RuleClaims(proves_safe=proves if vouches else "", vouches_for=vouches, same_flaw_as=same)


def _names(v: object) -> tuple[str, ...]:
    items = v if isinstance(v, list) else []
    return tuple(dict.fromkeys(str(x) for x in items if isinstance(x, str) and ":" in x))[
        :MAX_CLAIM_RULES
    ]


@dataclass(frozen=True, slots=True)
class RuleTrust:
    """Which rules' findings are trusted (secscan's pack, rule sets the trusted side's config
    names) and what those rules claim; a rule set the change under review added is not."""

    claims: Mapping[str, RuleClaims | None]
    #: Rule ids defined by a rule set the change under review added.
    review: frozenset[str]
    #: A registry rule set was added by the change under review: rules of no local file
    #: may come from it.
    review_registry: bool = False

    def mark(self, f: Finding) -> Finding:
        if f.rule_id in self.review or (f.rule_id not in self.claims and self.review_registry):
            return replace(f, review_rule=True)
        said = self.claims.get(f.rule_id)
        return f if said is None else replace(f, claims=said)


def is_rule_file(path: Path) -> bool:
    """Whether semgrep's Python CLI loads this file of a rule directory (semgrep/util.py
    is_config_suffix, 1.x): `.yml`/`.yaml`, but not a `.test.yaml` target or a `.fixed` file.
    Its OCaml CLI also loads `.fixed.yaml` and `.YAML` files, so secscan lists the files."""
    suffixes = path.suffixes
    return (
        bool(suffixes)
        and suffixes[-1] in (".yml", ".yaml")
        and suffixes[-2:-1] != [".test"]
        and ".fixed" not in suffixes
    )


def rule_files(entry: str) -> tuple[str, ...]:
    """The rule files one local `--config` entry stands for (a file: itself)."""
    path = Path(entry)
    if not path.is_dir():
        return (entry,)
    # As the Python CLI walks it: str(Path) keeps the spelling its rule-id prefix comes from.
    return tuple(sorted(str(p) for p in path.rglob("*") if is_rule_file(p) and p.is_file()))


def reads(languages: frozenset[str] | None, path: str) -> bool:
    """Whether a rule of these languages reads this file."""
    if languages is None or languages & ANY_LANGUAGE:
        return True
    name = path.rsplit("/", 1)[-1]
    return any(name.endswith(LANGUAGE_EXTENSIONS.get(lang, ())) for lang in languages)


def keeps(languages: frozenset[str] | None, targets: Sequence[str]) -> bool:
    """Whether a rule file must run for these targets: some target is in one of its
    languages, or it names a language this module does not know (kept, never guessed)."""
    if languages is None or any(lang not in LANGUAGE_EXTENSIONS for lang in languages):
        return True
    return any(reads(languages, t) for t in targets)


def cli_rule_id(rule_file: str, rule_id: str, cwd: Path) -> str:
    """The id semgrep's Python CLI gives a local rule, which a `nosemgrep: dir.rule-id`
    comment may name: the directories of its file as passed, relative to the working
    directory when inside it, dotted before it (semgrep/rule_lang.py, 1.x). Its OCaml CLI
    prints the bare id for an absolute path, so the OCaml engine's ids are rebuilt with this.
    """
    at = Path(rule_file)
    try:
        at = at.relative_to(cwd)
    except ValueError:
        pass
    prefix = ".".join(at.parts[:-1]).lstrip("./").lstrip(".")
    return re.sub(r"[^a-zA-Z0-9._-]", "", f"{prefix}." if prefix else "") + rule_id


def builtin_rules() -> str:
    return str(data_dir("policies") / "semgrep")


class Engine(StrEnum):
    """Which of semgrep's command lines runs the rules (the same wheel ships both)."""

    #: The OCaml one, falling back to the Python one (and saying so) when it fails.
    AUTO = "auto"
    #: `semgrep scan --experimental`: a tenth of the CPU on one file, half on an 82-file
    #: tree (semgrep 1.185, our pack); a failure is a scanner error.
    OCAML = "ocaml"
    #: `semgrep scan`, the reference: every rule set, the registry too.
    PYTHON = "python"


class SemgrepOptions(Options):
    #: "builtin" is secscan's own pack (policies/semgrep); other entries are rule files or
    #: directories relative to the config file, or registry names when online.
    rules: tuple[str, ...] = ("builtin",)
    jobs: int | None = Field(default=None, ge=1)
    #: Seconds one rule may spend on one file (semgrep's --timeout; its own default, 5 s, is
    #: met on ordinary files of a loaded 2-core machine, which made results vary run to run).
    #: semgrep's Python CLI takes whole seconds: a fraction is rounded up.
    rule_timeout: float = Field(default=60.0, gt=0)
    #: Not a gate setting: both engines report the same findings or fail (docs/usage.md).
    engine: Engine = Engine.AUTO
    #: Set by secscan, not by hand: the entries of `rules` that the change under review
    #: added (`ci --new-since`). Their findings are added, never merged with another rule's
    #: finding, their rules prove nothing safe, and their metadata links are never made links.
    review_rules: tuple[str, ...] = ()


def is_registry(entry: str) -> bool:
    """Whether a rule-set entry names the semgrep registry (or a URL) rather than a file."""
    return entry == "auto" or entry.startswith(("p/", "r/", "s/", "http://", "https://"))


def local_rule_paths(config: Config) -> list[Path]:
    """The configured rule files and directories that exist here (not the pack, no registry)."""
    return [
        p
        for entry in config.section("semgrep", SemgrepOptions).rules
        if entry != "builtin" and not is_registry(entry)
        for p in (config.resolve(entry),)
        if p is not None and p.exists()
    ]


@dataclass(frozen=True, slots=True)
class RulePlan:
    """The rules one run loads: the `--config` values, and what is known of them."""

    configs: tuple[str, ...]
    #: Every local rule file the run loads.
    files: tuple[RuleFile, ...]
    #: Registry entries among the configs (fetched over the network).
    registry: tuple[str, ...]
    #: The languages the whole configuration reads (None: unknown), for "not analyzed".
    languages: frozenset[str] | None

    def defined_in(self) -> dict[str, str | None]:
        """Each rule id's file (None: defined in more than one)."""
        out: dict[str, str | None] = {}
        for f in self.files:
            for rule_id in f.ids:
                out[rule_id] = f.path if rule_id not in out else None
        return out


#: How much of the OCaml engine's failure a fallback note quotes.
NOTE_CHARS = 300
#: Exit codes of the OCaml CLI that come with its JSON (2: an error, 7: invalid rules).
OCAML_ERROR_CODES = (2, 7)


class SemgrepScanner(ToolScanner):
    name: ClassVar[str] = "semgrep"
    kind: ClassVar[FindingKind] = FindingKind.CODE
    description: ClassVar[str] = "multi-language code flaws (semgrep, secscan rule pack)"
    url: ClassVar[str] = "https://semgrep.dev/docs/"
    options_model: ClassVar[type[BaseModel] | None] = SemgrepOptions
    executable: ClassVar[str] = "semgrep"
    ok_codes: ClassVar[tuple[int, ...]] = (0, 1)
    #: The pack's audit rules of a shell command that is not a literal, and its taint rules
    #: of outside data reaching one (a command proven constant holds no outside data).
    shell_command_rules: ClassVar[frozenset[str]] = frozenset(
        {
            "python-subprocess-shell-injection",
            "python-os-system-injection",
            "python-command-injection-request-data",
            "python-command-injection-local-input",
        }
    )

    def applies_to(self, path: str) -> bool:
        return path.endswith(EXTENSIONS) or is_python(path) or is_notebook(path)

    def select(self, files: Sequence[str], request: ScanRequest) -> tuple[str, ...]:
        """By suffix, plus scripts whose shebang names Python (read through `.py` views)."""
        return tuple(f for f in files if self.applies_to(f) or f in request.python_scripts)

    #: Semgrep OSS rules match within one file, so per-file results can be cached.
    file_local: ClassVar[bool] = True
    version_from_distribution: ClassVar[bool] = True

    def env(self) -> Mapping[str, str]:
        return OFFLINE_ENV

    def rulesets(self, ctx: ScanContext) -> tuple[str, ...]:
        return tuple(options(ctx.config, self, SemgrepOptions).rules)

    def cache_material(self, ctx: ScanContext) -> str | None:
        configs = self.rule_configs(ctx)
        if any(not Path(c).exists() for c in configs):
            return None  # registry rules change without notice: never cache them
        # Entries written before --disable-nosem lack the findings a comment hid.
        rules = hash_files([Path(c) for c in configs])
        # Whether a rule's links are shown depends on who configured it, not on its bytes.
        rules += ";linked=" + ",".join(sorted(self.linked_rules(ctx)))
        opts = options(ctx.config, self, SemgrepOptions)
        # The engine asked for is part of the key: `engine: python` is a fresh reference scan.
        review = ",".join(sorted(opts.review_rules))
        material = (
            f"disable-nosem;claims-1;uncovered;review={review};timeout={opts.rule_timeout:g};"
            f"engine={opts.engine};{rules}"
        )
        return hashlib.sha256(material.encode()).hexdigest()

    def describe_rule(self, rule_id: str, lookup: RuleLookup) -> RuleInfo | None:
        return semgrep_rule(rule_id, tuple(local_rule_paths(lookup.config)))

    def option_files(self, options: BaseModel) -> Mapping[str, tuple[str, ...]]:
        """Rule files and directories: their content is what semgrep looks for."""
        rules = options.rules if isinstance(options, SemgrepOptions) else ()
        return {"rules": tuple(e for e in rules if e != "builtin")}

    def weakenings(self, base: trust.Section, head: trust.Section) -> Sequence[tuple[str, str]]:
        out = []
        was = section_options(base, SemgrepOptions).rule_timeout
        now = section_options(head, SemgrepOptions).rule_timeout
        if now < was:
            out.append(
                (
                    "rule_timeout",
                    f"semgrep.rule_timeout lowered from {was:g} to {now:g} s: files that run "
                    "out are no longer analyzed",
                )
            )
        head_rules = {(r.entry, r.digest) for r in head.entries("rules")}
        head_names = {entry for entry, _ in head_rules}
        for r in base.entries("rules"):
            if (r.entry, r.digest) in head_rules:
                continue
            gone = r.entry not in head_names
            out.append(
                ("rules", f"semgrep rule set {r.entry!r} {'removed' if gone else 'changed'}")
            )
        # `jobs` is how many workers share the files, never what they find; `engine` picks
        # between two command lines that report the same findings or fail (exit 3).
        neutral = {"rules", "rule_timeout", "jobs", "engine", "review_rules"}
        return [*out, *trust.changed(base, head, known=neutral)]

    def strengthened(self, base: trust.Section, head: trust.Section) -> BaseModel:
        """Rule sets added by the tree under review apply, read where that tree has them;
        the base's rule sets stay, read from the base's copies."""
        kept = [r.location or r.entry for r in base.entries("rules")]
        known = {r.entry for r in base.entries("rules")}
        extra = [r.location or r.entry for r in head.entries("rules") if r.entry not in known]
        return section_options(base, SemgrepOptions).model_copy(
            update={
                "rules": tuple(dict.fromkeys([*kept, *extra])),
                "review_rules": tuple(e for e in dict.fromkeys(extra) if e not in kept),
            }
        )

    def linked_rules(self, ctx: ScanContext) -> frozenset[str]:
        """The rule ids whose metadata links (`references`, `source`) reports may make
        clickable: rules of local files outside the scanned tree (secscan's pack, the merge
        base's copies, files named outside the root) that no rule set the change under
        review added defines. A rule file in the tree, a rule set the PR added, or a
        registry rule (no file to tell) keeps its findings, without links."""
        opts = options(ctx.config, self, SemgrepOptions)
        added = [
            Path(e) if is_registry(e) else Path(str(ctx.config.resolve(e))).absolute()
            for e in opts.review_rules
        ]
        root = ctx.root.resolve()
        trusted: set[str] = set()
        untrusted: set[str] = set()
        for f in self.plan(ctx).files:
            at = Path(f.path).absolute()
            here = at.resolve()
            mine = here.is_relative_to(root) or any(
                at == a or at.is_relative_to(a) or here.is_relative_to(a) for a in added
            )
            (untrusted if mine else trusted).update(f.ids)
        return frozenset(trusted - untrusted)

    def rule_trust(self, ctx: ScanContext) -> RuleTrust:
        """Which configured rules are trusted, and what the trusted ones claim."""
        opts = options(ctx.config, self, SemgrepOptions)
        review_entries = set(opts.review_rules)
        claims: dict[str, RuleClaims | None] = {}
        review: set[str] = set()
        review_registry = False
        for entry, cfg in zip(opts.rules, self.rule_configs(ctx), strict=True):
            added = entry in review_entries
            if is_registry(cfg) or not Path(cfg).exists():
                review_registry = review_registry or added
                continue
            for path in rule_files(cfg):
                rf = read_rule_file(path)
                said = dict(rf.claims)
                for rule_id in rf.ids:
                    if added:
                        review.add(rule_id)
                    elif rule_id in claims and claims[rule_id] != said.get(rule_id):
                        claims[rule_id] = None  # two trusted definitions: no claim holds
                    else:
                        claims[rule_id] = said.get(rule_id)
        return RuleTrust(claims, frozenset(review), review_registry)

    def rule_configs(self, ctx: ScanContext) -> list[str]:
        out = []
        for entry in options(ctx.config, self, SemgrepOptions).rules:
            if entry == "builtin":
                out.append(builtin_rules())
            elif is_registry(entry):
                out.append(entry)  # registry config: needs the network, so fails closed offline
            else:
                # semgrep runs in the scan root: a relative path would be read from there.
                out.append(str(Path(str(ctx.config.resolve(entry))).absolute()))
        if not out:
            raise ScannerError(self.name, "no semgrep rules configured (semgrep.rules is empty)")
        return out

    def plan(self, ctx: ScanContext, names: Sequence[str] | None = None) -> RulePlan:
        """The rule files this run loads: of a rule directory, its files (so both engines
        load the same ones), and of those only the ones in a language some target is in (a
        `.py`-only commit loads no JavaScript or Go rule)."""
        configs: list[str] = []
        files: list[RuleFile] = []
        registry: list[str] = []
        known: set[str] | None = set()
        for cfg in self.rule_configs(ctx):
            if is_registry(cfg) or not Path(cfg).exists():
                # The registry's, or a path semgrep will say is missing.
                (registry if is_registry(cfg) else configs).append(cfg)
                known = None
                continue
            found = [read_rule_file(f) for f in rule_files(cfg)]
            if not found:
                raise ScannerError(self.name, f"the rule directory {cfg} holds no rule file")
            for f in found:
                if known is not None and f.languages is not None:
                    known.update(f.languages)
                else:
                    known = None
            kept = [f for f in found if keeps(f.languages, ctx.targets if names is None else names)]
            files += kept
            configs += [f.path for f in kept]
        return RulePlan(
            configs=(*configs, *registry),
            files=tuple(files),
            registry=tuple(registry),
            languages=None if known is None else frozenset(known),
        )

    def argv(
        self,
        ctx: ScanContext,
        engine: Engine = Engine.PYTHON,
        paths: Sequence[str] | None = None,
        plan: RulePlan | None = None,
    ) -> list[str]:
        """The command line of one engine (AUTO: the Python CLI's)."""
        opts = options(ctx.config, self, SemgrepOptions)
        argv = [
            self.tool_path(),
            "scan",
            *(["--experimental"] if engine is Engine.OCAML else []),
            "--json",
            "--quiet",
            "--disable-version-check",
            "--metrics=off",
            # A `nosemgrep` comment is the scanned tree's say: semgrep reports every match and
            # parse() marks the ones a comment would have hidden.
            "--disable-nosem",
            "--jobs",
            str(opts.jobs or ctx.jobs),
            # A time budget the files need, not a race against machine load: a file that
            # still runs out is reported as not analyzed (and never cached).
            "--timeout",
            str(math.ceil(opts.rule_timeout)),
            "--timeout-threshold",
            "0",
            # Sizes are max_file_size_mb's to decide: the OCaml CLI skips a file over 1 MB
            # without a word, even one it is handed (the Python CLI reads it).
            "--max-target-bytes",
            "0",
        ]
        for cfg in (plan or self.plan(ctx)).configs:
            argv += ["--config", cfg]
        given = paths if paths is not None else [ctx.abspath(t) for t in ctx.targets]
        return [*argv, "--", *given]

    def scan(self, ctx: ScanContext) -> ScanOutcome:
        # Python semgrep would skip by its name (a shebang script, `.py3`, a notebook's code
        # cells) is handed over as a `.py` view (scanners/_views.py).
        scripts = ctx.request.python_scripts
        with python_views(ctx, lambda t: _needs_view(t, scripts)) as views:
            return self._scan(ctx, views)

    def _scan(self, ctx: ScanContext, views: Views) -> ScanOutcome:
        plan = self.plan(ctx, [_as_read(t, views) for t in ctx.targets])
        if not plan.configs:
            # No configured rule reads any of these files: nothing for semgrep to start for.
            nothing = ScanOutcome(rulesets=self.rulesets(ctx), analyzed=frozenset())
            return self.unread(ctx, plan, views.outcome(nothing), views)
        engine = Engine(options(ctx.config, self, SemgrepOptions).engine)
        if engine is Engine.PYTHON:
            return self.run_engine(ctx, plan, Engine.PYTHON, views)
        started = time.monotonic()
        if plan.registry:
            why = f"registry rule sets ({', '.join(plan.registry)}) are fetched by the Python CLI"
            if engine is Engine.OCAML:
                raise ScannerError(self.name, f"semgrep.engine is ocaml, but {why}")
            return self.fallback(ctx, plan, why, started, views)
        if engine is Engine.OCAML:
            return self.run_engine(ctx, plan, Engine.OCAML, views)
        try:
            first = self.run_engine(ctx, plan, Engine.OCAML, views, partial=True)
        except ScannerError as e:
            why = f"the OCaml engine failed: {_gist(e.reason)}"
            return self.fallback(ctx, plan, why, started, views)
        return self._completed(ctx, plan, first, started, views)

    def _completed(
        self, ctx: ScanContext, plan: RulePlan, first: ScanOutcome, started: float, views: Views
    ) -> ScanOutcome:
        """The OCaml engine's partial run, with the files it did not account for handed to
        the Python CLI (all of them, when it accounts for none)."""
        told = normalized([*(first.analyzed or ()), *(n.path for n in first.not_analyzed)])
        missing = tuple(t for t in ctx.targets if os.path.normpath(t) not in told)
        if not missing:
            return first
        if len(missing) == len(ctx.targets):
            why = (
                "the OCaml engine failed: it accounts for none it surely reads; not analyzed: "
                + ", ".join(missing[:MAX_NAMED])
            )
            return self.fallback(ctx, plan, why, started, views)
        why = (
            f"the OCaml engine left {len(missing)} of {len(ctx.targets)} file(s) unanalyzed "
            f"(first: {missing[0]})"
        )
        # Only the files the OCaml engine dropped (it skips a `.d.ts` without a word) go to
        # the Python CLI: the rest keep the OCaml run's result.
        rest_ctx = replace(ctx, targets=missing)
        rest_plan = self.plan(rest_ctx, [_as_read(t, views) for t in missing])
        rest = self.fallback(rest_ctx, rest_plan, why, started, views)
        return replace(
            first,
            findings=(*first.findings, *rest.findings),
            not_analyzed=(*first.not_analyzed, *rest.not_analyzed),
            analyzed=frozenset({*(first.analyzed or ()), *(rest.analyzed or ())}),
            notes=(*first.notes, *rest.notes),
        )

    def fallback(
        self, ctx: ScanContext, plan: RulePlan, why: str, started: float, views: Views
    ) -> ScanOutcome:
        """The Python CLI's run, in what is left of the scanner's time (not a second budget),
        with a note saying why it ran."""
        left = ctx.timeout - (time.monotonic() - started)
        if left <= 0:
            raise ScannerError(self.name, f"{why}, and no time was left for the Python CLI")
        try:
            outcome = self.run_engine(replace(ctx, timeout=left), plan, Engine.PYTHON, views)
        except ScannerError as e:
            raise ScannerError(self.name, f"{e.reason} (before it, {why})") from e
        note = f"semgrep ran its Python CLI: {why}"[:NOTE_CHARS]
        return replace(outcome, notes=(*outcome.notes, note))

    def run_engine(
        self,
        ctx: ScanContext,
        plan: RulePlan,
        engine: Engine,
        views: Views | None = None,
        *,
        partial: bool = False,
    ) -> ScanOutcome:
        """One engine's run; the targets it does not account for are not analyzed (with
        `partial`, left unaccounted for the caller to hand to the other engine)."""
        views = views or Views({}, {}, (), {})
        # The OCaml CLI prints its JSON, the error that stopped it included, before exiting
        # with one of these: read, so the fallback note says what went wrong.
        told = (*self.ok_codes, *OCAML_ERROR_CODES) if engine is Engine.OCAML else self.ok_codes
        paths = views.paths(ctx)
        done = self.execute(self.argv(ctx, engine, paths, plan), ctx, ok_codes=told)
        if done.returncode not in self.ok_codes:
            reason = _first_error(done.stdout) or _gist(done.stderr)
            raise ScannerError(self.name, f"semgrep exited with code {done.returncode}: {reason}")
        outcome = self.parse(done.stdout, ctx, engine=engine)
        if done.returncode == 1 and not outcome.findings:
            raise ScannerError(self.name, "semgrep exited 1 but reported no result")
        return self.unread(ctx, plan, views.outcome(outcome), views, partial=partial)

    def unread(
        self,
        ctx: ScanContext,
        plan: RulePlan,
        outcome: ScanOutcome,
        views: Views | None = None,
        *,
        partial: bool = False,
    ) -> ScanOutcome:
        """The outcome with the targets no configured rule reads as outside its coverage
        (semgrep drops such a file without a word), checked to account for every target."""
        views = views or Views({}, {}, (), {})
        unread = tuple(
            NotAnalyzed(t, "semgrep: no configured rule reads this file's language", uncovered=True)
            for t in ctx.targets
            if not reads(plan.languages, _as_read(t, views))
            and outcome.analyzed is not None
            and t not in outcome.analyzed
        )
        outcome = replace(outcome, not_analyzed=(*outcome.not_analyzed, *unread))
        if partial:
            if outcome.analyzed is None:
                raise ScannerError(self.name, "the output does not say which files it analyzed")
            return outcome
        return require_accounted(self.name, ctx, outcome)

    def parse(
        self, stdout: str, ctx: ScanContext, *, engine: Engine = Engine.PYTHON
    ) -> ScanOutcome:
        try:
            data = json.loads(stdout)
            results: list[dict[str, Any]] = data["results"]
            errors: list[dict[str, Any]] = data.get("errors", [])
        except (ValueError, KeyError, TypeError) as e:
            raise ScannerOutputError(self.name, f"output is not semgrep JSON: {e}") from e
        analyzed = _scanned(data, ctx)
        skipped_rules = data.get("skipped_rules")
        if engine is Engine.OCAML and skipped_rules:
            # Rules that did not run make a smaller result, not a clean one.
            count = len(skipped_rules) if isinstance(skipped_rules, list) else "some"
            raise ScannerOutputError(self.name, f"the OCaml engine skipped {count} rule(s)")
        # Any value of the wrong type anywhere is a broken tool, never a partial result.
        try:
            not_analyzed = self._errors(errors, ctx)
            findings = self._findings(results, ctx, engine)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as e:
            raise ScannerOutputError(self.name, f"unexpected semgrep result shape: {e!r}") from e
        return ScanOutcome(
            findings=findings,
            not_analyzed=tuple(dict.fromkeys(not_analyzed)),
            rulesets=self.rulesets(ctx),
            analyzed=analyzed,
        )

    def _errors(self, errors: list[dict[str, Any]], ctx: ScanContext) -> list[NotAnalyzed]:
        """The files semgrep's errors name, not analyzed; an error that names no file and
        stopped the run raises."""
        not_analyzed: list[NotAnalyzed] = []
        for err in errors:
            path = err.get("path") or _span_file(err)
            kind = err.get("type")
            kind_text = kind[0] if isinstance(kind, list) and kind else str(kind or "error")
            if path:
                not_analyzed.append(NotAnalyzed(ctx.relpath(str(path)), _reason(kind_text)))
            elif err.get("level") == "error":
                msg = (str(err.get("message") or kind_text).strip().splitlines() or ["?"])[0]
                raise ScannerError(self.name, f"semgrep reported an error: {msg}")
        return not_analyzed

    def _findings(
        self, results: list[dict[str, Any]], ctx: ScanContext, engine: Engine
    ) -> tuple[Finding, ...]:
        """The results as findings, marked where a `nosemgrep` comment hides them and by
        the trust of the rule set that reported them."""
        linked = self.linked_rules(ctx)
        findings = tuple(self._finding(r, ctx, linked) for r in results)
        check_ids = [str(r["check_id"]) for r in results]
        if engine is Engine.OCAML:
            check_ids = self.cli_ids(check_ids, ctx)
        findings = mark_suppressed(findings, check_ids, ctx)
        trust = self.rule_trust(ctx)
        return tuple(trust.mark(f) for f in findings)

    def cli_ids(self, check_ids: Sequence[str], ctx: ScanContext) -> list[str]:
        """The OCaml engine's rule ids as the Python CLI prints them, so a `nosemgrep`
        comment naming a prefixed id marks the same findings whichever engine ran. An id
        defined in two files keeps its bare form: it matches no prefixed comment (stricter)."""
        files = self.plan(ctx).defined_in()
        cwd = ctx.root.resolve()
        out = []
        for check_id in check_ids:
            where = files.get(check_id)
            out.append(check_id if where is None else cli_rule_id(where, check_id, cwd))
        return out

    def _finding(self, r: dict[str, Any], ctx: ScanContext, linked: frozenset[str]) -> Finding:
        extra: dict[str, Any] = r.get("extra", {})
        meta: dict[str, Any] = extra.get("metadata", {}) or {}
        check_id = str(r["check_id"])
        # Local rule files get their directory prepended as a dotted prefix; our ids have no dots.
        rule_id = check_id.rsplit(".", 1)[-1]
        cwe = tuple(
            dict.fromkeys(int(m) for c in _as_list(meta.get("cwe")) for m in _CWE.findall(str(c)))
        )
        refs = tuple(str(u) for u in _as_list(meta.get("references")) if u)
        if meta.get("source"):
            refs += (str(meta["source"]),)
        if rule_id not in linked:
            refs = ()  # links written by whoever wrote the rule: only trusted rule sets'
        message = str(extra.get("message", "")).strip()
        start, end = r.get("start", {}), r.get("end", {})
        owasp = tuple(f"owasp:{str(o).split(' ')[0]}" for o in _as_list(meta.get("owasp")))
        return Finding(
            scanner=self.name,
            rule_id=rule_id,
            title=str(meta.get("shortDescription") or rule_id.replace("-", " ")),
            message=message,
            severity=Severity.parse(str(extra.get("severity", "INFO"))),
            confidence=Confidence.parse(meta.get("confidence")),
            kind=FindingKind.CODE,
            location=Location(
                path=ctx.relpath(str(r["path"])),
                start_line=int(start["line"]),
                end_line=int(end.get("line", start["line"])),
                start_column=int(start.get("col", 1)),
                end_column=int(end["col"]) if "col" in end else None,
            ),
            cwe=cwe,
            references=refs,
            remediation=str(meta["remediation"]) if meta.get("remediation") else None,
            tags=("security", *owasp),
        )


def _needs_view(target: str, scripts: frozenset[str]) -> bool:
    """Python semgrep would not read as Python by its name."""
    return is_notebook(target) or target in scripts or target.lower().endswith(PYTHON_ALIASES)


def _as_read(target: str, views: Views) -> str:
    """The name semgrep sees for a target: a view's ends in `.py`."""
    return target + ".py" if views.path_of(target) is not None else target


def mark_suppressed(
    findings: tuple[Finding, ...], check_ids: list[str], ctx: ScanContext
) -> tuple[Finding, ...]:
    """Each finding a `nosemgrep` comment in its file would hide, marked with that comment."""
    sources: dict[str, list[str] | None] = {}
    # Only the files the tool was handed are read: a path in its output is not trusted.
    wanted = normalized(ctx.targets)
    out = []
    for f, check_id in zip(findings, check_ids, strict=True):
        path = f.location.path
        if path not in sources:
            sources[path] = _read_lines(ctx, path) if path in wanted else None
        lines = sources[path]
        n = f.location.start_line or 0
        if lines and 1 <= n <= len(lines):
            previous = lines[n - 2] if n >= 2 else None
            directive = nosem_directive(lines[n - 1], previous, check_id)
            if directive is not None:
                line = n if NOSEM_INLINE.search(lines[n - 1]) else n - 1
                f = replace(f, suppression=Suppression(directive=directive, line=line))
        out.append(f)
    return tuple(out)


def _read_lines(ctx: ScanContext, path: str) -> list[str] | None:
    try:
        source = (ctx.root / path).read_bytes()
    except (OSError, ValueError):
        return None  # unreadable now: nothing can be proven suppressed, so nothing is
    if b"nosem" not in source.lower():
        return None
    return source.decode("utf-8", errors="replace").split("\n")


#: semgrep error types that say more about this run than about the file.
TRANSIENT_ERRORS = frozenset({"Timeout", "OutOfMemory", "Out of memory"})


def _reason(kind_text: str) -> str:
    if kind_text == "Timeout":
        return f"semgrep: Timeout (a rule ran out of semgrep.rule_timeout) {TRANSIENT}"
    if kind_text in TRANSIENT_ERRORS:
        return f"semgrep: {kind_text} {TRANSIENT}"
    return f"semgrep: {kind_text}"


def _first_error(stdout: str) -> str | None:
    """The first error a semgrep JSON document carries, in one line; None if there is none."""
    try:
        errors = json.loads(stdout).get("errors")
        message = str(errors[0].get("message") or errors[0].get("type"))
    except (ValueError, AttributeError, TypeError, IndexError, KeyError):
        return None
    return " ".join(message.split())[:NOTE_CHARS] or None


def _gist(text: str) -> str:
    """The first line of an error and the last of the stderr it quotes."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return "no detail"
    return lines[0] if len(lines) == 1 else f"{lines[0]}: {lines[-1]}"


def _as_list(v: Any) -> list[Any]:
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def _scanned(data: Any, ctx: ScanContext) -> frozenset[str] | None:
    """The files the output says semgrep scanned; None when it does not say."""
    paths = data.get("paths") if isinstance(data, dict) else None
    scanned = paths.get("scanned") if isinstance(paths, dict) else None
    if isinstance(scanned, list):
        return frozenset(ctx.relpath(str(p)) for p in scanned)
    return None


def _span_file(err: dict[str, Any]) -> str | None:
    spans = err.get("spans") or []
    for s in spans:
        if isinstance(s, dict) and s.get("file"):
            return str(s["file"])
    return None


def semgrep_rule(rule_id: str, extra: tuple[Path, ...] = ()) -> RuleInfo | None:
    for rule, origin in _semgrep_index((data_dir("policies") / "semgrep", *extra)):
        if rule.get("id") == rule_id:
            meta: dict[str, Any] = rule.get("metadata") or {}
            labels = [str(c) for c in _as_list(meta.get("cwe"))]
            cwe = tuple(dict.fromkeys(int(m) for c in labels for m in re.findall(r"CWE-(\d+)", c)))
            message = " ".join(str(rule.get("message", "")).split())
            return RuleInfo(
                rule_id=rule_id,
                scanner="semgrep",
                kind=FindingKind.CODE,
                title=str(meta.get("shortDescription") or rule_id.replace("-", " ")),
                description=message,
                cwe=cwe,
                severity=Severity.parse(str(rule.get("severity", "INFO"))),
                fix=str(meta["remediation"]) if meta.get("remediation") else None,
                references=tuple(str(u) for u in _as_list(meta.get("references")) if u),
                source=origin,
            )
    return None


def _semgrep_index(roots: Iterable[Path]) -> list[tuple[dict[str, Any], str]]:
    out: list[tuple[dict[str, Any], str]] = []
    for root in roots:
        files = sorted(root.rglob("*.y*ml")) if root.is_dir() else [root]
        for path in files:
            if path.suffix not in (".yaml", ".yml") or not path.is_file():
                continue
            try:
                data = yaml.safe_load(_files.read_text(path))
            except (ConfigError, yaml.YAMLError):
                continue  # not a rule file; semgrep itself reports broken rule files
            rules = data.get("rules") if isinstance(data, dict) else None
            for rule in rules if isinstance(rules, list) else []:
                if isinstance(rule, dict):
                    out.append((rule, str(path)))
    return out
