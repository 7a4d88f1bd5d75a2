"""iac: Terraform, CloudFormation, Kubernetes, Helm and Dockerfile flaws from `trivy config`."""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

from secscan.errors import ScannerError, ScannerOutputError
from secscan.model.checkids import canonical_check_id
from secscan.model.findings import (
    Finding,
    FindingKind,
    Location,
    NotAnalyzed,
    Severity,
    Suppression,
)
from secscan.scanners import _trivy, iac_evidence, trivy_titles
from secscan.scanners.base import Caching, ScanContext, ScanOutcome, require_accounted
from secscan.util.atomic import write_atomic
from secscan.util.yamlio import alias_bomb

#: Files trivy's misconfiguration scanners may read. YAML and JSON are handed over whole:
#: only trivy can tell a Kubernetes manifest or a CloudFormation template from other data.
#: `.tpl` is for Helm helpers, `.tgz` for packaged charts. trivy 0.76 has no docker-compose
#: scanner, so compose files are passed (they are YAML) but yield nothing.
EXTENSIONS = (
    ".tf",
    ".tf.json",
    ".tfvars",
    ".tfvars.json",
    ".yaml",
    ".yml",
    ".json",
    ".tpl",
    ".tgz",
)
_DOCKERFILE_NAMES = ("dockerfile", "containerfile")
#: An inline ignore as trivy reads one (pkg/iac/ignore/parse.go): a space-separated word that,
#: after leading `#`, `/` and `*`, starts with `trivy:` or `tfsec:`.
_DIRECTIVE = re.compile(rb"(?:^|(?<=[\s#/*]))(?:trivy|tfsec):")
_DIRECTIVE_TEXT = re.compile(r"(?:trivy|tfsec):\S+")
MAX_DIRECTIVE = 200
_TERRAFORM = (".tf", ".tf.json", ".tfvars", ".tfvars.json")
_TERRAFORM_CODE = (".tf", ".tf.json")
#: A `module` block's opening (HCL labels may be quoted or bare).
_MODULE_BLOCK = re.compile(r'\bmodule\s+(?:"[^"\n]*"|[A-Za-z_][\w-]*)\s*\{')
_SOURCE = re.compile(r'\bsource\s*=\s*"([^"\n]*)"')
#: Terraform functions that read other files: a module using one depends on files secscan
#: cannot name, so its cache scope is every target.
_READS_FILES = re.compile(
    r"\b(?:file(?:base64|exists|set|md5|sha1|sha256|sha512|base64sha256|base64sha512)?|"
    r"templatefile)\s*\("
)


def is_dockerfile(name: str) -> bool:
    """`Dockerfile`, `Dockerfile.prod`, `web.dockerfile`, `Containerfile`: names trivy detects."""
    low = name.lower()
    return any(
        low == n or low.startswith(n + ".") or low.endswith("." + n) for n in _DOCKERFILE_NAMES
    )


def is_certainly_iac(path: str) -> bool:
    """Terraform files and Dockerfiles are IaC by their name; YAML and JSON only maybe."""
    base = path.rsplit("/", 1)[-1]
    return base.lower().endswith((".tf", ".tf.json", ".tfvars", ".tfvars.json")) or (
        is_dockerfile(base)
    )


class TrivyConfigScanner(_trivy.TrivyScanner):
    name: ClassVar[str] = "iac"
    kind: ClassVar[FindingKind] = FindingKind.IAC
    description: ClassVar[str] = (
        "infrastructure-as-code misconfigurations (trivy config, embedded checks, offline)"
    )
    display_name: ClassVar[str] = "trivy config"

    def applies_to(self, path: str) -> bool:
        base = path.rsplit("/", 1)[-1]
        return base.lower().endswith(EXTENSIONS) or is_dockerfile(base)

    #: Per target: Dockerfiles, Kubernetes manifests and CloudFormation templates are judged
    #: file by file; a Terraform module (with the local modules it calls or is called by) and
    #: a Helm chart are judged whole, so each of their files is keyed by all of them.
    caching: ClassVar[Caching] = Caching.PER_TARGET

    def __init__(self) -> None:
        self._scopes: dict[tuple[Path, tuple[str, ...]], IacScopes] = {}

    def cache_material(self, ctx: ScanContext) -> str | None:
        checks = _trivy.checks_digest(_trivy.default_cache_dir(os.environ))
        return f"config;checks={checks};env={_trivy.settings_digest(os.environ)}"

    def cache_scope(self, rel: str, ctx: ScanContext) -> tuple[str, ...] | None:
        key = (ctx.root, ctx.targets)
        scopes = self._scopes.get(key)
        if scopes is None:
            scopes = self._scopes[key] = iac_scopes(ctx.root, ctx.targets)
        scope = scopes.of(rel)
        if scope is not None and rel.lower().endswith((".yaml", ".yml")):
            # A kustomization above a manifest decides whether it is a patch fragment
            # (iac_evidence): its content keys the manifest's result too.
            above = [k for k in iac_evidence.kustomizations_above(rel) if (ctx.root / k).is_file()]
            scope = tuple(dict.fromkeys((*scope, *above)))
        return scope

    def argv(self, ctx: ScanContext) -> list[str]:
        where = _trivy.scope(ctx.root, ctx.targets)
        return [
            self.tool_path(),
            "config",
            *self.common_flags(ctx),
            # embedded checks only: the check bundle download is a network call
            "--skip-check-update",
            "--format",
            "json",
            *where.argv(),
            "--",
            ctx.abspath(where.directory) if where.directory else str(ctx.root),
        ]

    def scan(self, ctx: ScanContext) -> ScanOutcome:
        # trivy parses YAML itself and drops a document its parser will not expand without a
        # word: "analyzed, 0 findings". Such files are found first and named not analyzed.
        bombs = alias_bombs(ctx)
        done = self.execute(self.argv(ctx), ctx)
        outcome = self.parse(done.stdout, ctx)
        bombed = {b.path for b in bombs}
        not_analyzed = (
            *bombs,
            *(n for n in self.not_analyzed(done.stderr, ctx) if n.path not in bombed),
        )
        # YAML and JSON files may be no IaC at all; Terraform files and Dockerfiles surely are.
        # When every one of those failed to parse and nothing else produced a finding, trivy
        # assessed nothing: that is an error, not a clean result.
        certain = [t for t in ctx.targets if is_certainly_iac(t)]
        unparsed = {n.path for n in not_analyzed}
        if certain and unparsed.issuperset(certain) and not outcome.findings:
            first = not_analyzed[0]
            raise ScannerError(
                self.name,
                f"trivy could not parse any of the {len(certain)} IaC file(s) it was given "
                f"(first: {first.path}: {first.reason})",
            )
        # trivy 0.76 has no switch to report what an inline ignore hid: the files that carry
        # one are scanned once more with every directive defused, and the difference is it.
        directives = _directive_files(ctx)
        findings = outcome.findings
        if directives:
            findings = (*findings, *self._suppressed(ctx, outcome.findings, directives))
        out = ScanOutcome(
            findings=findings,
            not_analyzed=not_analyzed,
            analyzed=self.accounted(done.stdout, ctx) - bombed,
        )
        # A file trivy does not recognise by its name (`Dockerfile.builder.yarn`) gets no
        # result of its own: it is not analyzed, and the other files keep their findings.
        return require_accounted(
            self.name,
            ctx,
            out,
            "trivy config reported no result for it (not recognised)",
            evidence=certain,
        )

    def accounted(self, stdout: str, ctx: ScanContext) -> frozenset[str]:
        """The targets trivy's report vouches for.

        A Dockerfile must appear as a result of its own; a Terraform file appears when a check
        fails in it, and otherwise its module (a folder at or above it) carries the pass
        count. YAML and JSON may be no IaC at all: trivy reports only those it recognised, so
        silence about them proves nothing either way and they are not held against it.
        """
        directory = _trivy.base_dir(ctx.targets)
        reported = {
            posixpath.normpath(_trivy.to_root(directory, str(r.get("Target")))): str(
                r.get("Type") or ""
            )
            for r in _trivy.load_results(stdout, self.name)
        }
        modules = {p for p, kind in reported.items() if kind == "terraform"}
        out = set()
        for t in ctx.targets:
            here = posixpath.normpath(t)
            if here in reported or not is_certainly_iac(t):
                out.add(t)
            elif here.lower().endswith(_TERRAFORM) and any(
                p.as_posix() in modules for p in PurePosixPath(here).parents
            ):
                out.add(t)
        return frozenset(out)

    def _suppressed(
        self, ctx: ScanContext, honoured: tuple[Finding, ...], directives: dict[str, bytes]
    ) -> list[Finding]:
        """The findings trivy's inline ignores hid: those a run with them defused adds."""
        work = Path(tempfile.mkdtemp(prefix="secscan-iac-"))
        try:
            for t in ctx.targets:
                content = directives.get(t)
                if content is None:
                    try:
                        content = (ctx.root / t).read_bytes()
                    except (OSError, ValueError):
                        continue
                write_atomic(work / t, defuse(content))
            shadow = replace(ctx, root=work)
            done = self.execute(self.argv(shadow), shadow)
            every = self.parse(done.stdout, shadow).findings
        finally:
            shutil.rmtree(work, ignore_errors=True)
        seen = Counter(_key(f) for f in honoured)
        out = []
        for f in every:
            if seen[_key(f)]:
                seen[_key(f)] -= 1
                continue
            directive = directive_near(directives.get(f.location.path, b""), f.location.start_line)
            out.append(replace(f, suppression=directive))
        return out

    def not_analyzed(self, stderr: str, ctx: ScanContext) -> tuple[NotAnalyzed, ...]:
        """trivy exits 0 and reports nothing for a file it cannot parse; its log names the file."""
        directory = _trivy.base_dir(ctx.targets)
        return tuple(
            NotAnalyzed(_trivy.to_root(directory, p.path), p.message)
            for p in _trivy.log_problems(stderr)
        )

    def parse(self, stdout: str, ctx: ScanContext) -> ScanOutcome:
        results = _trivy.load_results(stdout, self.name)
        directory = _trivy.base_dir(ctx.targets)
        wanted = set(ctx.targets)
        findings: list[Finding] = []
        try:
            for result in results:
                path = _trivy.to_root(directory, str(result["Target"]))
                if path not in wanted:
                    # trivy saw the whole directory; secscan's selection (excludes, explicit
                    # files) decides what is reported. Module-level results name a folder
                    # and carry only pass counts.
                    continue
                config_type = str(result.get("Type") or "")
                findings.extend(
                    misconfig_finding(m, path, config_type, self.name)
                    for m in result.get("Misconfigurations") or []
                    if m.get("Status", "FAIL") == "FAIL"
                )
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as e:
            raise ScannerOutputError(
                self.name, f"unexpected trivy misconfiguration shape: {e!r}"
            ) from e
        return ScanOutcome(
            findings=iac_evidence.judge(findings, iac_evidence.file_reader(ctx.root))
        )


