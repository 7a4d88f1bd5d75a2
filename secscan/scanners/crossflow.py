"""Request data that reaches a sink through a call into another function or module.

semgrep's open engine follows taint inside one function; a view that hands `request.args[...]`
to a helper which shells out (in the same module or another) is only an audit finding there.
This pass summarises, per function of the scanned Python files, which parameters reach which
sinks (directly, or through further calls it can resolve), then links every call site that
passes web-request data into such a parameter: in the same file and across modules, resolved
over the files' own imports (`import pkg.mod`, `from pkg.mod import f`, `from . import mod`).

A flow names its whole path, source -> call(s) -> sink, each step a file and line; its finding
stands at the first call (where the request data leaves the function that read it). The
analysis is deliberately small and sound for what it claims: a parameter reaches a sink only
through assignments, expressions and calls it sees; a sanitizer (`shlex.quote`, `int`, ...)
stops it; a name rebound to a constant on the way no longer carries it. Every parse goes
through util/pysource (one thread at a time); a file that does not parse contributes nothing.
The scanned tree is untrusted: files are read bounded, nothing is imported or run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import ClassVar

from secscan import __version__
from secscan.errors import ConfigError
from secscan.model.findings import (
    Confidence,
    Finding,
    FindingKind,
    FlowStep,
    Location,
    Severity,
)
from secscan.scanners._own_rules import SelectsByPath
from secscan.scanners.base import (
    RuleInfo,
    RuleLookup,
    ScanContext,
    ScanOutcome,
)
from secscan.util import files as _files
from secscan.util import pysource

#: A flow class: the pack rule it is reported under, its CWE, its title.
CLASSES: dict[str, tuple[str, int, str]] = {
    "command": ("python-command-injection-request-data", 78, "a shell command"),
    "code": ("python-eval-request-data", 95, "eval()/exec()"),
    "sql": ("python-sql-injection-request-data", 89, "an SQL statement"),
    "deserialization": ("python-deserialization-request-data", 502, "a deserializer"),
    "path": ("python-path-traversal-open", 22, "a file path"),
}

_SHELL_CALLS = {"run", "call", "check_call", "check_output", "Popen"}
_SHELL_ALWAYS = {
    ("os", "system"),
    ("os", "popen"),
    ("subprocess", "getoutput"),
    ("subprocess", "getstatusoutput"),
}
_DESERIALIZERS = {
    ("pickle", "loads"),
    ("pickle", "load"),
    ("marshal", "loads"),
    ("dill", "loads"),
    ("jsonpickle", "decode"),
    ("yaml", "unsafe_load"),
}
_SANITIZERS = {
    ("shlex", "quote"),
    ("pipes", "quote"),
    ("", "int"),
    ("", "float"),
    ("", "bool"),
    ("", "len"),
    ("werkzeug.utils", "secure_filename"),
    ("os.path", "basename"),
}
#: Attributes of a web framework's request object that carry client data.
_REQUEST_ATTRS = frozenset(
    {
        "args", "form", "values", "files", "json", "data", "cookies", "headers", "view_args",
        "get_json", "get_data", "GET", "POST", "FILES", "COOKIES", "META", "body",
        "query_params", "path_params", "match_info", "query", "rel_url", "post",
    }
)  # fmt: skip

MAX_FILE_BYTES = 2_000_000
MAX_ROUNDS = 6


@dataclass(frozen=True, order=True)
class Step:
    path: str
    line: int
    note: str


@dataclass(frozen=True)
class Flow:
    """Request data at `steps[0]` reaching a sink at `steps[-1]` through calls."""

    kind: str
    steps: tuple[Step, ...]

    @property
    def sink(self) -> Step:
        return self.steps[-1]


@dataclass
class _Func:
    path: str
    module: str
    qualname: str
    node: ast.FunctionDef | ast.AsyncFunctionDef
    params: tuple[str, ...]
    #: param index -> (kind, steps from the parameter to the sink, in this function and below)
    reaches: dict[int, list[tuple[str, tuple[Step, ...]]]] = field(default_factory=dict)


@dataclass
class _Module:
    path: str
    name: str
    tree: ast.Module
    #: local name -> dotted target ("pkg.mod" for a module, "pkg.mod.func" for a function)
    imports: dict[str, str] = field(default_factory=dict)


def module_name(path: str) -> str:
    """`pkg/sub/mod.py` -> `pkg.sub.mod`; `pkg/__init__.py` -> `pkg`."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _imports(mod: _Module) -> None:
    package = _package(mod)
    for node in ast.walk(mod.tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    mod.imports[a.asname] = a.name
                else:
                    top = a.name.split(".")[0]
                    mod.imports[top] = top
        elif isinstance(node, ast.ImportFrom):
            base = _from_base(node, package)
            for a in node.names:
                if a.name != "*":
                    mod.imports[a.asname or a.name] = f"{base}.{a.name}" if base else a.name


def _package(mod: _Module) -> str:
    """The package relative imports start from: a package's `__init__.py` is its own."""
    if PurePosixPath(mod.path).name == "__init__.py":
        return mod.name
    return mod.name.rsplit(".", 1)[0] if "." in mod.name else ""


def _from_base(node: ast.ImportFrom, package: str) -> str:
    """The absolute module of `from BASE import ...`, `from . import` and `from ..x import`."""
    base = node.module or ""
    if not node.level:
        return base
    anchor = package.split(".") if package else []
    anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
    return ".".join([*anchor, *([base] if base else [])])


class _Resolver:
    """Dotted names -> functions of the scanned files (a module name may be a suffix of the
    file's path: `src/pkg/mod.py` is `pkg.mod`)."""

    def __init__(self, funcs: Iterable[_Func]) -> None:
        self.by_name: dict[str, list[_Func]] = {}
        for f in funcs:
            parts = f"{f.module}.{f.qualname}".split(".")
            for i in range(len(parts) - 1):
                self.by_name.setdefault(".".join(parts[i:]), []).append(f)

    def find(self, dotted: str) -> _Func | None:
        found = self.by_name.get(dotted) or []
        return found[0] if len(found) == 1 else None


def _qualify(mod: _Module, node: ast.expr) -> str | None:
    """The dotted name a call's function refers to, through the module's imports."""
    name = _dotted(node)
    if name is None:
        return None
    head, _, rest = name.partition(".")
    if head in mod.imports:
        target = mod.imports[head]
        return f"{target}.{rest}" if rest else target
    return f"{mod.name}.{name}" if mod.name else name


def _call_key(mod: _Module, call: ast.Call) -> tuple[str, str]:
    """(module, function) of a library call for the sink/sanitizer tables."""
    q = _qualify(mod, call.func)
    if q is None:
        # A method of a computed receiver (`sqlite3.connect(db).execute(...)`): its name only.
        return ("<expr>", call.func.attr) if isinstance(call.func, ast.Attribute) else ("", "")
    if mod.name and q.startswith(mod.name + ".") and "." not in q[len(mod.name) + 1 :]:
        return "", q[len(mod.name) + 1 :]  # a bare builtin such as eval()
    owner, _, attr = q.rpartition(".")
    return owner, attr


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _is_request_data(mod: _Module, node: ast.AST) -> bool:
    for n in ast.walk(node):
        if isinstance(n, ast.Attribute) and n.attr in _REQUEST_ATTRS:
            base = _qualify(mod, n.value) or ""
            if base == "request" or base.endswith(".request") or base == "flask.request":
                return True
    return False


class _Taint:
    """Forward taint through one function body: which local names carry the seed, with the
    line where each was tainted; a name rebound to a value that carries nothing is clean."""

    def __init__(self, mod: _Module, seeds: dict[str, int], is_source: bool) -> None:
        self.mod = mod
        self.tainted: dict[str, int] = dict(seeds)
        self.is_source = is_source

    def carries(self, node: ast.AST | None) -> bool:
        if node is None:
            return False
        if isinstance(node, ast.Call):
            owner, attr = _call_key(self.mod, node)
            if (owner, attr) in _SANITIZERS or ("", attr) in _SANITIZERS and not owner:
                return False
        if isinstance(node, ast.Constant):
            return False
        if self.is_source and _is_request_data(self.mod, node):
            return True
        if isinstance(node, ast.Name):
            return node.id in self.tainted
        return any(self.carries(c) for c in ast.iter_child_nodes(node))

    def assign(self, targets: Sequence[ast.expr], value: ast.AST | None, line: int) -> None:
        hot = self.carries(value)
        for t in targets:
            for n in ast.walk(t):
                if isinstance(n, ast.Name):
                    if hot:
                        self.tainted[n.id] = line
                    elif isinstance(t, ast.Name):
                        self.tainted.pop(n.id, None)

    def bind(self, stmt: ast.stmt) -> None:
        """The names a statement binds take the taint of what they receive (an augmented
        assignment only adds taint: `x += 1` leaves a tainted x tainted)."""
        if isinstance(stmt, ast.Assign):
            self.assign(stmt.targets, stmt.value, stmt.lineno)
        elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)) and stmt.value is not None:
            if isinstance(stmt, ast.AugAssign) and self.carries(stmt.value):
                self.assign([stmt.target], stmt.value, stmt.lineno)
            elif isinstance(stmt, ast.AnnAssign):
                self.assign([stmt.target], stmt.value, stmt.lineno)
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            self.assign([stmt.target], stmt.iter, stmt.lineno)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                if item.optional_vars is not None:
                    self.assign([item.optional_vars], item.context_expr, stmt.lineno)


