"""Post-judging trivy's misconfiguration findings with evidence read from the flagged file.

trivy's Dockerfile checks judge the text line by line; a few of their verdicts are wrong for
constructs the file itself shows to be harmless. Each judgement here keeps the finding (no
rule is hidden), lowers its severity only on evidence the scanned file states explicitly,
and says why in the message. A pull request that writes the evidence also writes the thing
judged: `ENV NPM_TOKEN=` stores no token whoever wrote it, and a final stage `FROM scratch`
holds nothing but what the same file copies in.

- DS-0031 on `ENV NAME=` whose value is empty (`ENV NPM_TOKEN=`, `ENV API_KEY=""`): the
  image stores an empty variable, no secret. `ARG NAME` (a build argument, which reaches the
  image history) and `ENV NAME=$NAME` keep trivy's rating.
- DS-0002 (no non-root USER) when the final stage is `FROM scratch`: the image holds only the
  files the Dockerfile copies in (no shell, no package manager, no user database), so root
  in it is a hint to set a numeric USER, not a high flaw. An explicit `USER root` / `USER 0`
  in that stage keeps trivy's rating.
- A Kubernetes check that fires because a field is absent (no readOnlyRootFilesystem, no
  resource limits, no securityContext, ...) on a Kustomize patch fragment: a file that a
  `kustomization.yaml` at or above it lists under `patches`/`patchesStrategicMerge`/
  `patchesJson6902` and that cannot be applied alone (a workload without a selector or a
  container without an image). The merged manifest takes that field from its base, which
  trivy judges on its own. The finding stays, rated info, naming the kustomization; a
  field the fragment sets (privileged: true) keeps trivy's rating, as does every check not
  in the table below and any complete manifest, whoever lists it as a patch.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from secscan.model.findings import Finding, Severity

#: Read a scanned file's bytes by its root-relative path; None when it cannot be read.
Reader = Callable[[str], bytes | None]

_SECRET_ENV = re.compile(r'secret env "([^"\n]{1,200})" in ENV\b')
_ESCAPE_DIRECTIVE = re.compile(r"^#\s*escape\s*=\s*([\\`])\s*$", re.IGNORECASE)
_ROOT_USERS = frozenset({"root", "0", "root:root", "0:0", "root:0", "0:root"})
#: A Dockerfile larger than this is judged as trivy rated it (no evidence is read).
MAX_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Instruction:
    line: int  # 1-based line of the instruction's first line
    keyword: str  # upper case: FROM, ENV, USER, ...
    args: str  # the rest, continuation lines joined


def instructions(text: str) -> list[Instruction]:
    """A Dockerfile's instructions with their first line, continuations joined, comments dropped.

    Parser directives (`# escape=`) are honoured when they open the file, as BuildKit reads
    them; heredoc bodies are not interpreted (their lines read as unknown instructions).
    """
    lines = text.splitlines()
    escape = _escape_character(lines)
    out: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for n, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        # A comment is dropped, inside a continued instruction too; a blank line is skipped
        # between instructions (inside one it joins as nothing).
        if stripped.startswith("#") or not (pending or stripped):
            continue
        if not pending:
            start = n
        if stripped.endswith(escape):
            pending.append(stripped[:-1])
            continue
        pending.append(stripped)
        out.append(_instruction(start, pending))
        pending = []
    if pending:
        out.append(_instruction(start, pending))
    return out


def _escape_character(lines: Sequence[str]) -> str:
    """The line-continuation character: a `# escape=` parser directive among the comment
    lines that open the file sets it, as BuildKit reads it; else a backslash."""
    escape = "\\"
    for raw in lines:
        if not raw.startswith("#"):
            break
        found = _ESCAPE_DIRECTIVE.match(raw.strip())
        if found:
            escape = found.group(1)
    return escape


def _instruction(start: int, parts: Sequence[str]) -> Instruction:
    """One instruction from its lines (continuation characters removed), joined."""
    joined = " ".join(p for p in parts if p)
    keyword, _, args = joined.partition(" ")
    return Instruction(start, keyword.upper(), args.strip())


def env_assignments(args: str) -> dict[str, str] | None:
    """`ENV A=1 B="x y"` -> {"A": "1", "B": "x y"}; the legacy `ENV A some value` form too.

    None when the text does not split as the shell-like words Docker reads (unbalanced quotes).
    """
    try:
        words = shlex.split(args, posix=True)
    except ValueError:
        return None
    if not words:
        return {}
    if "=" not in words[0]:
        # legacy form: the first word is the name, the rest of the line the value
        return {words[0]: " ".join(words[1:])}
    out: dict[str, str] = {}
    for w in words:
        name, eq, value = w.partition("=")
        if not eq:
            return None
        out[name] = value
    return out


def final_stage(found: Sequence[Instruction]) -> tuple[str, list[Instruction]] | None:
    """The base image of the last stage (stage aliases resolved) and that stage's instructions."""
    aliases: dict[str, str] = {}
    base: str | None = None
    body: list[Instruction] = []
    for ins in found:
        if ins.keyword == "FROM":
            words = [w for w in ins.args.split() if not w.startswith("--")]
            if not words:
                return None
            image = words[0]
            resolved = aliases.get(image.lower(), image)
            if len(words) >= 3 and words[1].lower() == "as":
                aliases[words[2].lower()] = resolved
            base, body = resolved, []
        elif base is not None:
            body.append(ins)
    return (base, body) if base is not None else None


