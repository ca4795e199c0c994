from __future__ import annotations

import pytest

from vigie.addresses.text import HouseNumber, index_tokens, parse_housenumber, parse_query, proper_case


@pytest.mark.parametrize(
    ("raw", "number", "rep"),
    [
        ("12", 12, ""),
        ("3bis", 3, "bis"),
        ("36 B", 36, "b"),
        ("12 Bis", 12, "bis"),
        ("21 TER", 21, "ter"),
        ("1-3", 1, ""),
        ("2-2bis", 2, ""),
        ("17/19", 17, ""),
        ("32  34", 32, ""),
        ("44D", 44, "d"),
    ],
)
def test_text_housenumber_normalised(raw: str, number: int, rep: str) -> None:
    assert parse_housenumber(raw) == HouseNumber(number, rep)


@pytest.mark.parametrize("raw", ["", "0", "bis", "rue", None, "12345678"])
def test_text_housenumber_refuses_what_is_not_a_number(raw: str | None) -> None:
    assert parse_housenumber(raw) is None


def test_text_housenumber_label() -> None:
    assert HouseNumber(3, "bis").label == "3 bis"
    assert HouseNumber(36, "b").label == "36 B"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("RUE DE LA LIBERTE", "Rue de la Liberté"),
        ("RUE D'YORK", "Rue d'York"),
        ("AVENUE DE LA 1ERE ARMEE FRANCAISE", "Avenue de la 1ere Armée Française"),
        ("PLACE SAINT-EXUPERY", "Place Saint-Exupery"),
        ("Rue de la Préfecture", "Rue de la Préfecture"),
    ],
)
def test_text_proper_case_for_names_in_capitals(raw: str, shown: str) -> None:
    assert proper_case(raw) == shown


def test_text_tokens_fold_accents_case_and_abbreviations() -> None:
    assert index_tokens("Av. du Maréchal Foch") == ["avenue", "marechal", "foch"]
    assert index_tokens("BD ST-MICHEL") == ["boulevard", "saint", "michel"]


def test_text_query_number_then_words_with_the_last_as_prefix() -> None:
    q = parse_query("12 liber")
    assert q.housenumber == HouseNumber(12)
    assert [(t.text, t.prefix) for t in q.terms] == [("liber", True)]
    q = parse_query("12 bis rue de la liberte ")
    assert q.housenumber == HouseNumber(12, "bis")
    assert [(t.text, t.prefix) for t in q.terms] == [("rue", False), ("liberte", False)]


def test_text_query_abbreviation_being_typed_keeps_both_readings() -> None:
    q = parse_query("place st")
    assert q.terms[-1].text == "st" and q.terms[-1].prefix and q.terms[-1].alternatives == ("saint",)
    assert parse_query("st michel").terms[0].text == "saint"


def test_text_query_postcode_is_not_a_house_number() -> None:
    q = parse_query("21000 dijon")
    assert q.housenumber is None
    assert [t.text for t in q.terms] == ["21000", "dijon"]
