"""YAML read with the line of every mapping, list and key, so a rule set's errors can say
where they are; a key given twice is an error instead of the last one silently winning."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import yaml

from leadrank.errors import BadInput

MAX_CHARS = 1_000_000  # far more than any rule set; a larger body is a mistake or an attack


class Lined(dict[Any, Any]):
    """A mapping that knows its line and the line of each of its keys."""

    line: int | None = None
    key_lines: dict[Any, int]


class LinedList(list[Any]):
    """A list that knows its line and the line of each item."""

    line: int | None = None
    item_lines: list[int]


class _Problem(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _Loader(yaml.SafeLoader):
    """SafeLoader whose mappings and lists carry their lines."""


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Lined:
    loader.flatten_mapping(node)  # YAML merge keys (<<) as PyYAML resolves them
    found = Lined()
    found.line = node.start_mark.line + 1
    found.key_lines = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise _Problem(line, "a key must be a plain value")
        if key in found:
            raise _Problem(line, f"{key!r} is given twice")
        found[key] = loader.construct_object(value_node, deep=True)
        found.key_lines[key] = line
    return found


def _sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> LinedList:
    found = LinedList(loader.construct_object(child, deep=True) for child in node.value)
    found.line = node.start_mark.line + 1
    found.item_lines = [child.start_mark.line + 1 for child in node.value]
    return found


_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _sequence)


def load_yaml(text: str, *, source: str) -> Any:
    """The document in `text`; BadInput naming the line when it is not valid YAML."""
    if len(text) > MAX_CHARS:
        raise BadInput(f"{source}: longer than {MAX_CHARS:,} characters")
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader: no Python objects
    except _Problem as problem:
        raise BadInput(f"{source}: line {problem.line}: {problem.message}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        what = exc.problem or exc.context or "not valid YAML"
        raise BadInput(f"{source}: {where}not valid YAML: {what}") from None
    except (yaml.YAMLError, RecursionError) as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise BadInput(f"{source}: not valid YAML: {first}") from None
