"""Load YAML into pydantic models with errors that name the file, line and key."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from secscan.errors import ConfigError
from secscan.util import files as _files

M = TypeVar("M", bound=BaseModel)

#: libyaml's safe loader when PyYAML was built with it: policy loading is mostly YAML parsing.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loaded:
    """Parsed data plus the node tree that remembers where each key was written."""

    def __init__(self, data: Any, node: yaml.Node | None) -> None:
        self.data = data
        self.node = node

    def line_of(self, loc: Sequence[int | str]) -> int | None:
        node = self.node
        line = node.start_mark.line + 1 if node is not None else None
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                        node = value
                        line = key.start_mark.line + 1
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if part >= len(node.value):
                    return line
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                return line
        return line


def load_yaml(path: Path, error: type[ConfigError] = ConfigError) -> _Loaded:
    """A named YAML file, read through `_files` (a regular file, no link, bounded)."""
    return parse_yaml(_files.read_text(path, error=error), str(path), error)


def parse_yaml(text: str, name: str, error: type[ConfigError] = ConfigError) -> _Loaded:
    try:
        node = yaml.compose(text, Loader=_LOADER)
        # Before anything walks the data: aliases that expand past a bound (billion laughs)
        # would make every later walk (validation, duplicate keys) take forever.
        bomb = _bomb_in([node]) if "&" in text and "*" in text else None
        if bomb is not None:
            raise error(bomb, path=name, line=1)
        loader = _LOADER(text)  # what yaml.load does, with our (always safe) loader class
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        raise error(f"YAML syntax error: {e.problem or e}", path=name, line=line) from e
    except yaml.YAMLError as e:
        raise error(f"YAML syntax error: {e}", path=name) from e
    return _Loaded(data, node)


def validate(
    model: type[M], loaded: _Loaded, name: str, error: type[ConfigError] = ConfigError
) -> M:
    """Validate into `model`, turning the first pydantic error into a located ConfigError."""
    data = {} if loaded.data is None else loaded.data
    try:
        return model.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        loc = list(first["loc"])
        key = ".".join(str(p) for p in loc) or None
        msg = first["msg"]
        if first["type"] == "extra_forbidden":
            msg = "unknown key"
        more = len(e.errors()) - 1
        if more:
            msg += f" (and {more} more error{'s' if more > 1 else ''})"
        raise error(msg, path=name, line=loaded.line_of(loc), key=key) from e


def load_model(path: Path, model: type[M], error: type[ConfigError] = ConfigError) -> M:
    return validate(model, load_yaml(path, error), str(path), error)


#: A YAML document whose aliases expand it past this many nodes, and past EXPANSION_RATIO
#: times the nodes it writes, is a billion-laughs document: no parser should expand it.
MAX_EXPANDED_NODES = 100_000
EXPANSION_RATIO = 10


def alias_bomb(text: str) -> str | None:
    """Why the YAML documents in `text` are an alias bomb, or None (also when it is not YAML:
    the reader that parses it says so).

    The node graph is composed without expanding anything (an alias is the anchored node
    itself), then each node's expanded size is counted once, iteratively: cost is linear
    in the text whatever the expansion."""
    if "&" not in text or "*" not in text:
        return None
    try:
        docs = list(yaml.compose_all(text, Loader=_LOADER))
    except yaml.YAMLError:
        return None
    except RecursionError:
        return "YAML nested too deeply to be read safely"
    return _bomb_in(docs)


def _bomb_in(docs: Sequence[yaml.Node | None]) -> str | None:
    sizes: dict[int, int] = {}
    total = 0
    for doc in docs:
        if doc is None:
            continue
        opened: set[int] = set()
        stack: list[tuple[yaml.Node, bool]] = [(doc, False)]
        while stack:
            node, done = stack.pop()
            key = id(node)
            children = _children(node)
            if done:
                size = 1 + sum(sizes[id(c)] for c in children)
                sizes[key] = min(size, 10**15)
                opened.discard(key)
                continue
            if key in sizes:
                continue
            if key in opened:
                return "its YAML aliases refer to themselves (an endless document)"
            opened.add(key)
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
        total += sizes[id(doc)]
    if total > MAX_EXPANDED_NODES and total > EXPANSION_RATIO * len(sizes):
        return (
            f"its YAML aliases expand {len(sizes):,} written nodes to {total:,} (more than "
            f"{MAX_EXPANDED_NODES:,}): a billion-laughs document, not read"
        )
    return None


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []
