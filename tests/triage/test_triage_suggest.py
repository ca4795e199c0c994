"""Service suggestion: the catalogue's words to start with, then the city's own history."""

from __future__ import annotations

import random

from typer.testing import CliRunner

from vigie.accounts.domain import SYSTEM
from vigie.reports.actions import do_acknowledge, do_requalify
from vigie.reports.intake import Submission, check_submission, do_create_reports
from vigie.triage.actions import evaluate, suggest, suggestable, train
from vigie.triage.demo import demo_text
from vigie.triage.domain import KeywordRanker, LearnedRanker, accuracy, words

DIJON = {"lat": 47.3220, "long": 5.0415}


def test_triage_words_fold_accents_plurals_and_stopwords():
    assert words("Les Lampadaires éteints dans la rue") == words("lampadaire eteint rue")
    assert words("lampadaires") == words("lampadaire") and words("éteinte") == words("éteint")


def test_triage_keywords_rank_the_catalogue_words(vigie):
    ranker = KeywordRanker(suggestable(vigie))
    assert ranker.rank("Il y a un nid de poule énorme sur la chaussée")[0].service_code == "nid-de-poule"
    assert ranker.rank("rien à voir avec quoi que ce soit") == []


def test_triage_learned_model_beats_keywords_on_generated_history(vigie):
    services = suggestable(vigie)
    rng = random.Random(7)
    history = [(demo_text(s, rng), s.code) for s in services for _ in range(12)]
    rng.shuffle(history)
    held, train_on = history[:200], history[200:]
    learned = accuracy(LearnedRanker.train(services, train_on).rank, held)
    keywords = accuracy(KeywordRanker(services).rank, held)
    assert learned.cases == keywords.cases == 200
    assert learned.top1 > keywords.top1 and learned.top3 > keywords.top3


def _handled(vigie, text: str, filed_as: str, chosen: str) -> None:
    sub = Submission(service_code=filed_as, channel="email", description=text, **DIJON)
    row = do_create_reports(vigie, check_submission(vigie, sub)).row
    if chosen != filed_as:
        do_requalify(vigie, row.id, SYSTEM, chosen)
    do_acknowledge(vigie, row.id, SYSTEM)


def test_triage_learns_the_service_operators_finally_chose(vigie):
    # "Zorglub" is no word of the catalogue: only the history can teach it.
    assert not train(vigie).model.rank("le zorglub")
    for n in range(3):
        _handled(
            vigie, f"Le zorglub de la rue {n} déborde", filed_as="depot-sauvage", chosen="bac-non-collecte"
        )
    vigie.caches.service_ranker = None
    assert suggest(vigie, "encore le zorglub")[0].service_code == "bac-non-collecte"
    # A text with no word the model knows falls back on the keywords, else nothing.
    assert suggest(vigie, "qwxz") == []


def test_triage_evaluate_holds_out_one_report_in_five(vigie, monkeypatch):
    for n in range(10):
        _handled(
            vigie,
            f"lampadaire éteint rue {n}",
            filed_as="luminaire-hors-service",
            chosen="luminaire-hors-service",
        )
    result = evaluate(vigie)
    assert result.trained_on + result.learned.cases == 10
    assert result.learned.cases == 2 and result.learned.top1 == 2

    monkeypatch.setenv("VIGIE_DATABASE_URL", vigie.settings.resolved_database_url)
    monkeypatch.setenv("VIGIE_DATA_DIR", str(vigie.settings.data_dir))
    from vigie.cli import app

    out = CliRunner().invoke(app, ["triage", "evaluate"], catch_exceptions=False).output
    assert "held out 2" in out
    assert "learned" in out and "100.0%" in out and "keywords only" in out


def test_triage_suggest_endpoint_for_the_phone_intake(client, auth, vigie):
    r = client.get(
        "/api/v1/pilotage/suggest", params={"text": "un nid de poule énorme"}, headers=auth("operator")
    )
    assert r.status_code == 200
    assert r.json()[0] == {"service_code": "nid-de-poule", "name": "Nid-de-poule", "group": "voirie"}
    assert (
        client.get("/api/v1/pilotage/suggest", params={"text": "  "}, headers=auth("operator")).json() == []
    )
    assert (
        client.get(
            "/api/v1/pilotage/suggest", params={"text": "x" * 4001}, headers=auth("operator")
        ).status_code
        == 422
    )
    assert (
        client.get(
            "/api/v1/pilotage/suggest", params={"text": "trou"}, headers=auth("field_agent")
        ).status_code
        == 403
    )
    assert client.get("/api/v1/pilotage/suggest", params={"text": "trou"}).status_code == 401
