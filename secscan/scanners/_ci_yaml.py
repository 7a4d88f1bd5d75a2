"""What the CI-pipeline scanners share: a pipeline file read safely as a YAML node tree (every
value keeps its line), and the shell-script patterns that turn an expanded value into code.

The scanned tree wrote these files. They are read through `util.files` (a regular file, no
link, bounded), refused before anything walks them when their aliases expand past a bound
(billion laughs), and composed, never constructed: no tag (GitLab's `!reference`, or any
other) runs a constructor, and an unknown tag is just a node.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

from secscan.errors import ConfigError
from secscan.model.findings import Confidence, Finding, FindingKind, Location, Severity
from secscan.util import files as _files
from secscan.util.yamlio import alias_bomb

#: libyaml's composer when PyYAML was built with it (composition builds no Python objects).
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class Rule:
    """One of secscan's own CI-pipeline rules: what its findings say and how severe they are."""

    id: str
    title: str
    severity: Severity
    cwe: tuple[int, ...]
    fix: str

    def finding(self, scanner: str, rel: str, line: int, detail: str) -> Finding:
        """This rule's finding at `rel:line`, `detail` saying what was seen there."""
        return Finding(
            scanner=scanner,
            rule_id=self.id,
            title=self.title,
            message=f"{self.title}: {detail}",
            severity=self.severity,
            confidence=Confidence.HIGH,
            kind=FindingKind.IAC,
            location=Location(path=rel, start_line=line, end_line=line),
            cwe=self.cwe,
            remediation=self.fix,
            tags=("security", "ci-pipeline"),
        )


def short(text: str) -> str:
    """`text` on one line, at most 120 characters."""
    one = " ".join(text.split())
    return one if len(one) <= 120 else one[:117] + "..."


class CiYamlError(ValueError):
    """A pipeline file that cannot be read as YAML (the reason is safe to show)."""


def compose(root: Path, rel: str, limit: int) -> list[yaml.Node]:
    """The YAML documents of `rel` as node trees (empty documents left out)."""
    try:
        text = _files.read_text(root / rel, limit=limit)
    except ConfigError as e:
        raise CiYamlError(e.message) from e
    bomb = alias_bomb(text)
    if bomb is not None:
        raise CiYamlError(bomb)
    try:
        return list(yaml.compose_all(text, Loader=_LOADER))
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise CiYamlError(f"YAML syntax error{where}: {e.problem or 'not YAML'}") from e
    except (yaml.YAMLError, RecursionError) as e:
        raise CiYamlError(f"YAML syntax error: {type(e).__name__}") from e


def line(node: yaml.Node) -> int:
    """The 1-based line a node starts on."""
    return int(node.start_mark.line) + 1


def scalar(node: yaml.Node | None) -> str | None:
    """A scalar's text; None for a mapping, a sequence or no node."""
    return str(node.value) if isinstance(node, yaml.ScalarNode) else None


def pairs(node: yaml.Node | None) -> Iterator[tuple[str, yaml.Node, yaml.Node]]:
    """(key text, key node, value node) of a mapping, merge keys (`<<: *base`) resolved the
    way YAML resolves them: the mapping's own keys win, then the merged ones in order."""
    if not isinstance(node, yaml.MappingNode):
        return
    own: list[tuple[str, yaml.Node, yaml.Node]] = []
    merged: list[yaml.MappingNode] = []
    for k, v in node.value:
        key = scalar(k)
        if key == "<<":
            merged += [v] if isinstance(v, yaml.MappingNode) else []
            if isinstance(v, yaml.SequenceNode):
                merged += [m for m in v.value if isinstance(m, yaml.MappingNode)]
        elif key is not None:
            own.append((key, k, v))
    seen = {key for key, _, _ in own}
    yield from own
    for m in merged:
        for k, v in m.value:
            key = scalar(k)
            if key is not None and key != "<<" and key not in seen:
                seen.add(key)
                yield key, k, v


def get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value of `key` in a mapping node (None: absent, or not a mapping)."""
    for k, _, v in pairs(node):
        if k == key:
            return v
    return None


def items(node: yaml.Node | None) -> list[yaml.Node]:
    """A sequence's entries; a lone value is a sequence of one; nothing is empty."""
    if node is None:
        return []
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return [node]


def strings(node: yaml.Node | None) -> Iterator[tuple[str, int]]:
    """(text, line of its first line) of every scalar under a node, nested sequences
    flattened (a script of `!reference` lists and plain lines alike); a block scalar's text
    (`run: |`, `- |`) starts on the line after its indicator. Mappings are not entered."""
    stack = [node] if node is not None else []
    while stack:
        n = stack.pop(0)
        if isinstance(n, yaml.ScalarNode):
            yield str(n.value), line(n) + (1 if n.style in ("|", ">") else 0)
        elif isinstance(n, yaml.SequenceNode):
            stack[:0] = list(n.value)


