"""Load YAML into pydantic models with errors that name the file, line and key."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from secscan import _files
from secscan.errors import ConfigError

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
        loc = [p for p in first["loc"] if isinstance(p, int | str)]
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
