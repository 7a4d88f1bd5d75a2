"""iac: Terraform, CloudFormation, Kubernetes, Helm and Dockerfile flaws from `trivy config`."""

from __future__ import annotations

import posixpath
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

from secscan._atomic import write_atomic
from secscan.checkids import canonical_check_id
from secscan.errors import ScannerError, ScannerOutputError
from secscan.findings import Finding, FindingKind, Location, NotAnalyzed, Severity, Suppression
from secscan.scanners import _trivy, trivy_titles
from secscan.scanners.base import ScanContext, ScanOutcome, require_accounted

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
        done = self.execute(self.argv(ctx), ctx)
        outcome = self.parse(done.stdout, ctx)
        not_analyzed = self.not_analyzed(done.stderr, ctx)
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
            findings=findings, not_analyzed=not_analyzed, analyzed=self.accounted(done.stdout, ctx)
        )
        require_accounted(self.name, ctx, out)
        return out

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
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise ScannerOutputError(
                self.name, f"unexpected trivy misconfiguration shape: {e!r}"
            ) from e
        return ScanOutcome(findings=tuple(findings))


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
    tags = ["iac"]
    if config_type:
        tags.append(config_type.lower())
    if cause.get("Provider"):
        tags.append(f"provider:{str(cause['Provider']).lower()}")
    if cause.get("Service"):
        tags.append(f"service:{str(cause['Service']).lower()}")
    return Finding(
        scanner=scanner,
        rule_id=canonical_check_id(check),
        title=trivy_titles.title(canonical_check_id(check), m.get("Title")),
        message=str(m.get("Message") or m.get("Description") or check).strip(),
        severity=Severity.parse(str(m.get("Severity") or "UNKNOWN")),
        kind=FindingKind.IAC,
        location=Location(
            path=path,
            start_line=int(start) if start else None,
            end_line=int(end) if end else None,
        ),
        references=tuple(dict.fromkeys(refs)),
        remediation=str(m["Resolution"]).strip() if m.get("Resolution") else None,
        aliases=_trivy.check_aliases(check, m.get("Namespace")),
        tags=tuple(tags),
        resource=resource or (str(cause["Resource"]) if cause.get("Resource") else None),
    )