def _sink_kind(mod: _Module, call: ast.Call) -> tuple[str, list[ast.expr]] | None:
    """The sink class of a call and the arguments that must not carry request data."""
    owner, attr = _call_key(mod, call)
    if owner == "subprocess" and attr in _SHELL_CALLS:
        return _subprocess_sink(call)
    if owner == "yaml" and attr == "load":
        return _yaml_load_sink(call)
    kind = _library_sink(owner, attr, call)
    return None if kind is None else (kind, call.args[:1])


def _subprocess_sink(call: ast.Call) -> tuple[str, list[ast.expr]] | None:
    """`subprocess.run(...)` and kin are a command sink only with `shell=True`."""
    shell = any(
        k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in call.keywords
    )
    cmd = call.args[:1] or [k.value for k in call.keywords if k.arg == "args"]
    return ("command", cmd) if shell and cmd else None


def _yaml_load_sink(call: ast.Call) -> tuple[str, list[ast.expr]] | None:
    """`yaml.load` deserializes objects unless it is given a loader (a safe one by name)."""
    safe = any("Safe" in (_dotted(k.value) or "") for k in call.keywords)
    return None if safe or len(call.args) > 1 else ("deserialization", call.args[:1])


def _library_sink(owner: str, attr: str, call: ast.Call) -> str | None:
    """The sink class of a call whose first argument is the dangerous one."""
    if (owner, attr) in _SHELL_ALWAYS:
        return "command"
    if not owner and attr in ("eval", "exec"):
        return "code"
    if (owner, attr) in _DESERIALIZERS:
        return "deserialization"
    if not owner and attr == "open":
        return "path"
    if attr in ("execute", "executemany", "executescript") and isinstance(call.func, ast.Attribute):
        return "sql"
    return None