def file_reader(root: Path) -> Reader:
    """Reads regular files under root, at most MAX_BYTES + 1 bytes (larger ones: no evidence)."""

    def read(rel: str) -> bytes | None:
        path = root / rel
        try:
            if path.is_symlink() or not path.is_file():
                return None
            with path.open("rb") as fh:
                return fh.read(MAX_BYTES + 1)
        except (OSError, ValueError):
            return None

    return read


def judge(findings: Sequence[Finding], read: Reader) -> tuple[Finding, ...]:
    """The findings, each Dockerfile one re-rated where its file gives evidence (see module)."""
    parsed: dict[str, list[Instruction] | None] = {}

    def dockerfile(path: str) -> list[Instruction] | None:
        if path not in parsed:
            content = read(path)
            if content is None or len(content) > MAX_BYTES:
                parsed[path] = None
            else:
                parsed[path] = instructions(content.decode("utf-8", "replace"))
        return parsed[path]

    fragments: dict[str, str | None] = {}

    def fragment_of(path: str) -> str | None:
        """The kustomization that lists `path` as a patch, when it is a fragment."""
        if path not in fragments:
            fragments[path] = None
            for k in kustomizations_above(path):
                if path in patch_paths(k, read(k)) and cannot_apply_alone(read(path)):
                    fragments[path] = k
                    break
        return fragments[path]

    out: list[Finding] = []
    for f in findings:
        if "dockerfile" in f.tags and f.rule_id in ("DS-0031", "DS-0002"):
            found = dockerfile(f.location.path)
            if found is not None:
                f = _judged(f, found)
        elif "kubernetes" in f.tags and f.rule_id in ABSENCE_KEYS:
            kustomization = fragment_of(f.location.path)
            content = read(f.location.path) if kustomization else None
            if kustomization and content and not _sets_key(content, ABSENCE_KEYS[f.rule_id]):
                f = _lowered(
                    f,
                    Severity.INFO,
                    f"secscan: {f.location.path} is a Kustomize patch listed by "
                    f"{kustomization}, not a manifest that can be applied alone, and it does "
                    "not set the field this check is about: the merged manifest takes it from "
                    "the base, which is judged on its own.",
                )
        out.append(f)
    return tuple(out)


def _judged(f: Finding, found: list[Instruction]) -> Finding:
    if f.rule_id == "DS-0031":
        return _empty_env(f, found)
    return _scratch_stage(f, found)


def _empty_env(f: Finding, found: list[Instruction]) -> Finding:
    """DS-0031 on an `ENV NAME=` that sets the secret-named variable to an empty value."""
    name = _SECRET_ENV.search(f.message)
    if name is None or f.location.start_line is None:
        return f
    at = [i for i in found if i.line == f.location.start_line and i.keyword == "ENV"]
    values = env_assignments(at[0].args) if at else None
    if values is None or values.get(name.group(1)) != "":
        return f
    return _lowered(
        f,
        Severity.INFO,
        f"secscan: line {f.location.start_line} sets {name.group(1)} to an empty value; "
        "the image stores no secret in it (a value passed at run time is not in the image).",
    )


def _scratch_stage(f: Finding, found: list[Instruction]) -> Finding:
    """DS-0002 when the final stage is `FROM scratch` and sets no root USER."""
    stage = final_stage(found)
    if stage is None or stage[0].lower() != "scratch":
        return f
    users = [i.args.split()[0].lower() for i in stage[1] if i.keyword == "USER" and i.args]
    if users and users[-1] in _ROOT_USERS:
        return f
    return _lowered(
        f,
        Severity.LOW,
        "secscan: the final stage is FROM scratch: the image holds only the files this "
        "Dockerfile copies in (no shell, no package manager, no user database); set a numeric "
        "USER (e.g. USER 65532) or runAsUser where it runs.",
    )


