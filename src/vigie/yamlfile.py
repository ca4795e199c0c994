"""YAML loading that remembers where each value came from.

Configuration errors must name the file, line and field at fault, so we keep a
map from JSON-pointer-like paths to line numbers while loading.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from vigie.errors import ConfigProblem, ConfigurationError

Path_ = tuple[str | int, ...]


# A line that starts a document ("---") or ends one ("..."), at the left margin.
_DOCUMENT_MARK = re.compile(r"(?:---|\.\.\.)(?:[ \t]|$)")


def _second_document_line(text: str) -> int | None:
    """Line where a second YAML document starts, if the text holds more than one.

    The Rust parser returns several documents as a list, which would pass for a
    list document; a configuration file is one document.
    """
    content = ended = False
    for number, line in enumerate(text.splitlines(), 1):
        if _DOCUMENT_MARK.match(line):
            if line.startswith("---") and content:
                return number
            ended = ended or (line.startswith("...") and content)
            content = content or (line.startswith("---") and bool(line[3:].split("#")[0].strip()))
            continue
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "%")):
            if ended:
                return number
            content = True
    return None


def _fast_load(text: str) -> Any:
    """Parse with the Rust YAML parser: 40x faster than PyYAML on large catalogues.

    See docs/decisions/0001-yaml-parser.md. Its values are the only ones used: a
    text it refuses is an error, explained by :func:`_refusal`.
    """
    import yaml_rs

    return yaml_rs.loads(text)


_RUST_LINE = re.compile(r"at line (\d+)")


def _duplicate_key(node: yaml.Node | None, path: Path_ = ()) -> tuple[Path_, int, int] | None:
    """The first key repeated in a mapping: (its path, line of the repeat, line of the first)."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if isinstance(key, str) and key in seen:
                return path + (key,), line, seen[key]
            if isinstance(key, str):
                seen[key] = line
            found = _duplicate_key(value_node, path + (key,))
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found = _duplicate_key(item, path + (i,))
            if found:
                return found
    return None


def _refusal(file: str, text: str, exc: Exception) -> ConfigProblem:
    """Why the Rust parser refused ``text``, at which line.

    PyYAML only locates: it explains syntax errors with their line, and its node
    tree (which keeps repeated keys, where its loader would let the last one
    win) shows where a key is repeated. Its values are never used.
    """
    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_cls(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as yexc:
        mark = getattr(yexc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        return ConfigProblem(file, line, "(syntax)", str(getattr(yexc, "problem", yexc)))
    finally:
        loader.dispose()
    duplicate = _duplicate_key(node)
    if duplicate is not None:
        where, line, first = duplicate
        return ConfigProblem(
            file, line, format_path(where), f"duplicate key '{where[-1]}' (first given at line {first})"
        )
    lines = [part.strip() for part in str(exc).splitlines() if part.strip()]
    found = _RUST_LINE.search(lines[0]) if lines else None
    return ConfigProblem(
        file, int(found.group(1)) if found else None, "(syntax)", lines[-1] if lines else "invalid YAML"
    )


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[path + (key,)] = key_node.start_mark.line + 1
            _walk(value_node, path + (key,), lines)
            lines[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), lines)


class LocatedDocument:
    """Parsed data plus, computed only when an error needs it, the line of each path."""

    def __init__(self, file: str, data: Any, node: yaml.Node | None, text: str = "") -> None:
        self.file = file
        self.data = data
        self._node = node
        self._text = text
        self._lines: dict[Path_, int] | None = None

    @property
    def lines(self) -> dict[Path_, int]:
        if self._lines is None:
            self._lines = {}
            node = self._node
            if node is None and self._text:
                loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
                loader = loader_cls(self._text)
                try:
                    node = loader.get_single_node()
                except yaml.YAMLError:  # reporting a problem must not fail: no line then
                    node = None
                finally:
                    loader.dispose()
            if node is not None:
                _walk(node, (), self._lines)
        return self._lines

    def line_of(self, path: Path_) -> int | None:
        path = tuple(path)
        lines = self.lines
        while path:
            if path in lines:
                return lines[path]
            path = path[:-1]
        return lines.get((), None)

    def problem(self, path: Path_, message: str) -> ConfigProblem:
        return ConfigProblem(self.file, self.line_of(path), format_path(path), message)


def schema_problem(doc: LocatedDocument, err: Any) -> ConfigProblem:
    """A JSON Schema error (``jsonschema.ValidationError``) as a problem of the file, in words
    for the person editing it: an unknown key is named at its own line with the keys expected
    there; a failed pattern says what was expected (the schema's ``x-expected``) rather than
    the regular expression."""
    path: Path_ = tuple(err.absolute_path)
    schema = err.schema if isinstance(err.schema, dict) else {}
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = sorted((schema.get("properties") or {}).keys())
        extra = [k for k in err.instance if k not in allowed]
        if extra:
            hint = f" (expected one of: {', '.join(allowed)})" if allowed else ""
            return doc.problem(path + (extra[0],), f"unknown key '{extra[0]}'{hint}")
    if err.validator == "pattern" and schema.get("x-expected"):
        return doc.problem(path, f"{err.instance!r} is not {schema['x-expected']}")
    return doc.problem(path, err.message)


def format_path(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def load_located(path: Path | str, text: str | None = None) -> LocatedDocument:
    file = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError([ConfigProblem(file, None, "(file)", str(exc))]) from exc
    try:
        data = _fast_load(text)
    except Exception as exc:
        raise ConfigurationError([_refusal(file, text, exc)]) from exc
    if isinstance(data, list) and (second := _second_document_line(text)) is not None:
        raise ConfigurationError(
            [ConfigProblem(file, second, "(syntax)", "a second YAML document starts here; one per file")]
        )
    # Lines are found (with PyYAML's node tree) only when a problem is reported.
    return LocatedDocument(file, data, None, text)
