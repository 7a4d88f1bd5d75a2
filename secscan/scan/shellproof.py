"""Proofs that a shell command is a constant: secscan's own AST pass over dead branches.

bandit rates `os.system(cmd)` and `subprocess.run(cmd, shell=True)` high whenever `cmd` is
not a literal, also when every path that reaches the call leaves `cmd` a constant: a branch
whose condition folds to a constant (`if (7 * 42) - num > 200:` with `num = 86`), a value
overwritten before use (`bar = param; bar = "safe"`), a literal list head after the request
value was appended, a dict or configparser key that is never the one holding request data,
an if/elif chain on a constant. This pass proves those, and only those: it runs once the
scanners are done, over the files that hold such a finding, and adds a proof of safety (a
finding with `RuleClaims.proves_safe`, never reported itself) for each shell call whose
command it evaluates to a string constant. secscan.scan.flaws then rates the findings the
proof vouches for, on the same call, by the proof (LOW); every other finding keeps its tool's
rating. "Could not evaluate" is never proof.

The scanned tree is untrusted: the pass is written so a pull request cannot make it prove a
live value safe. It evaluates the enclosing function's statements from its first one to the
call, on the only path the folded conditions leave, and knows a value only while nothing it
cannot see may have changed it:

- only string, integer, boolean and None constants, operators on them (bounded in size),
  f-strings of them, and lists, dicts and `configparser.ConfigParser` objects made in the
  function by a literal (or the constructor) whose every use there is one it models (an
  append, pop, insert, remove, item read or write, add_section, set, get); any other use of
  such a name (passed to a call, aliased, used in a nested function or comprehension) means
  it is not known;
- a call it does not model (a shadowed builtin included: `str("x")` is not evaluated),
  `await` or `yield` forgets everything known before it; a walrus forgets its target; a name
  declared `global` or `nonlocal` anywhere in the function is never known; a loop, `try`,
  `with`, `match`, `del`, an import or a nested definition forgets everything; a call inside
  a loop, `try` or `with` gets no proof;
- `os`, `subprocess` and `configparser` count only when every binding of the name in the
  file is an import of that same module (at the top or inside a function, as a view that
  says `import subprocess` before its call), nothing else binds it (no star import,
  parameter, assignment, `global`, `del`), and no file of the tree is named like them; such
  an import inside the function forgets only the names it binds; the call's other
  arguments are constants;
- no code can reach the function's locals, or the containers only they hold, from outside:
  a Python file of the tree that spells frame access (`_getframe`, `currentframe`,
  `f_locals`, `f_back`, `tb_frame`, `gi_frame`, `settrace`, `setprofile`,
  `inspect.stack`), the collector's object lists (`gc.get_referrers`), raw memory
  (`ctypes`, `cffi`), or `getattr` with a computed name, or a compiled extension in the
  tree, or a Python file too large to read, turns every proof of the scan off.

Limits: a proof assumes the interpreter runs the tree as written (no tracer or import hook
installed from outside it), and needs the whole tree: a scan of named files proves nothing.
Dynamic code (`exec`, `eval`, an unpickled object) elsewhere in the tree could spell frame
access in pieces; such code is reported by its own rules (bandit B102/B307/B301, the pack's
code-injection and deserialization rules); `exec`/`eval` in the function itself defeats the
proof.
"""

from __future__ import annotations

import ast
import copy
import operator
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from secscan.errors import ConfigError
from secscan.model.findings import (
    Confidence,
    Finding,
    FindingKind,
    Location,
    RuleClaims,
    ScannerRun,
    Severity,
)
from secscan.util import files as _files
from secscan.util import pysource

SCANNER = "secscan"
RULE_ID = "python-shell-command-proven-constant"
PROVES = (
    "the shell command is a string constant on every path that reaches the call "
    "(secscan's AST proof: folded conditions, overwritten values, literal list, dict and "
    "configparser keys)"
)
MAX_FILE_BYTES = 2_000_000
MAX_STR = 10_000
MAX_INT = 1 << 64

_SHELL_FUNCS = {
    "os": frozenset({"system", "popen"}),
    "subprocess": frozenset(
        {"run", "call", "check_call", "check_output", "Popen", "getoutput", "getstatusoutput"}
    ),
}
_TRUSTED_MODULES = frozenset({"os", "subprocess", "configparser"})
_NATIVE_SUFFIXES = (".so", ".pyd", ".dll", ".dylib")