def _lowered(f: Finding, to: Severity, why: str) -> Finding:
    if f.severity <= to:
        return f
    return replace(f, severity=to, message=f"{f.message} ({why})")


# --- Kustomize patch fragments ----------------------------------------------------------

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
#: How many folders above a fragment a kustomization may sit (`patches/x.yaml` is common).
KUSTOMIZATION_LEVELS = 3
#: Checks that fire when a field is absent -> the keys whose presence in a fragment means
#: the fragment itself decides the verdict.
ABSENCE_KEYS: dict[str, tuple[str, ...]] = {
    "KSV-0001": ("allowPrivilegeEscalation",),
    "KSV-0003": ("drop",),
    "KSV-0004": ("drop",),
    "KSV-0011": ("limits",),
    "KSV-0012": ("runAsNonRoot",),
    "KSV-0013": ("image",),
    "KSV-0014": ("readOnlyRootFilesystem",),
    "KSV-0015": ("requests",),
    "KSV-0016": ("requests",),
    "KSV-0018": ("limits",),
    "KSV-0020": ("runAsUser",),
    "KSV-0021": ("runAsGroup",),
    "KSV-0030": ("seccompProfile",),
    "KSV-0104": ("seccompProfile",),
    "KSV-0106": ("drop",),
    "KSV-0110": ("namespace",),
    "KSV-0118": ("securityContext",),
}
_SELECTOR_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"})


class _NoAliases(yaml.SafeLoader):
    """Kustomize files need no YAML aliases; refusing them bounds what a hostile file costs."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("YAML aliases are not read here")
        return super().compose_node(parent, index)


def _documents(content: bytes | None) -> list[object] | None:
    if content is None or len(content) > MAX_BYTES:
        return None
    try:
        return list(yaml.load_all(content, Loader=_NoAliases))  # noqa: S506 - safe, no aliases
    except (yaml.YAMLError, ValueError, RecursionError):
        return None


def kustomizations_above(rel: str) -> list[str]:
    """Where a kustomization listing `rel` as a patch may sit: its folder and a few above."""
    out: list[str] = []
    folder = posixpath.dirname(rel)
    for _ in range(KUSTOMIZATION_LEVELS + 1):
        out += [posixpath.join(folder, n) if folder else n for n in KUSTOMIZATION_NAMES]
        if not folder:
            break
        folder = posixpath.dirname(folder)
    return out


def patch_paths(kustomization: str, content: bytes | None) -> set[str]:
    """Root-relative paths a kustomization lists as patches (inline patches have none)."""
    docs = _documents(content)
    if not docs or not isinstance(docs[0], dict):
        return set()
    spec = docs[0]
    here = posixpath.dirname(kustomization)
    listed: list[object] = []
    for key in ("patches", "patchesJson6902"):
        for item in spec.get(key) or ():
            if isinstance(item, dict):
                listed.append(item.get("path"))
    listed += list(spec.get("patchesStrategicMerge") or ())
    out = set()
    for p in listed:
        if isinstance(p, str) and p and "\n" not in p and not p.startswith("/"):
            joined = posixpath.normpath(posixpath.join(here, p))
            if not joined.startswith("../") and joined != "..":
                out.add(joined)
    return out


def cannot_apply_alone(content: bytes | None) -> bool:
    """Every workload in the file lacks what the API server requires to create it."""
    docs = _documents(content)
    if not docs:
        return False
    workloads = [d for d in docs if isinstance(d, dict) and isinstance(d.get("spec"), dict)]
    if not workloads:
        return False
    return all(_incomplete(d) for d in workloads)


def _incomplete(doc: dict[str, object]) -> bool:
    spec = doc["spec"]
    if not isinstance(spec, dict):
        return False
    if doc.get("kind") in _SELECTOR_KINDS and "selector" not in spec:
        return True
    pod = spec
    for step in ("jobTemplate", "spec", "template", "spec"):
        nxt = pod.get(step) if isinstance(pod, dict) else None
        if isinstance(nxt, dict):
            pod = nxt
    containers = pod.get("containers") if isinstance(pod, dict) else None
    if not isinstance(containers, list) or not containers:
        return True
    return any(isinstance(c, dict) and "image" not in c for c in containers)


def _sets_key(content: bytes, keys: Sequence[str]) -> bool:
    text = content.decode("utf-8", "replace")
    return any(re.search(rf"(?m)^[ \t-]*['\"]?{re.escape(k)}['\"]?[ \t]*:", text) for k in keys)