def _walk_body(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.stmt]:
    """The function's statements in source order, nested functions and classes left out."""
    out: list[ast.stmt] = []

    def visit(stmts: Sequence[ast.stmt]) -> None:
        for s in stmts:
            if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            out.append(s)
            for name in ("body", "orelse", "finalbody"):
                visit(getattr(s, name, None) or [])
            for h in getattr(s, "handlers", None) or []:
                visit(h.body)

    visit(func.body)
    return out


def _calls(stmt: ast.stmt) -> list[ast.Call]:
    """Calls of a statement, not those of nested bodies (they are statements of their own)."""
    found: list[ast.Call] = []
    stack: list[ast.AST] = [stmt]
    while stack:
        node = stack.pop()
        for name, value in ast.iter_fields(node):
            if name in ("body", "orelse", "finalbody", "handlers") and isinstance(node, ast.stmt):
                continue
            children = value if isinstance(value, list) else [value]
            for c in children:
                if isinstance(c, ast.Call):
                    found.append(c)
                if isinstance(c, ast.AST) and not isinstance(c, (ast.Lambda, ast.stmt)):
                    stack.append(c)
    return sorted(found, key=lambda c: (c.lineno, c.col_offset))


def _run(
    mod: _Module,
    func: _Func,
    resolver: _Resolver,
    seeds: dict[str, int],
    is_source: bool,
) -> list[tuple[str, tuple[Step, ...]]]:
    """Every sink the seeds reach from this function: (kind, steps after the seed)."""
    taint = _Taint(mod, seeds, is_source)
    hits: list[tuple[str, tuple[Step, ...]]] = []
    for stmt in _walk_body(func.node):
        for call in _calls(stmt):
            hits.extend(_call_hits(mod, func, resolver, taint, call))
        taint.bind(stmt)
    return hits


