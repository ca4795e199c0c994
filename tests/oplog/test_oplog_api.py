"""The operations log's API: timeline, write, correct, export, summary."""

from __future__ import annotations

import csv
import io


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_oplog_api_write_correct_list_export(client, agent_token):
    h = _auth(agent_token("operator"))
    r = client.post(
        "/api/v1/oplog", json={"service": "traffic", "text": "Feux carrefour Darcy au clignotant"}, headers=h
    )
    assert r.status_code == 201, r.text
    entry = r.json()
    r = client.post(
        f"/api/v1/oplog/{entry['id']}/corrections", json={"text": "Carrefour Wilson, pas Darcy"}, headers=h
    )
    assert r.status_code == 201 and r.json()["corrects_id"] == entry["id"]
    page = client.get("/api/v1/oplog", params={"service": "traffic", "q": "wilson"}, headers=h).json()
    assert page["total"] == 1 and page["items"][0]["kind"] == "correction"
    assert client.get(f"/api/v1/oplog/{entry['id']}", headers=h).json()["corrected_by"] == [
        page["items"][0]["id"]
    ]
    r = client.get("/api/v1/oplog.csv", params={"service": "traffic"}, headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["kind"] for row in rows] == ["note", "correction"]
    assert rows[1]["corrects_id"] == str(entry["id"])
    summary = client.get("/api/v1/oplog/summary", headers=h).json()
    assert summary["by_service"] == {"traffic": 2}
    text = client.get("/api/v1/oplog/summary", params={"format": "text"}, headers=h).text
    assert "Main courante" in text and "Carrefour Wilson" in text


def test_oplog_api_bad_input_is_a_clear_4xx(client, agent_token):
    h = _auth(agent_token("operator"))
    r = client.post("/api/v1/oplog", json={"service": "rien", "text": "x"}, headers=h)
    assert r.status_code == 422 and "unknown service" in r.text
    r = client.post("/api/v1/oplog", json={"text": "x", "extra": 1}, headers=h)
    assert r.status_code == 422
    r = client.get("/api/v1/oplog", params={"start": "hier"}, headers=h)
    assert r.status_code == 422 and "start" in r.text
    r = client.get("/api/v1/oplog", params={"start": "2026-12-01T00:00:00"}, headers=h)
    assert r.status_code == 422 and "zone" in r.text
    r = client.get("/api/v1/oplog.csv", params={"severity": "grave"}, headers=h)
    assert r.status_code == 422
    assert client.post("/api/v1/oplog/424242/corrections", json={"text": "x"}, headers=h).status_code == 404
    assert client.get("/api/v1/oplog/summary", params={"format": "xml"}, headers=h).status_code == 422


def test_oplog_api_export_writes_formula_text_as_text(client, agent_token):
    """An entry typed as a formula opens as text in a spreadsheet (CSV injection); ids stay numbers."""
    h = _auth(agent_token("operator"))
    for text in ("=1+1 appel", "-bas de la rue", "@chef", "Rien à signaler"):
        assert (
            client.post("/api/v1/oplog", json={"service": "traffic", "text": text}, headers=h).status_code
            == 201
        )
    r = client.get("/api/v1/oplog.csv", params={"service": "traffic"}, headers=h)
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["text"] for row in rows] == ["'=1+1 appel", "'-bas de la rue", "'@chef", "Rien à signaler"]
    assert all(row["id"].isdigit() for row in rows)