#: What in a Python file of the tree could reach another function's locals or the objects only
#: they hold: frame objects (a tracer, a signal handler, another thread), the collector's
#: object lists, raw memory, an attribute named at run time (which could be one of those).
_TREE_FLAGS = re.compile(
    rb"\b(?:_getframe|currentframe|_current_frames|f_locals|f_globals|f_back|tb_frame"
    rb"|gi_frame|cr_frame|ag_frame|settrace|setprofile|getouterframes|getinnerframes"
    rb"|get_referrers|get_referents|get_objects|ctypes|_ctypes|cffi|__getattribute__)\b"
    rb"|\binspect\s*\.\s*(?:stack|trace)\b"
    rb"|\bgetattr\s*\([^,()]*,\s*(?![\"'][\w]+[\"']\s*[,)])"
)

_CONTAINER_METHODS = frozenset(
    {"append", "pop", "insert", "remove", "get", "add_section", "set"}
)  # fmt: skip
_FORGET_ALL = (ast.Await, ast.Yield, ast.YieldFrom)


class _Unknown:
    """A value this pass does not know (one object: copies of a state keep it)."""

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __copy__(self) -> _Unknown:
        return self

    def __deepcopy__(self, memo: object) -> _Unknown:
        return self

    def __bool__(self) -> bool:
        raise TypeError("an unknown value has no truth")


UNKNOWN = _Unknown()


@dataclass
class _List:
    items: list[object]


@dataclass
class _Dict:
    items: dict[object, object]


@dataclass
class _Conf:
    """A `configparser.ConfigParser()`: (section, lower-cased option) -> value."""

    sections: set[str] = field(default_factory=set)
    options: dict[tuple[str, str], object] = field(default_factory=dict)


_Container = _List | _Dict | _Conf
_State = dict[str, object]


# --- the post-pass ---------------------------------------------------------------------------


def add_proofs(
    runs: Sequence[ScannerRun],
    root: Path,
    tree_files: Sequence[str] | None,
    vouches_for: Collection[str],
) -> list[ScannerRun]:
    """The runs with a proof added (to the run of the finding it vouches for) for every shell
    call of a flagged file whose command this pass proves constant. `tree_files`: every file
    of the tree (None when only some files were scanned: no proof); `vouches_for`: the
    "scanner:rule-id" of the rules that report a shell command that is not a literal (the
    scanners say which: `ScannerRegistry.shell_command_rules`)."""
    vouched = frozenset(vouches_for)
    wanted = _flagged_files(runs, vouched)
    if not wanted or tree_files is None or not _tree_is_plain(root, tree_files):
        return list(runs)
    proofs = {path: list(_proofs_in(root, path, vouched)) for path in sorted(wanted)}
    out: list[ScannerRun] = []
    for run in runs:
        paths = {f.location.path for f in run.findings if _vouched(f, vouched)}
        extra = tuple(p for path in sorted(paths) for p in proofs.get(path, ()))
        out.append(replace(run, findings=(*run.findings, *extra)) if extra else run)
    return out


def _vouched(f: Finding, vouched: frozenset[str]) -> bool:
    return f.kind is FindingKind.CODE and f"{f.scanner}:{f.rule_id}" in vouched


def _flagged_files(runs: Sequence[ScannerRun], vouched: frozenset[str]) -> set[str]:
    return {
        f.location.path
        for run in runs
        for f in run.findings
        if _vouched(f, vouched) and f.location.path.endswith(".py")
    }


def _tree_is_plain(root: Path, tree_files: Sequence[str]) -> bool:
    """No file of the tree shadows a trusted module, is a compiled extension, or (a Python
    file) holds a way to rebind names from outside (`_TREE_FLAGS`)."""
    for rel in tree_files:
        parts = PurePosixPath(rel).parts
        if any(p.split(".")[0] in _TRUSTED_MODULES for p in parts):
            return False
        if rel.endswith(_NATIVE_SUFFIXES):
            return False
        if rel.endswith((".py", ".pyw", ".pyi")) and not _plain_source(root / rel):
            return False
    return True


def _plain_source(path: Path) -> bool:
    try:
        data = _files.read_bytes(path, limit=MAX_FILE_BYTES)
    except ConfigError:
        return False
    return _TREE_FLAGS.search(data) is None


def _proofs_in(root: Path, rel: str, vouched: frozenset[str]) -> Iterator[Finding]:
    try:
        data = _files.read_bytes(root / rel, limit=MAX_FILE_BYTES)
        tree = pysource.parse(data, filename=rel)
    except (ConfigError, *pysource.PARSE_ERRORS):
        return
    for call in proven_calls(tree):
        yield _proof(rel, call, vouched)


