"""Configuration files are one YAML document; problems always name the file and line."""

from __future__ import annotations

import pytest

from vigie.errors import ConfigurationError
from vigie.yamlfile import load_located


def _problem(text: str):  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigurationError) as info:
        load_located("catalogue.yaml", text)
    return info.value.problems[0]


def test_yamlfile_second_document_is_refused_with_its_line():
    problem = _problem("a: 1\nb: 2\n---\nc: 3\n")
    assert (problem.file, problem.line) == ("catalogue.yaml", 3)
    assert "second YAML document" in problem.message


def test_yamlfile_list_of_documents_is_not_taken_for_a_list():
    problem = _problem("- a: 1\n...\n- b: 2\n")
    assert problem.line == 3


@pytest.mark.parametrize(
    "text",
    ["---\na: 1\n", "# comment\n---\n- a\n- b\n", "a: 1\n...\n", "%YAML 1.2\n---\n- x\n", "- '---'\n- b\n"],
)
def test_yamlfile_single_documents_load(text):
    assert load_located("f.yaml", text).data is not None


def test_yamlfile_problem_on_a_document_pyyaml_cannot_compose_has_no_line():
    doc = load_located("f.yaml", "a: 1\n")
    doc._text = "a: 1\n---\nb: 2\n"  # what the Rust parser accepted, PyYAML refuses
    assert doc.problem(("a",), "bad value").line is None