@dataclass(frozen=True, slots=True)
class IacScopes:
    """Which targets trivy judges together (see iac_scopes)."""

    #: target -> the targets that decide its findings; a target absent here is file-local.
    groups: dict[str, tuple[str, ...]]
    #: Targets whose dependencies secscan cannot name (a remote module): never cached.
    unknown: frozenset[str]

    def of(self, rel: str) -> tuple[str, ...] | None:
        if rel in self.unknown:
            return None
        return self.groups.get(rel, (rel,))


def iac_scopes(root: Path, targets: Sequence[str]) -> IacScopes:
    """The cache scope of every target, as trivy evaluates them.

    trivy evaluates Terraform per module directory: the `.tf` files of a folder are one
    module, and a local `module { source = "../x" }` makes the caller's inputs decide the
    callee's findings (and the callee decide the caller's). Folders linked that way, both
    directions, form one group; each Terraform target is keyed by every Terraform target of
    its group, so editing one `.tf` file re-scans its module (and the modules it is linked
    to), not the tree. A module that reads files (`file()`, `templatefile()`) is keyed by
    every target; one calling a module from a registry or a repository (fetched, or read
    from `.terraform/`) is never cached. A Helm chart (a folder with `Chart.yaml`, subcharts
    inside it) is rendered whole: its files are keyed by every target in the chart.
    """
    folder = {t: posixpath.dirname(t) for t in targets}
    groups, unknown = _terraform_scopes(root, targets, folder)
    _add_chart_scopes(root, targets, folder, groups)
    return IacScopes(groups, frozenset(unknown))