def _proof(path: str, call: ast.Call, vouched: frozenset[str]) -> Finding:
    return Finding(
        scanner=SCANNER,
        rule_id=RULE_ID,
        title="constant shell command (proof of safety)",
        message="Proof of safety, not a flaw: " + PROVES + ".",
        severity=Severity.LOW,
        confidence=Confidence.HIGH,
        kind=FindingKind.CODE,
        location=Location(
            path=path,
            start_line=call.lineno,
            end_line=call.end_lineno or call.lineno,
            start_column=call.col_offset + 1,
            end_column=(call.end_col_offset or call.col_offset) + 1,
        ),
        cwe=(78,),
        claims=RuleClaims(proves_safe=PROVES, vouches_for=tuple(sorted(vouched))),
    )


# --- the proof -------------------------------------------------------------------------------


def proven_calls(tree: ast.Module) -> list[ast.Call]:
    """The shell calls of a parsed file whose command is a string constant on every path."""
    names = _trusted_names(tree)
    if not names:
        return []
    found: list[ast.Call] = []
    for func in _functions(tree):
        if _opaque(func):
            continue
        for call in _shell_calls(func, names):
            if _proves(func, names, call):
                found.append(call)
    return found


def _proves(
    func: ast.FunctionDef | ast.AsyncFunctionDef, names: Mapping[str, str], call: ast.Call
) -> bool:
    try:
        return _Prover(func, names).proves(call)
    except (TypeError, RecursionError):
        return False  # an unknown value asked for its truth, or nesting too deep: no proof


