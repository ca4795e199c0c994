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


def test_yamlfile_duplicate_key_is_refused_with_its_line():
    problem = _problem("name: a\nsteps:\n  start: 1\n  end: 2\n  start: 3\n")
    assert (problem.file, problem.line, problem.field) == ("catalogue.yaml", 5, "steps.start")
    assert "duplicate key 'start'" in problem.message and "line 3" in problem.message


def test_yamlfile_duplicate_key_in_a_list_item_is_refused():
    problem = _problem("- {a: 1, a: 2}\n")
    assert problem.line == 1 and problem.field == "[0].a"


def test_yamlfile_refused_file_is_never_read_with_yaml_1_1_values():
    # YAML 1.1 (PyYAML) would read 22:00 as 1320 and "no" as False: one parser only.
    text = "start: 22:00\nanswer: no\nanswer: yes\n"
    problem = _problem(text)
    assert problem.line == 3
    doc = load_located("f.yaml", "start: 22:00\nanswer: no\n")
    assert doc.data == {"start": "22:00", "answer": "no"}


def test_yamlfile_syntax_error_names_its_line():
    problem = _problem("a: 1\nb: [1, 2\n")
    assert problem.field == "(syntax)" and problem.line in (2, 3)
