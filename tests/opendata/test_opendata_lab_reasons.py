"""The data lab's refusals: a stable code each, a message in the request's language (the
English ``detail`` kept for the API's clients), DuckDB's own words quoted after it."""

from __future__ import annotations

import pytest

from tests.opendata.helpers import published_carparks


@pytest.fixture
def published(vigie, make_agent):
    return published_carparks(vigie, make_agent)


def _refusal(client, sql, lang):
    r = client.post(f"/api/v1/lab/query?lang={lang}", json={"sql": sql})
    assert r.status_code in (400, 422), r.text
    return r.json()


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        ("SELEC 1", "lab.syntax_error"),
        ("SELECT 1 FROM nowhere", "lab.unknown_name"),
        ("SELECT * FROM read_csv('/etc/passwd')", "lab.forbidden"),
        ("SELECT nope FROM parkings", "lab.invalid"),
        ("SELECT 1; SELECT 2", "lab.statements"),
        ("CREATE TABLE t AS SELECT 1", "lab.not_a_query"),
        ("", "lab.empty"),
        ("SELECT repeat('x', 9000000) AS s", "lab.limit_bytes"),
    ],
)
def test_opendata_lab_refusal_has_its_code(client, published, sql, code):
    body = _refusal(client, sql, "en")
    assert body["code"] == code
    assert body["detail"] and body["message"] and body["message"] != f"reason.{code}"


def test_opendata_lab_refusal_message_in_the_request_language(client, published):
    fr = _refusal(client, "SELEC 1", "fr")
    en = _refusal(client, "SELEC 1", "en")
    assert fr["code"] == en["code"] == "lab.syntax_error"
    assert fr["message"].startswith("Requête refusée : erreur de syntaxe SQL. Détail de DuckDB : « ")
    assert en["message"].startswith("Query refused: SQL syntax error. DuckDB's detail: “")
    # DuckDB's detail is quoted as it came; the API's detail stays the English text it was.
    assert fr["params"]["detail"] in fr["message"] and fr["detail"].startswith("query refused: ")
    header = client.post(
        "/api/v1/lab/query", json={"sql": "SELEC 1"}, headers={"Accept-Language": "en-GB,en;q=0.9"}
    )
    assert header.json()["message"] == en["message"]


def test_opendata_lab_refusal_says_nothing_is_published(client):
    body = _refusal(client, "SELECT * FROM parkings", "fr")
    assert body["code"] == "lab.nothing_published"
    assert body["message"].startswith("Aucun jeu de données n'est encore publié")


def test_opendata_lab_limit_keeps_its_fields_and_gains_a_code(client, published):
    body = _refusal(client, "SELECT repeat('x', 9000000) AS s", "fr")
    assert (body["limit"], body["value"], body["code"]) == ("bytes", 8.0, "lab.limit_bytes")
    assert "(8 Mo)" in body["message"]


def test_opendata_lab_saved_query_refusal_is_coded(client, published):
    r = client.post("/api/v1/lab/queries?lang=en", json={"title": "a@b.org", "sql": "SELECT 1"})
    assert r.status_code == 422
    assert r.json()["code"] == "lab.saved_email" and "e-mail address" in r.json()["message"]