def _terraform_scopes(
    root: Path, targets: Sequence[str], folder: Mapping[str, str]
) -> tuple[dict[str, tuple[str, ...]], set[str]]:
    """Each Terraform target's scope (its linked modules' targets, or every target when one
    of them reads files), and the targets of groups whose dependencies cannot be named."""
    terraform = [t for t in targets if t.lower().endswith(_TERRAFORM)]
    links = _ModuleLinks({folder[t] for t in terraform})
    for t in terraform:
        if t.lower().endswith(_TERRAFORM_CODE):
            links.read(root, t, folder[t])
    groups: dict[str, tuple[str, ...]] = {}
    unknown: set[str] = set()
    members: dict[str, list[str]] = {}
    for t in terraform:
        members.setdefault(links.find(folder[t]), []).append(t)
    bad = {links.find(d) for d in links.unknown}
    wide = {links.find(d) for d in links.reads_files}
    for group, files in members.items():
        if group in bad:
            unknown.update(files)
            continue
        scope = tuple(sorted(targets)) if group in wide else tuple(sorted(files))
        groups.update(dict.fromkeys(files, scope))
    return groups, unknown


class _ModuleLinks:
    """Terraform module folders joined when one calls the other (union-find), with the
    folders that call a module secscan cannot name and those that read files."""

    def __init__(self, folders: Iterable[str]) -> None:
        self.parent = {d: d for d in folders}
        self.unknown: set[str] = set()
        self.reads_files: set[str] = set()

    def find(self, d: str) -> str:
        parent = self.parent
        while parent[d] != d:
            parent[d] = parent[parent[d]]
            d = parent[d]
        return d

    def read(self, root: Path, t: str, here: str) -> None:
        """Link the module folder `here` to each local module its file `t` calls."""
        try:
            text = (root / t).read_text(encoding="utf-8", errors="replace")
        except OSError:
            self.unknown.add(here)
            return
        if _READS_FILES.search(text):
            self.reads_files.add(here)
        sources = _module_sources(text, json_syntax=t.lower().endswith(".json"))
        if sources is None:
            self.unknown.add(here)
            return
        for source in sources:
            callee = _local_module(here, source)
            if callee is None:
                self.unknown.add(here)
                continue
            self.parent.setdefault(callee, callee)
            self.parent[self.find(callee)] = self.find(here)


def _add_chart_scopes(
    root: Path,
    targets: Sequence[str],
    folder: Mapping[str, str],
    groups: dict[str, tuple[str, ...]],
) -> None:
    """Key every target of a Helm chart by every target in the chart (and their scopes)."""
    charts: dict[str, list[str]] = {}
    roots: dict[str, str | None] = {}
    for t in targets:
        if folder[t] not in roots:
            roots[folder[t]] = _chart_root(root, folder[t])
        chart = roots[folder[t]]
        if chart is not None:
            charts.setdefault(chart, []).append(t)
    for files in charts.values():
        scope = tuple(sorted(set(files).union(*(groups.get(f, ()) for f in files))))
        groups.update(dict.fromkeys(files, scope))


def _module_sources(text: str, *, json_syntax: bool) -> list[str] | None:
    """Every `module` block's `source`; None when a block's source cannot be read."""
    if json_syntax:
        try:
            data = json.loads(text)
        except ValueError:
            return None
        blocks = data.get("module") if isinstance(data, dict) else None
        if blocks is None:
            return []
        found: list[str] = []
        for body in _json_module_bodies(blocks):
            source = body.get("source") if isinstance(body, dict) else None
            if not isinstance(source, str):
                return None
            found.append(source)
        return found
    out: list[str] = []
    for m in _MODULE_BLOCK.finditer(text):
        depth, end = 1, m.end()
        while depth and end < len(text):
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        source = _SOURCE.search(text, m.end(), end)
        if depth or source is None:
            return None  # an unterminated block, or one whose source is not a literal here
        out.append(source.group(1))
    return out


def _json_module_bodies(blocks: Any) -> list[Any]:
    """`"module": {"name": {...}}` or `{"name": [{...}]}` or a list of such objects."""
    if isinstance(blocks, list):
        return [b for item in blocks for b in _json_module_bodies(item)]
    if not isinstance(blocks, dict):
        return [None]
    out: list[Any] = []
    for body in blocks.values():
        out.extend(body if isinstance(body, list) else [body])
    return out


def _local_module(folder: str, source: str) -> str | None:
    """The folder of a local module source (`./x`, `../x`), relative to the scan root; None
    for a registry or repository source, or one that leaves the root."""
    if not source.startswith(("./", "../")):
        return None
    joined = posixpath.normpath(posixpath.join(folder, source))
    if joined == ".":
        return ""
    return None if joined.startswith("../") or joined == ".." else joined