def _functions(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def _bound_names(tree: ast.AST) -> tuple[dict[str, int], bool]:
    """How often each name is bound anywhere in the tree, and whether a star import is."""
    counts: dict[str, int] = {}
    star = False
    for node in ast.walk(tree):
        for name in _binds(node):
            if name == "*":
                star = True
            counts[name] = counts.get(name, 0) + 1
    return counts, star


def _binds(node: ast.AST) -> Iterator[str]:
    """The names one node binds (or unbinds)."""
    if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
        yield node.id
    elif isinstance(node, ast.arg):
        yield node.arg
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield node.name
    elif isinstance(node, ast.alias):
        yield node.asname or node.name.split(".")[0]
    elif isinstance(node, (ast.Global, ast.Nonlocal)):
        yield from node.names
    elif isinstance(node, ast.ExceptHandler) and node.name:
        yield node.name
    elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
        yield node.name
    elif isinstance(node, ast.MatchMapping) and node.rest:
        yield node.rest


def _trusted_names(tree: ast.Module) -> dict[str, str]:
    """Local name -> "os", "subprocess.run", "configparser", ...: names that every binding in
    the file (a top-level import, or one inside a function: `import subprocess` in a view)
    binds to the same trusted module (or function of one). Wherever such a name is read it
    is that module, or unbound (an error, no shell)."""
    counts, star = _bound_names(tree)
    if star:
        return {}
    targets: dict[str, set[str]] = {}
    imported: dict[str, int] = {}
    for node in ast.walk(tree):
        for name, target in _trusted_imports(node):
            targets.setdefault(name, set()).add(target)
            imported[name] = imported.get(name, 0) + 1
    return {
        name: next(iter(found))
        for name, found in targets.items()
        if len(found) == 1 and counts.get(name) == imported[name]
    }


def _trusted_imports(node: ast.AST) -> Iterator[tuple[str, str]]:
    """(name bound, trusted target) of each alias of an import statement that binds a name
    to a trusted module or to a function of one."""
    if isinstance(node, ast.Import):
        for a in node.names:
            if a.name in _TRUSTED_MODULES:
                yield a.asname or a.name, a.name
    elif isinstance(node, ast.ImportFrom) and not node.level:
        if node.module in _TRUSTED_MODULES:
            for a in node.names:
                if a.name != "*":
                    yield a.asname or a.name, f"{node.module}.{a.name}"


def _trusted_import_statement(stmt: ast.stmt) -> bool:
    """An import whose every name is a trusted module or a function of one: it runs no code
    of the tree (no file of the tree is named like them) and rebinds only those names."""
    if not isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return False
    return len(list(_trusted_imports(stmt))) == len(stmt.names)


_OPAQUE_NAMES = frozenset(
    {"exec", "eval", "compile", "locals", "vars", "globals", "__import__", "breakpoint",
     "setattr", "delattr", "getattr"}
)  # fmt: skip
_OPAQUE_ATTRS = frozenset(
    {"f_locals", "f_globals", "_getframe", "currentframe", "settrace", "setprofile",
     "__dict__", "gi_frame", "cr_frame", "ag_frame", "tb_frame", "f_back"}
)  # fmt: skip


def _opaque(func: ast.AST) -> bool:
    """Whether the function could rebind its own locals in a way this pass cannot follow."""
    for node in ast.walk(func):
        if isinstance(node, ast.Name) and node.id in _OPAQUE_NAMES:
            return True
        if isinstance(node, ast.Attribute) and node.attr in _OPAQUE_ATTRS:
            return True
    return False


def _shell_calls(
    func: ast.FunctionDef | ast.AsyncFunctionDef, names: Mapping[str, str]
) -> Iterator[ast.Call]:
    """The shell calls in the function's own statements (not a nested function's)."""
    for stmt in _own_statements(func.body):
        for node in _own_nodes(stmt):
            if isinstance(node, ast.Call) and _command(node, names) is not None:
                yield node


def _own_statements(body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        yield stmt
        for name in ("body", "orelse", "finalbody"):
            yield from _own_statements(getattr(stmt, name, None) or [])
        for h in getattr(stmt, "handlers", None) or []:
            yield from _own_statements(h.body)
        for case in getattr(stmt, "cases", None) or []:
            yield from _own_statements(case.body)


def _own_nodes(stmt: ast.stmt) -> Iterator[ast.AST]:
    """The expression nodes of one statement, not those of its nested statement bodies."""
    stack: list[ast.AST] = [stmt]
    while stack:
        node = stack.pop()
        yield node
        for name, value in ast.iter_fields(node):
            if name in ("body", "orelse", "finalbody", "handlers", "cases") and isinstance(
                node, ast.stmt
            ):
                continue
            for c in value if isinstance(value, list) else [value]:
                if isinstance(c, ast.AST) and not isinstance(c, ast.stmt):
                    stack.append(c)


def _callee(call: ast.Call, names: Mapping[str, str]) -> str | None:
    """ "os.system", "subprocess.run", ... when the call's function is a trusted one."""
    f = call.func
    if isinstance(f, ast.Name):
        return names.get(f.id)
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
        base = names.get(f.value.id)
        return f"{base}.{f.attr}" if base in _TRUSTED_MODULES else None
    return None


def _command(call: ast.Call, names: Mapping[str, str]) -> ast.expr | None:
    """The command expression of a shell call whose other arguments are constants."""
    module, _, attr = (_callee(call, names) or "").partition(".")
    if attr not in _SHELL_FUNCS.get(module, ()):
        return None
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        return None
    by_kw = [k.value for k in call.keywords if k.arg == "args"]
    cmd = call.args[0] if call.args else (by_kw[0] if by_kw else None)
    rest = [*call.args[1:], *(k.value for k in call.keywords if k.arg != "args")]
    if cmd is None or (call.args and by_kw):
        return None
    if not all(isinstance(r, ast.Constant) for r in rest):
        return None
    return cmd


class _Prover:
    """Evaluates one function from its first statement to a shell call."""

    def __init__(self, func: ast.FunctionDef | ast.AsyncFunctionDef, names: Mapping[str, str]):
        self.func = func
        self.names = names
        self.pinned = _pinned(func)
        self.escaped = _escaped(func)
        self.call: ast.Call | None = None

    def proves(self, call: ast.Call) -> bool:
        self.call = call
        path = _path_to(self.func.body, call)
        if path is None:
            return False
        state = self._run_path(self.func.body, path)
        if state is None:
            return False
        cmd = _command(call, self.names)
        return cmd is not None and isinstance(_Eval(self, state).value(cmd), str)

    def _run_path(self, body: Sequence[ast.stmt], path: Sequence[ast.stmt]) -> _State | None:
        """The state just before the call: `path` is the chain of statements (each an `if`
        but the last) from this body down to the one that holds the call."""
        state: _State = {}
        stmts = body
        for depth, target in enumerate(path):
            for stmt in stmts:
                if stmt is target:
                    break
                self.execute(stmt, state)
            if depth == len(path) - 1:
                return state if self._sink_statement_clean(target) else None
            if not isinstance(target, ast.If):
                return None
            live = _Eval(self, state).truth(target.test)
            inner = path[depth + 1]
            in_body = any(s is inner for s in target.body)
            if live is not None and live != in_body:
                return None  # the call is in the dead branch: not a proof of anything
            if _has_foreign(self, target.test, state):
                state.clear()
            stmts = target.body if in_body else target.orelse
        return None

    def _sink_statement_clean(self, stmt: ast.stmt) -> bool:
        """The statement holding the call runs no code of its own before the call's
        command is evaluated: its other calls are the call's callers by a bare name."""
        if not isinstance(stmt, (ast.Expr, ast.Return, ast.Assign, ast.AnnAssign)):
            return False
        if self.call is None:
            return False
        callers = _callers_by_name(stmt, self.call)
        inside = {id(n) for n in ast.walk(self.call)}
        for node in _own_nodes(stmt):
            if node is self.call or id(node) in callers:
                continue
            if isinstance(node, (ast.NamedExpr, *_FORGET_ALL)):
                return False
            if isinstance(node, ast.Call) and not (id(node) in inside and self.modelled_read(node)):
                return False
        return True

    def execute(self, stmt: ast.stmt, state: _State) -> None:
        """One statement before the call, applied to what is known."""
        if _has_foreign(self, stmt, state):
            state.clear()
        for node in ast.walk(stmt):
            if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
                state.pop(node.target.id, None)
        if isinstance(stmt, ast.If):
            self._if(stmt, state)
        elif isinstance(stmt, ast.Match):
            self._match(stmt, state)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            self._assign(stmt, state)
        elif isinstance(stmt, ast.Expr):
            self._mutate(stmt.value, state)
        elif _trusted_import_statement(stmt):
            for name in (n for node in ast.walk(stmt) for n in _binds(node)):
                state.pop(name, None)
        elif not isinstance(stmt, ast.Pass):
            state.clear()

    def _if(self, stmt: ast.If, state: _State) -> None:
        live = _Eval(self, state).truth(stmt.test)
        if live is not None:
            for s in stmt.body if live else stmt.orelse:
                self.execute(s, state)
            return
        branches = []
        for body in (stmt.body, stmt.orelse):
            mine = copy.deepcopy(state)
            for s in body:
                self.execute(s, mine)
            branches.append(mine)
        a, b = branches
        state.clear()
        state.update({k: v for k, v in a.items() if k in b and _same(v, b[k])})

    def _match(self, stmt: ast.Match, state: _State) -> None:
        """A `match` on a known value whose cases are literals (or `_`) runs the first case
        that matches; anything else (a capture, a guard, a class pattern) forgets all."""
        subject = _Eval(self, state).value(stmt.subject)
        if subject is UNKNOWN:
            state.clear()
            return
        for case in stmt.cases:
            hit = None if case.guard is not None else _matches(case.pattern, subject)
            if hit is None:
                state.clear()
                return
            if hit:
                for s in case.body:
                    self.execute(s, state)
                return

    def _assign(self, stmt: ast.Assign | ast.AnnAssign | ast.AugAssign, state: _State) -> None:
        if stmt.value is None:
            return
        if isinstance(stmt, ast.AugAssign):
            value: object = _Eval(self, state).value(
                ast.BinOp(left=_load(stmt.target), op=stmt.op, right=stmt.value)
            )
            targets: list[ast.expr] = [stmt.target]
        else:
            value = self._made(stmt.value, state)
            targets = list(stmt.targets) if isinstance(stmt, ast.Assign) else [stmt.target]
        for t in targets:
            self._store(t, value, state)

    def _made(self, node: ast.expr, state: _State) -> object:
        """The value of an assigned expression: a container a literal makes, or a value."""
        ev = _Eval(self, state)
        if isinstance(node, ast.List) and not any(isinstance(e, ast.Starred) for e in node.elts):
            return _List([ev.value(e) for e in node.elts])
        if isinstance(node, ast.Dict) and all(k is not None for k in node.keys):
            keys = [ev.value(k) if k is not None else UNKNOWN for k in node.keys]
            if any(k is UNKNOWN for k in keys):
                return UNKNOWN
            return _Dict(dict(zip(keys, (ev.value(v) for v in node.values), strict=True)))
        if isinstance(node, ast.Call) and self._new_config(node):
            return _Conf()
        return ev.value(node)

    def _new_config(self, call: ast.Call) -> bool:
        return (
            _callee(call, self.names) == "configparser.ConfigParser"
            and not call.args
            and not call.keywords
        )

    def _store(self, target: ast.expr, value: object, state: _State) -> None:
        if isinstance(target, ast.Name):
            known = target.id not in self.pinned and not (
                isinstance(value, (_List, _Dict, _Conf)) and target.id in self.escaped
            )
            state[target.id] = copy.deepcopy(value) if known else UNKNOWN
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            self._set_item(target, value, state)
        else:
            state.clear()

    def _set_item(self, target: ast.Subscript, value: object, state: _State) -> None:
        if not isinstance(target.value, ast.Name):
            return
        box = state.get(target.value.id)
        key = _Eval(self, state).value(target.slice)
        if isinstance(box, _Dict) and key is not UNKNOWN:
            box.items[key] = value if not isinstance(value, (_List, _Dict, _Conf)) else UNKNOWN
        elif (
            isinstance(box, _List)
            and isinstance(key, int)
            and -len(box.items) <= key < len(box.items)
        ):
            box.items[key] = value
        else:
            state[target.value.id] = UNKNOWN

    def _mutate(self, node: ast.expr, state: _State) -> None:
        """An expression statement: a modelled method call changes its container."""
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            return
        if not isinstance(node.func.value, ast.Name):
            return
        name = node.func.value.id
        box = state.get(name)
        if not isinstance(box, (_List, _Dict, _Conf)):
            return
        ev = _Eval(self, state)
        args = [ev.value(a) for a in node.args]
        if node.keywords or not _apply(box, node.func.attr, args):
            state[name] = UNKNOWN

    def modelled_read(self, call: ast.Call) -> bool:
        """A call that only reads a known container (`d.get("k")`, `conf.get("s", "o")`)."""
        f = call.func
        return (
            isinstance(f, ast.Attribute)
            and f.attr == "get"
            and isinstance(f.value, ast.Name)
            and f.value.id not in self.escaped
            and not call.keywords
        )

    def modelled_call(self, call: ast.Call, state: _State) -> bool:
        """A call whose effect this pass knows: a known container's method (a list's, a
        dict's, a parser's made in this function) or a new parser."""
        if self._new_config(call):
            return True
        f = call.func
        return (
            isinstance(f, ast.Attribute)
            and f.attr in _CONTAINER_METHODS
            and isinstance(f.value, ast.Name)
            and f.value.id not in self.escaped
            and isinstance(state.get(f.value.id), (_List, _Dict, _Conf))
            and not call.keywords
        )


def _matches(pattern: ast.pattern, subject: object) -> bool | None:
    """Whether a literal pattern matches a known subject (None: not a literal pattern)."""
    if isinstance(pattern, ast.MatchAs) and pattern.pattern is None and pattern.name is None:
        return True  # `case _:`
    if isinstance(pattern, ast.MatchValue) and isinstance(pattern.value, ast.Constant):
        v = pattern.value.value
        for kind in (str, int):
            if _exactly(v, kind) and _exactly(subject, kind):
                return bool(v == subject)
        return None
    if isinstance(pattern, ast.MatchSingleton):
        return pattern.value is subject
    if isinstance(pattern, ast.MatchOr):
        hits = [_matches(p, subject) for p in pattern.patterns]
        return None if None in hits else any(hits)
    return None


def _exactly(v: object, kind: type) -> bool:
    return isinstance(v, kind) and not isinstance(v, bool)


def _apply(box: _Container, method: str, args: list[object]) -> bool:
    """Apply a mutating method; False when its effect is not known."""
    if isinstance(box, _List):
        return _list_method(box, method, args)
    if isinstance(box, _Conf):
        return _conf_method(box, method, args)
    return False


def _list_method(box: _List, method: str, args: list[object]) -> bool:
    items = box.items
    if method == "append" and len(args) == 1:
        items.append(args[0])
        return True
    if method == "insert" and len(args) == 2 and isinstance(args[0], int):
        items.insert(args[0], args[1])
        return True
    if method == "pop" and len(args) <= 1:
        at = args[0] if args else -1
        if isinstance(at, int) and -len(items) <= at < len(items):
            items.pop(at)
            return True
        return False
    if method == "remove" and len(args) == 1 and args[0] is not UNKNOWN:
        # Elements are compared in order: an unknown one before a match may equal the value.
        for i, item in enumerate(items):
            if item is UNKNOWN:
                return False
            if _same(item, args[0]):
                del items[i]
                return True
    return False


def _conf_method(box: _Conf, method: str, args: list[object]) -> bool:
    if method == "add_section" and len(args) == 1 and isinstance(args[0], str):
        box.sections.add(args[0])
        return True
    if method == "set" and len(args) == 3:
        section, option, value = args
        if not isinstance(section, str) or not isinstance(option, str):
            return False
        if section not in box.sections or section == "DEFAULT":
            return False
        box.options[(section, option.lower())] = value
        return True
    return False


class _Eval:
    """Static values of expressions over what is known (UNKNOWN when not known)."""

    def __init__(self, prover: _Prover, state: _State) -> None:
        self.prover = prover
        self.state = state

    def truth(self, node: ast.expr) -> bool | None:
        v = self.value(node)
        return None if v is UNKNOWN else bool(v)

    def value(self, node: ast.expr) -> object:
        handler = getattr(self, "_" + type(node).__name__, None)
        v = handler(node) if handler is not None else UNKNOWN
        return v if _bounded(v) else UNKNOWN

    def _Constant(self, node: ast.Constant) -> object:
        v = node.value
        return v if isinstance(v, (str, int, float, type(None))) and v == v else UNKNOWN

    def _Name(self, node: ast.Name) -> object:
        v = self.state.get(node.id, UNKNOWN)
        return UNKNOWN if isinstance(v, (_List, _Dict, _Conf)) else v

    def _BinOp(self, node: ast.BinOp) -> object:
        return _binop(node.op, self.value(node.left), self.value(node.right))

    def _UnaryOp(self, node: ast.UnaryOp) -> object:
        v = self.value(node.operand)
        if v is UNKNOWN:
            return UNKNOWN
        if isinstance(node.op, ast.Not):
            return not v
        if isinstance(node.op, ast.USub) and _number(v):
            return -v  # type: ignore[operator]
        return UNKNOWN

    def _BoolOp(self, node: ast.BoolOp) -> object:
        v: object = UNKNOWN
        for operand in node.values:
            v = self.value(operand)
            if v is UNKNOWN:
                return UNKNOWN
            if bool(v) == isinstance(node.op, ast.Or):
                return v
        return v

    def _Compare(self, node: ast.Compare) -> object:
        left = self.value(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.value(right_node)
            held = _compare(op, left, right)
            if held is None:
                return UNKNOWN
            if not held:
                return False
            left = right
        return True

    def _IfExp(self, node: ast.IfExp) -> object:
        test = self.truth(node.test)
        if test is not None:
            return self.value(node.body if test else node.orelse)
        a, b = self.value(node.body), self.value(node.orelse)
        return a if _same(a, b) else UNKNOWN

    def _JoinedStr(self, node: ast.JoinedStr) -> object:
        out = []
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                out.append(part.value)
                continue
            if not isinstance(part, ast.FormattedValue) or part.conversion != -1:
                return UNKNOWN
            if part.format_spec is not None:
                return UNKNOWN
            v = self.value(part.value)
            if not isinstance(v, (str, int)) or isinstance(v, bool):
                return UNKNOWN
            out.append(str(v))
        return "".join(out)

    def _Subscript(self, node: ast.Subscript) -> object:
        key = self.value(node.slice)
        if key is UNKNOWN:
            return UNKNOWN
        if isinstance(node.value, ast.Name):
            box = self.state.get(node.value.id)
            if isinstance(box, (_List, _Dict)):
                return _item(box, key)
        base = self.value(node.value)
        if isinstance(base, str) and isinstance(key, int) and -len(base) <= key < len(base):
            return base[key]
        return UNKNOWN

    def _Call(self, node: ast.Call) -> object:
        if not self.prover.modelled_read(node):
            return UNKNOWN
        if not (isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)):
            return UNKNOWN
        box = self.state.get(node.func.value.id)
        args = [self.value(a) for a in node.args]
        if any(a is UNKNOWN for a in args):
            return UNKNOWN
        if isinstance(box, _Dict) and len(args) == 1:
            return _item(box, args[0])
        if isinstance(box, _Conf) and len(args) == 2:
            return _conf_get(box, args[0], args[1])
        return UNKNOWN


def _item(box: _List | _Dict, key: object) -> object:
    if isinstance(box, _Dict):
        hit = [v for k, v in box.items.items() if _same(k, key)]
        return hit[0] if hit else UNKNOWN
    if (
        isinstance(key, int)
        and not isinstance(key, bool)
        and -len(box.items) <= key < len(box.items)
    ):
        return box.items[key]
    return UNKNOWN


def _conf_get(box: _Conf, section: object, option: object) -> object:
    """A value read back; one holding `%` (interpolation may pull another option) is not
    known."""
    if not isinstance(section, str) or not isinstance(option, str):
        return UNKNOWN
    v = box.options.get((section, option.lower()), UNKNOWN)
    return v if isinstance(v, str) and "%" not in v else UNKNOWN


def _same(a: object, b: object) -> bool:
    return type(a) is type(b) and repr(a) == repr(b)


def _bounded(v: object) -> bool:
    if isinstance(v, str):
        return len(v) <= MAX_STR
    if isinstance(v, (int, float)):
        return abs(v) <= MAX_INT  # NaN compares false: not bounded, not known
    return True


def _number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_ARITHMETIC: dict[type[ast.operator], Callable[[Any, Any], object]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}


def _binop(op: ast.operator, a: object, b: object) -> object:
    """`a op b` for two strings (+) or two numbers (bounded by `_bounded` afterwards)."""
    if isinstance(a, str) and isinstance(b, str) and isinstance(op, ast.Add):
        return a + b if len(a) + len(b) <= MAX_STR else UNKNOWN
    apply = _ARITHMETIC.get(type(op))
    if apply is None or not (_number(a) and _number(b)):
        return UNKNOWN
    if isinstance(op, (ast.Div, ast.FloorDiv, ast.Mod)) and b == 0:
        return UNKNOWN
    return apply(a, b)


_ORDER: dict[type[ast.cmpop], Callable[[Any, Any], object]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


def _compare(op: ast.cmpop, a: object, b: object) -> bool | None:
    if a is UNKNOWN or b is UNKNOWN:
        return None
    if isinstance(op, (ast.In, ast.NotIn)) and isinstance(a, str) and isinstance(b, str):
        return (a in b) == isinstance(op, ast.In)
    compare = _ORDER.get(type(op))
    if compare is None:
        return None
    same_kind = (isinstance(a, str) and isinstance(b, str)) or (_number(a) and _number(b))
    if not same_kind and not isinstance(op, (ast.Eq, ast.NotEq)):
        return None
    return bool(compare(a, b))


def _load(target: ast.expr) -> ast.expr:
    if isinstance(target, ast.Name):
        return ast.Name(id=target.id, ctx=ast.Load())
    return target


def _path_to(body: Sequence[ast.stmt], call: ast.Call) -> list[ast.stmt] | None:
    """The statements from `body` down to the one holding `call` directly, through `if`
    bodies only (None: the call is inside a loop, `try`, `with`, `match` or elsewhere)."""
    for stmt in body:
        if any(n is call for n in _own_nodes(stmt)):
            return [stmt]
        if isinstance(stmt, ast.If):
            for branch in (stmt.body, stmt.orelse):
                rest = _path_to(branch, call)
                if rest is not None:
                    return [stmt, *rest]
    return None


def _callers_by_name(stmt: ast.stmt, call: ast.Call) -> set[int]:
    """ids of the calls of the statement that enclose `call` and are called by a bare name
    (`str(os.system(...))`): they run after the command is evaluated."""
    out: set[int] = set()
    for node in _own_nodes(stmt):
        if (
            isinstance(node, ast.Call)
            and node is not call
            and isinstance(node.func, ast.Name)
            and any(a is call for a in _ancestors_in(node, call))
        ):
            out.add(id(node))
    return out


def _ancestors_in(node: ast.AST, call: ast.Call) -> Iterator[ast.AST]:
    """Every node below `node` on the way to `call` (positional and keyword arguments)."""
    for arg in (
        (*node.args, *(k.value for k in node.keywords)) if isinstance(node, ast.Call) else ()
    ):
        yield from ast.walk(arg)


def _has_foreign(prover: _Prover, node: ast.AST, state: _State) -> bool:
    """Whether evaluating `node` may run code this pass does not model: a call it does not
    know, an await or a yield (anything may be rebound meanwhile)."""
    for n in ast.walk(node):
        if isinstance(n, _FORGET_ALL):
            return True
        if isinstance(n, ast.Call) and not prover.modelled_call(n, state):
            return True
    return False


def _pinned(func: ast.AST) -> set[str]:
    """Names declared global or nonlocal anywhere in the function (a nested one included):
    something else may rebind them at any time."""
    return {
        name
        for node in ast.walk(func)
        if isinstance(node, (ast.Global, ast.Nonlocal))
        for name in node.names
    }


def _escaped(func: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Names the function uses other than as a modelled container: as a plain value, in a
    nested function, lambda, class or comprehension, or through a method not modelled."""
    out: set[str] = set()
    parents: dict[int, ast.AST] = {}
    for node in ast.walk(func):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    for node in ast.walk(func):
        if isinstance(node, ast.Name) and not _modelled_use(node, parents, func):
            out.add(node.id)
    return out


_SCOPES = (
    ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp,
    ast.SetComp, ast.DictComp, ast.GeneratorExp,
)  # fmt: skip


def _modelled_use(node: ast.Name, parents: Mapping[int, ast.AST], func: ast.AST) -> bool:
    if not isinstance(node.ctx, ast.Load):
        return True  # a binding: the value bound decides
    if any(isinstance(p, _SCOPES) for p in _chain(node, parents, func)):
        return False
    parent = parents.get(id(node))
    if isinstance(parent, ast.Subscript) and parent.value is node:
        return True
    if isinstance(parent, ast.Attribute) and parent.attr in _CONTAINER_METHODS:
        grand = parents.get(id(parent))
        return isinstance(grand, ast.Call) and grand.func is parent
    return False


def _chain(node: ast.AST, parents: Mapping[int, ast.AST], func: ast.AST) -> Iterable[ast.AST]:
    """The enclosing nodes of `node` below `func`."""
    p = parents.get(id(node))
    while p is not None and p is not func:
        yield p
        p = parents.get(id(p))