def _call_hits(
    mod: _Module, func: _Func, resolver: _Resolver, taint: _Taint, call: ast.Call
) -> list[tuple[str, tuple[Step, ...]]]:
    """The sinks one call reaches with tainted data: itself, or a scanned callee's."""
    sink = _sink_kind(mod, call)
    if sink is not None and any(taint.carries(a) for a in sink[1]):
        return [(sink[0], (Step(mod.path, call.lineno, "sink"),))]
    target = _qualify(mod, call.func)
    callee = resolver.find(target) if target else None
    if callee is None or callee is func:
        return []
    return _passed_hits(mod.path, callee, taint, call)


def _passed_hits(
    path: str, callee: _Func, taint: _Taint, call: ast.Call
) -> list[tuple[str, tuple[Step, ...]]]:
    """The callee's sinks reached through the parameters this call passes tainted data to,
    positional arguments first, then keywords."""
    hits: list[tuple[str, tuple[Step, ...]]] = []
    for i, arg in enumerate(call.args):
        if i < len(callee.params) and taint.carries(arg):
            hits.extend(_through(path, call.lineno, callee, i, callee.params[i]))
    for kw in call.keywords:
        if kw.arg is not None and kw.arg in callee.params and taint.carries(kw.value):
            i = callee.params.index(kw.arg)
            hits.extend(_through(path, call.lineno, callee, i, kw.arg))
    return hits


def _through(
    path: str, line: int, callee: _Func, index: int, param: str
) -> list[tuple[str, tuple[Step, ...]]]:
    """The callee's summarised sinks of one parameter, each preceded by the call's step."""
    note = f"passed to {callee.qualname}() as {param}"
    return [
        (kind, (Step(path, line, note), *steps)) for kind, steps in callee.reaches.get(index, ())
    ]