def _chart_root(root: Path, folder: str) -> str | None:
    """The outermost folder at or above `folder` holding a Chart.yaml (a chart and its
    subcharts render together)."""
    found = None
    parts = PurePosixPath(folder).parts if folder else ()
    for n in range(len(parts) + 1):
        d = "/".join(parts[:n])
        if (root / d / "Chart.yaml").is_file():
            found = d
            break
    return found


def _directive_files(ctx: ScanContext) -> dict[str, bytes]:
    out = {}
    for t in ctx.targets:
        try:
            content = (ctx.root / t).read_bytes()
        except (OSError, ValueError):
            continue
        if _DIRECTIVE.search(content):
            out[t] = content
    return out


def alias_bombs(ctx: ScanContext) -> tuple[NotAnalyzed, ...]:
    """The YAML targets whose aliases expand past `_yaml.MAX_EXPANDED_NODES` (or into
    themselves): not analyzed, with the reason."""
    out = []
    for t in ctx.targets:
        if not t.lower().endswith((".yaml", ".yml")):
            continue
        try:
            content = (ctx.root / t).read_bytes()
        except OSError:
            continue  # trivy says what it could not read
        if b"&" not in content or b"*" not in content:
            continue
        why = alias_bomb(content.decode("utf-8", errors="replace"))
        if why is not None:
            out.append(NotAnalyzed(t, why))
    return tuple(out)


def defuse(content: bytes) -> bytes:
    """The same file with every inline ignore made unreadable to trivy, lines and columns kept."""
    return _DIRECTIVE.sub(lambda m: m.group(0)[:-1] + b"_", content)


def directive_near(content: bytes, line: int | None) -> Suppression:
    """The directive closest above (or on) a finding's first line: the one that hid it."""
    found = [
        (n, m.group(0))
        for n, text in enumerate(content.decode("utf-8", errors="replace").splitlines(), 1)
        for m in _DIRECTIVE_TEXT.finditer(text)
    ]
    if not found:
        return Suppression(directive="trivy:ignore")
    above = [(n, d) for n, d in found if line is None or n <= line]
    n, directive = above[-1] if above else found[0]
    return Suppression(directive=directive[:MAX_DIRECTIVE], line=n)


def _key(f: Finding) -> tuple[object, ...]:
    loc = f.location
    return (loc.path, f.rule_id, loc.start_line, loc.end_line, f.resource, f.message)


def misconfig_finding(
    m: dict[str, Any], path: str, config_type: str, scanner: str, *, resource: str | None = None
) -> Finding:
    """One failed trivy check as a Finding; shared with the image scanner (configs in layers)."""
    cause: dict[str, Any] = m.get("CauseMetadata") or {}
    check = str(m["ID"])
    start = cause.get("StartLine") or None
    end = cause.get("EndLine") or start
    refs = [str(u) for u in (m.get("PrimaryURL"), *(m.get("References") or [])) if u]
    tags = _misconfig_tags(config_type, cause)
    return Finding(
        scanner=scanner,
        rule_id=canonical_check_id(check),
        title=trivy_titles.title(canonical_check_id(check), m.get("Title")),
        message=str(m.get("Message") or m.get("Description") or check).strip(),
        severity=Severity.parse(str(m.get("Severity") or "UNKNOWN")),
        kind=FindingKind.IAC,
        location=Location(path=path, start_line=_line(start), end_line=_line(end)),
        references=tuple(dict.fromkeys(refs)),
        remediation=str(m["Resolution"]).strip() if m.get("Resolution") else None,
        aliases=_trivy.check_aliases(check, m.get("Namespace")),
        tags=tuple(tags),
        resource=resource or (str(cause["Resource"]) if cause.get("Resource") else None),
    )


def _misconfig_tags(config_type: str, cause: dict[str, Any]) -> list[str]:
    """`iac`, the config type, and the provider and service the check is about."""
    tags = ["iac"]
    if config_type:
        tags.append(config_type.lower())
    if cause.get("Provider"):
        tags.append(f"provider:{str(cause['Provider']).lower()}")
    if cause.get("Service"):
        tags.append(f"service:{str(cause['Service']).lower()}")
    return tags


def _line(value: Any) -> int | None:
    return int(value) if value else None
