"""Read a YAML file into plain dicts and lists that remember their line numbers.

Instrument files are written by hand, so a mistake must be reported at its line.  The
reader is strict where PyYAML is lenient: a key given twice is an error (PyYAML keeps
the last silently), and aliases (``*name``) are refused, so a small file cannot expand
into a huge one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from generator.errors import InstrumentFileError

#: Instrument files are small; anything bigger is not one.
MAX_YAML_BYTES = 2 * 1024 * 1024


class YamlMapping(dict):
    """A mapping read from YAML: ``line`` is where it starts, ``lines[key]`` where each
    value starts and ``key_lines[key]`` where each key is written."""

    line: int
    lines: dict[Any, int]
    key_lines: dict[Any, int]


class YamlSequence(list):
    """A sequence read from YAML; ``line`` is where it starts, ``lines[i]`` where each item does."""

    line: int
    lines: list[int]


class _DuplicateKey(yaml.MarkedYAMLError):
    pass


class _LineLoader(yaml.SafeLoader):
    def compose_node(self, parent, index):  # noqa: ANN001 - PyYAML's signature
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not supported: write the text out in full", event.start_mark
            )
        return super().compose_node(parent, index)


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> YamlMapping:
    mapping = YamlMapping()
    mapping.line = _line(node)
    mapping.lines = {}
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise _DuplicateKey(None, None, "a key must be plain text", key_node.start_mark)
        if key in mapping:
            raise _DuplicateKey(
                None,
                None,
                f"the key '{key}' appears twice in the same block (first on line {mapping.lines[key]})",
                key_node.start_mark,
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[key] = _line(value_node)
        mapping.key_lines[key] = _line(key_node)
    return mapping


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> YamlSequence:
    sequence = YamlSequence(loader.construct_object(child, deep=True) for child in node.value)
    sequence.line = _line(node)
    sequence.lines = [_line(child) for child in node.value]
    return sequence


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)

if getattr(yaml, "__with_libyaml__", False):

    class _FastLineLoader(yaml.CSafeLoader):
        """The same reader on libyaml's parser: the two built-in instruments load in ~7 ms
        instead of ~120 ms, which every command pays.  libyaml composes aliases itself (as
        the same node in two places, never expanded), so they are refused after composing."""

        def get_single_node(self):  # noqa: ANN201 - PyYAML's signature
            node = super().get_single_node()
            if node is not None:
                _refuse_aliases(node)
            return node

    _FastLineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
    _FastLineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
    _LOADER: type = _FastLineLoader
else:  # pragma: no cover - a PyYAML built without libyaml
    _LOADER = _LineLoader


def _refuse_aliases(root: yaml.Node) -> None:
    """Raise a composer error if any node of the tree under ``root`` appears twice (an alias)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not supported: write the text out in full", node.start_mark
            )
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(item for pair in node.value for item in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def read_yaml(path: Path) -> Any:
    """Parse the YAML file at ``path``.

    Returns its data, mappings as :class:`YamlMapping` and lists as :class:`YamlSequence`.
    Raises :class:`InstrumentFileError` naming the file and line for anything unreadable.
    """
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise InstrumentFileError(
                path, f"the file is {size:,} bytes; an instrument file is at most {MAX_YAML_BYTES:,}"
            )
        raw = path.read_bytes()
    except OSError as error:
        raise InstrumentFileError(path, f"cannot be read ({error.strerror or error})") from error
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InstrumentFileError(path, "is not UTF-8 text; save it as UTF-8 and try again") from error
    try:
        return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a SafeLoader either way
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = error.problem or error.context or "is not valid YAML"
        raise InstrumentFileError(path, f"not valid YAML: {problem}", line=line) from error
    except yaml.YAMLError as error:
        raise InstrumentFileError(path, f"not valid YAML: {error}") from error
