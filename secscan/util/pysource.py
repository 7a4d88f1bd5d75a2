"""Python source parsed and tokenized one thread at a time.

CPython 3.11's `ast.parse` is not thread-safe: the C code that builds the Python AST objects
keeps its recursion depth in interpreter-wide state, so two threads parsing at once fail with
`SystemError: AST constructor recursion depth mismatch` (or worse), and the scanners run in
threads (pipeline.scan, a sharded scanner's shards). Every parse and tokenize in secscan goes
through here, behind one lock; tests/test_thread_safety.py fails on any other call site.

Tokenizing is pure Python in 3.11 and the GIL already runs it one thread at a time, so the
lock costs it nothing; 3.12 moved it to the C tokenizer, and it is kept behind the lock so that
no future interpreter change makes a call site unsafe again.
"""

from __future__ import annotations

import ast
import contextlib
import io
import itertools
import threading
import tokenize
from collections.abc import Generator

#: Reentrant: a caller iterating `each_token` (which holds the lock until the iteration ends)
#: may tokenize a piece of what it reads, in the same thread, without waiting on itself.
_LOCK = threading.RLock()

#: What a parse of hostile or broken source may raise (deep nesting: RecursionError).
PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError)


def parse(source: str | bytes, filename: str = "<unknown>") -> ast.Module:
    """`ast.parse`, one thread at a time; raises what it raises (see PARSE_ERRORS)."""
    with _LOCK:
        return ast.parse(source, filename=filename)


def tokens(source: str | bytes, limit: int | None = None) -> list[tokenize.TokenInfo]:
    """The tokens of `source` up to the first one the tokenizer rejects, and at most `limit`
    of them (None: all; a caller that needs the start of a long line reads no further).
    Bytes are decoded as Python decodes a file (PEP 263 coding line, BOM); a bad encoding
    gives no tokens.

    A list holds every token at once (about 500 bytes each): for a whole file of unknown
    size use `each_token`."""
    # closing: a stream cut short by `limit` is closed at once, which releases the lock.
    with contextlib.closing(each_token(source)) as stream:
        return list(itertools.islice(stream, limit))


def each_token(source: str | bytes) -> Generator[tokenize.TokenInfo, None, None]:
    """`tokens`, one at a time, so a caller that keeps only what it needs holds memory
    bounded by that, not by the token count (16 MB of NUL bytes are 16 million tokens:
    as a list, 9 GB). The lock is held until the iteration ends or the iterator is
    closed; other threads wait, the iterating thread may parse or tokenize meanwhile."""
    if isinstance(source, bytes):
        stream = tokenize.tokenize(io.BytesIO(source).readline)
    else:
        stream = tokenize.generate_tokens(io.StringIO(source).readline)
    with _LOCK:
        try:
            yield from stream
        except (tokenize.TokenError, SyntaxError, UnicodeDecodeError, ValueError):
            return