def _functions(mod: _Module) -> list[_Func]:
    out: list[_Func] = []

    def visit(body: Sequence[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = node.args
                params = tuple(p.arg for p in [*a.posonlyargs, *a.args])
                out.append(_Func(mod.path, mod.name, prefix + node.name, node, params))
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")

    visit(mod.tree.body, "")
    return out


def analyse(sources: Mapping[str, bytes]) -> list[Flow]:
    """Flows of request data into sinks that cross at least one call, over these files
    (relative path -> content)."""
    modules = _parse_modules(sources)
    by_func: list[tuple[_Module, _Func]] = [(m, f) for m in modules for f in _functions(m)]
    resolver = _Resolver(f for _, f in by_func)
    _summarise(by_func, resolver)
    flows: dict[tuple[str, tuple[Step, ...]], Flow] = {}
    for mod, func in by_func:
        for kind, steps in _run(mod, func, resolver, {}, is_source=True):
            if len(steps) < 2:
                continue  # a sink in the view itself: the pack's own taint rules report it
            line = _source_line(mod, func)
            source = Step(mod.path, line, f"request data read in {func.qualname}()")
            flow = Flow(kind, (source, *steps))
            flows.setdefault((kind, flow.steps), flow)
    return sorted(flows.values(), key=lambda f: (f.sink.path, f.sink.line, f.kind, f.steps))


def _parse_modules(sources: Mapping[str, bytes]) -> list[_Module]:
    """The files that parse within the size bound, in path order, with their imports read."""
    modules: list[_Module] = []
    for path in sorted(sources):
        data = sources[path]
        if len(data) > MAX_FILE_BYTES:
            continue
        try:
            tree = pysource.parse(data, filename=path)
        except pysource.PARSE_ERRORS:
            continue
        mod = _Module(path, module_name(path), tree)
        _imports(mod)
        modules.append(mod)
    return modules


def _summarise(by_func: Sequence[tuple[_Module, _Func]], resolver: _Resolver) -> None:
    """Summaries to a fixpoint (at most MAX_ROUNDS): a parameter that reaches a sink, also
    through a callee's parameter."""
    for _ in range(MAX_ROUNDS):
        changed = False
        for mod, func in by_func:
            for i, p in enumerate(func.params):
                hits = _run(mod, func, resolver, {p: func.node.lineno}, is_source=False)
                key = {(k, s) for k, s in hits}
                if key != {(k, s) for k, s in func.reaches.get(i, ())}:
                    func.reaches[i] = sorted(key, key=lambda h: (h[0], h[1]))
                    changed = True
        if not changed:
            break


def _source_line(mod: _Module, func: _Func) -> int:
    for node in ast.walk(func.node):
        if isinstance(node, ast.Attribute) and _is_request_data(mod, node):
            return node.lineno
    return func.node.lineno


# --- the scanner -----------------------------------------------------------------------------

#: Flow class -> (severity, remediation). Request data proven to reach a shell or eval is
#: remote code execution: critical; the other sinks high.
_RATING: dict[str, tuple[Severity, str]] = {
    "command": (Severity.CRITICAL, "Run subprocess with an argument list, no shell."),
    "code": (Severity.CRITICAL, "Never evaluate request data; parse it (json, ast.literal_eval)."),
    "sql": (Severity.HIGH, "Pass the value as a query parameter, never inside the SQL text."),
    "deserialization": (Severity.HIGH, "Read request data only in a data-only format (json)."),
    "path": (Severity.HIGH, "Resolve the path under a fixed base and reject anything outside it."),
}  # fmt: skip


def rule_id(kind: str) -> str:
    return f"python-request-data-{kind}-across-calls"


class CrossFlowScanner(SelectsByPath):
    """secscan's own pass over the Python files: request data into a sink through calls."""

    name: ClassVar[str] = "crossflow"
    kind: ClassVar[FindingKind] = FindingKind.CODE
    description: ClassVar[str] = (
        "Request data passed into a function (in the same or another module) that runs it "
        "as a shell command, code, SQL, a file path or a deserializer input"
    )
    display_name: ClassVar[str] = "secscan cross-function taint"

    def applies_to(self, path: str) -> bool:
        return path.endswith(".py")

    def version(self) -> str:
        return __version__

    def rule_ids(self) -> frozenset[str] | None:
        return frozenset(rule_id(k) for k in CLASSES)

    def describe_rule(self, rule: str, lookup: RuleLookup) -> RuleInfo | None:
        for kind, (_, cwe, what) in CLASSES.items():
            if rule == rule_id(kind):
                severity, fix = _RATING[kind]
                return RuleInfo(
                    rule_id=rule,
                    scanner=self.name,
                    kind=FindingKind.CODE,
                    title=f"request data reaches {what} through calls",
                    description=__doc__.split("\n\n")[1].replace("\n", " ") if __doc__ else "",
                    cwe=(cwe,),
                    severity=severity,
                    fix=fix,
                    source="secscan/scanners/crossflow.py",
                )
        return None

    def scan(self, ctx: ScanContext) -> ScanOutcome:
        sources: dict[str, bytes] = {}
        for rel in ctx.targets:
            try:
                sources[rel] = _files.read_bytes(Path(ctx.abspath(rel)), limit=MAX_FILE_BYTES)
            except ConfigError:
                continue  # unreadable now: semgrep and bandit state its fate
        findings = tuple(_finding(flow) for flow in analyse(sources))
        return ScanOutcome(findings=findings, analyzed=frozenset(sources))


def _finding(flow: Flow) -> Finding:
    rule, cwe, what = CLASSES[flow.kind]
    severity, fix = _RATING[flow.kind]
    src, sink = flow.steps[0], flow.sink
    # Reported where the request data leaves the function that read it (its first call):
    # each view that hands request data to a shared helper is its own flaw, with its own
    # fingerprint and path, not one merged into the helper's sink (bandit's finding there).
    entry = flow.steps[1]
    via = " -> ".join(f"{s.path}:{s.line}" for s in flow.steps[1:-1])
    return Finding(
        scanner=CrossFlowScanner.name,
        rule_id=rule_id(flow.kind),
        title=f"request data reaches {what} through calls",
        message=(
            f"Data from a web request read at {src.path}:{src.line} is passed through "
            f"{via} and reaches {what} at {sink.path}:{sink.line} (the pack rule {rule} "
            "reports it when source and sink share a function). " + fix
        ),
        severity=severity,
        confidence=Confidence.HIGH,
        kind=FindingKind.CODE,
        location=Location(path=entry.path, start_line=entry.line, end_line=entry.line),
        cwe=(cwe,),
        remediation=fix,
        tags=("security", "owasp:A03:2021"),
        flow=tuple(
            FlowStep(Location(path=s.path, start_line=s.line, end_line=s.line), s.note)
            for s in flow.steps
        ),
    )