# --- shell -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expansion:
    """How a script line expands a variable: `reparsed` when the shell reads its value as
    code again (eval, `sh -c`, `source`), `unquoted` when it is split into words."""

    variable: str
    reparsed: bool
    unquoted: bool


#: Commands that read their argument as shell code again.
_REPARSE = re.compile(
    r"(?:^|[;&|({`\s])(?:eval|source|\.)\s"
    r"|(?:^|[;&|({`\s])(?:ba|da|z|k|fi)?sh\s+(?:-[a-z]*\s+)*-[a-z]*c\b"
    r"|(?:^|[;&|({`\s])(?:pwsh|powershell)(?:\.exe)?\s+(?:-\w+\s+)*-c(?:ommand)?\b"
    r"|\bInvoke-Expression\b|\biex\b",
    re.IGNORECASE,
)
#: A shell reading its script from a pipe (`echo "$MSG" | bash`): what comes before is code.
_PIPED_TO_SHELL = re.compile(r"\|\s*(?:ba|da|z|k)?sh\b(?!\s+-c)")


#: A here-document's start (`<<EOF`, `<<-'EOF'`, `<<"EOF"`; a here-string `<<<` is none).
_HEREDOC = re.compile(
    r"(?<!<)<<(?!<)-?[ \t]*(?:'(?P<single>[^'\n]+)'|\"(?P<double>[^\"\n]+)\""
    r"|\\?(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)
#: Commands that run a here-document's body as a program.
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh"})
_INTERPRETERS = _SHELLS | {"python", "python3", "node", "ruby", "perl", "php", "pwsh"}


def script_lines(text: str) -> Iterator[tuple[int, str, str]]:
    """(index, line, role) of a script's lines, here-document bodies told apart: `command`
    for a line the shell runs (a shell's quoted here-document body too: the inner shell runs
    it), `code` for the body of an unquoted here-document fed to a shell or an interpreter
    (the outer shell expands variables into a program), `data` for any other body (written
    to a file or a command's input: no expansion there is code or a log line)."""
    pending: list[tuple[str, str]] = []  # (delimiter, role of the body)
    for i, ln in enumerate(text.splitlines() or [text]):
        if pending:
            delimiter, role = pending[0]
            if ln.strip() == delimiter:
                pending.pop(0)
                continue
            yield i, ln, role
            continue
        yield i, ln, "command"
        for m in _HEREDOC.finditer(ln):
            quoted = m["bare"] is None
            words = re.split(r"[;&|(]", ln[: m.start()])[-1].split()
            program = PurePosixPath(words[0]).name if words else ""
            program = re.sub(r"[0-9.]+$", "", program) if program.startswith("python") else program
            if program in _SHELLS and quoted:
                role = "command"
            elif program in _INTERPRETERS and not quoted:
                role = "code"
            else:
                role = "data"
            pending.append((m["single"] or m["double"] or m["bare"], role))


def expansions(script: str, names: frozenset[str] | re.Pattern[str]) -> list[Expansion]:
    """Each expansion in `script` of a variable `names` matches: `$NAME`, `${NAME}`,
    `${NAME:-x}`, PowerShell `$env:NAME`, cmd `%NAME%`, with how it is expanded."""
    out: list[Expansion] = []
    reparse = _REPARSE.search(script)
    piped = _PIPED_TO_SHELL.search(script)
    for m in _VARIABLE.finditer(script):
        name = next(g for g in m.groups() if g)
        if not _named(name, names):
            continue
        quoted = _inside_double_quotes(script, m.start())
        single = _inside_single_quotes(script, m.start())
        out.append(
            Expansion(
                variable=name,
                reparsed=bool(
                    (reparse and reparse.start() < m.start())
                    or (piped and m.start() < piped.start())
                ),
                unquoted=not quoted and not single,
            )
        )
    return out


_VARIABLE = re.compile(
    r"\$env:([A-Za-z_][A-Za-z0-9_]*)|\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}"
    r"|\$([A-Za-z_][A-Za-z0-9_]*)|%([A-Za-z_][A-Za-z0-9_]*)%",
    re.IGNORECASE,
)


def _named(name: str, names: frozenset[str] | re.Pattern[str]) -> bool:
    if isinstance(names, frozenset):
        return name in names
    return bool(names.fullmatch(name))


def _inside_double_quotes(text: str, pos: int) -> bool:
    """Whether `pos` is inside a double-quoted string (backslash escapes and single-quoted
    runs outside double quotes respected; one line's view, as a CI script line is)."""
    return _quote_at(text, pos) == '"'


def _inside_single_quotes(text: str, pos: int) -> bool:
    return _quote_at(text, pos) == "'"


def _quote_at(text: str, pos: int) -> str | None:
    quote: str | None = None
    i = 0
    while i < pos:
        c = text[i]
        if c == "\\" and quote != "'":
            i += 2
            continue
        if quote is None and c in "\"'":
            quote = c
        elif c == quote:
            quote = None
        i += 1
    return quote
