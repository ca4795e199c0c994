"""JSON nesting depth, checked before parsing."""

from __future__ import annotations

import json

import pytest

from vigie.jsondepth import MAX_DEPTH, lone_surrogate, too_deep


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [1, 2, MAX_DEPTH])
def test_jsondepth_up_to_the_limit_passes(depth):
    assert not too_deep(nested(depth))
    assert not too_deep(json.dumps({"a": [{"b": json.loads(nested(depth))}]}), limit=depth + 3)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1000, 100_000])
def test_jsondepth_beyond_the_limit_is_found(depth):
    assert too_deep(nested(depth))
    assert too_deep(('{"x": ' + nested(depth) + "}").encode())


def test_jsondepth_brackets_in_strings_do_not_count():
    text = json.dumps({"description": "[" * 500 + '\\"{' * 100, "list": [[1], [2]] * 50})
    assert not too_deep(text)
    assert too_deep('{"s": "\\\\", "a": ' + nested(40) + "}")


@pytest.mark.parametrize(
    "text",
    [rb'"\ud800"', rb'"\uDC00"', rb'"\ud83d"', rb'"\ud83d x\ude00"', rb'"\ud83d\u0041"']
    + [rb'{"a": "\\\ud800"}'],
)
def test_jsondepth_lone_surrogate_escape_is_found(text):
    assert lone_surrogate(text)
    value = json.loads(text)
    with pytest.raises(UnicodeEncodeError):  # what Python's decoder makes of it has no UTF-8
        (value if isinstance(value, str) else value["a"]).encode()


@pytest.mark.parametrize(
    "text", [rb'"\ud83d\ude00"', rb'"\\ud800"', rb'"\u00e9 [\\u]"', b'"plain"', rb'"\\\\"']
)
def test_jsondepth_pairs_and_escaped_backslashes_are_not_lone_surrogates(text):
    assert not lone_surrogate(text)
    json.loads(text).encode()
