"""secrets: credentials committed to files, from `trivy fs --scanners secret`; values never kept."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

from secscan.errors import ScannerOutputError
from secscan.model import redact
from secscan.model.findings import Finding, FindingKind, Location, Severity
from secscan.scanners import _trivy
from secscan.scanners.base import ScanContext, ScanOutcome
from secscan.util.cachedir import digest_file

#: The preview kept of a secret's line: trivy has already replaced the match with `*`.
PREVIEW_CHARS = 160
PREVIEW_LINES = 3
#: secscan's secret config: trivy's path allow rules (tests, examples, docs, Markdown) off,
#: only issuers' documentation example keys allowed. Shipped inside the package.
SECRET_CONFIG = Path(__file__).with_name("trivy-secret.yaml")
#: Text files trivy's secret analyzer never opens whatever its config says (measured with
#: trivy 0.76: lock files, go.mod/go.sum, SVG images). secscan's own detector reads them.
TRIVY_NEVER_READS = frozenset(
    {
        "Gemfile.lock",
        "Pipfile.lock",
        "go.mod",
        "go.sum",
        "package-lock.json",
        "pnpm-lock.yaml",
        "yarn.lock",
    }
)
TRIVY_NEVER_READS_SUFFIXES = (".svg",)
#: Bytes of such a file secscan reads (a lock file is rarely bigger).
DETECTOR_MAX_BYTES = 8 * 1024 * 1024
REMEDIATION = (
    "Revoke and rotate the credential now (it is in the history even after the file is fixed), "
    "then load it at run time from a secret store or the environment."
)


def masked_preview(
    code: Any, *, chars: int = PREVIEW_CHARS, lines: int = PREVIEW_LINES
) -> str | None:
    """The cause lines trivy masked, trimmed around the mask; None when no mask is visible.

    A cause line without `*` means trivy did not mask it (or the format changed): then no
    text is kept at all rather than risk showing the value.
    """
    cause = _trivy.cause_lines(code)
    if not cause or not any("*" in text for _, text in cause):
        return None
    out = []
    for _, text in cause[:lines]:
        text = text.strip()
        if len(text) > chars:
            star = max(0, text.find("*"))
            begin = max(0, min(star - chars // 4, len(text) - chars))
            text = ("..." if begin else "") + text[begin : begin + chars] + "..."
        out.append(text)
    if len(cause) > lines:
        out.append(f"... ({len(cause) - lines} more masked line(s))")
    return "\n".join(out)


class TrivySecretsScanner(_trivy.TrivyScanner):
    name: ClassVar[str] = "secrets"
    kind: ClassVar[FindingKind] = FindingKind.SECRET
    description: ClassVar[str] = "committed credentials (trivy secret rules; values are masked)"
    display_name: ClassVar[str] = "trivy fs --scanners secret"

    #: trivy's secret rules match within one file, as does secscan's detector: results are
    #: cached per file, and an incremental scan reads only the changed files.
    file_local: ClassVar[bool] = True

    def applies_to(self, path: str) -> bool:
        return True  # a credential can be pasted into any file

    def cache_material(self, ctx: ScanContext) -> str | None:
        rules = digest_file(SECRET_CONFIG)
        if rules is None:
            return None
        return f"secret;rules={rules};env={_trivy.settings_digest(os.environ)}"

    def argv(self, ctx: ScanContext) -> list[str]:
        where = _trivy.scope(ctx.root, ctx.targets)
        return [
            self.tool_path(),
            "fs",
            *self.common_flags(ctx),
            "--scanners",
            "secret",
            # a `trivy-secret.yaml` in the scanned tree could switch rules off: ours is named
            f"--secret-config={SECRET_CONFIG}",
            "--cache-backend",
            "memory",
            "--parallel",
            str(ctx.jobs),
            "--format",
            "json",
            *where.argv(),
            "--",
            ctx.abspath(where.directory) if where.directory else str(ctx.root),
        ]

    def scan(self, ctx: ScanContext) -> ScanOutcome:
        outcome = super().scan(ctx)
        extra = tuple(
            f
            for rel in ctx.targets
            if PurePosixPath(rel).name in TRIVY_NEVER_READS
            or rel.lower().endswith(TRIVY_NEVER_READS_SUFFIXES)
            for f in detector_findings(ctx.root, rel, self.name)
        )
        return replace(outcome, findings=outcome.findings + extra) if extra else outcome

    def parse(self, stdout: str, ctx: ScanContext) -> ScanOutcome:
        results = _trivy.load_results(stdout, self.name)
        directory = _trivy.base_dir(ctx.targets)
        wanted = set(ctx.targets)
        findings: list[Finding] = []
        try:
            for result in results:
                if result.get("Class") != "secret":
                    continue  # trivy fs also lists package manifests it noticed
                path = _trivy.to_root(directory, str(result["Target"]))
                if path not in wanted:
                    continue
                secrets = result.get("Secrets") or []
                findings.extend(secret_finding(s, path, self.name) for s in secrets)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as e:
            raise ScannerOutputError(self.name, f"unexpected trivy secret shape: {e!r}") from e
        return ScanOutcome(findings=tuple(findings))


def secret_finding(
    s: dict[str, Any], path: str, scanner: str, *, resource: str | None = None
) -> Finding:
    """One trivy secret as a Finding: rule, place and masked preview; `Match` is never read.

    Shared with the image scanner, which finds secrets in image layers.
    """
    rule = str(s["RuleID"])
    title = str(s.get("Title") or rule)
    category = str(s.get("Category") or "").strip()
    start = s.get("StartLine") or None
    end = s.get("EndLine") or start
    tags = ["secret"] + ([f"category:{category.lower()}"] if category else [])
    return Finding(
        scanner=scanner,
        rule_id=rule,
        title=title,
        message=f"{title} found; the value is masked and not stored by secscan",
        severity=Severity.parse(str(s.get("Severity") or "UNKNOWN")),
        kind=FindingKind.SECRET,
        location=Location(
            path=path,
            start_line=int(start) if start else None,
            end_line=int(end) if end else None,
            # Set here so the file is never read back for a snippet (it holds the secret).
            snippet=masked_preview(s.get("Code")),
        ),
        cwe=(798,),
        remediation=REMEDIATION,
        tags=tuple(tags),
        resource=resource,
    )


def detector_findings(root: Path, rel: str, scanner: str) -> list[Finding]:
    """Credentials of known formats in a file trivy skips, found by secscan's detector.

    Only formats that say what they are count (a token's issuer prefix, a URL password, a
    key block): lock files are full of random-looking hashes. No snippet is kept.
    """
    path = root / rel
    try:
        if path.is_symlink() or not path.is_file():
            return []
        with path.open("rb") as fh:
            text = fh.read(DETECTOR_MAX_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return []
    out: list[Finding] = []
    end_of_last = -1
    for span in sorted(redact.find_tokens(text), key=lambda s: (s.start, -s.end)):
        if span.start < end_of_last:
            continue  # one credential seen by two detectors is one finding
        end_of_last = span.end
        start = text.count("\n", 0, span.start) + 1
        end = start + text.count("\n", span.start, span.end)
        title = f"{span.kind} (secscan detector; trivy does not read this file)"
        out.append(
            Finding(
                scanner=scanner,
                rule_id=f"secscan-{span.kind}",
                title=title,
                message=f"{title} found; the value is masked and not stored by secscan",
                severity=Severity.HIGH,
                kind=FindingKind.SECRET,
                location=Location(path=rel, start_line=start, end_line=end),
                cwe=(798,),
                remediation=REMEDIATION,
                tags=("secret", "detector:secscan"),
            )
        )
    return out
