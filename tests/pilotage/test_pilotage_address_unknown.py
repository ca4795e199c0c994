"""A report without an address, as the control room writes it: "Adresse inconnue — <zone>" and its
coordinates, alike on the report page (its printed work order), in the CSV export and in the queue's
messages; the zone's name alone read as an address it was not."""

from __future__ import annotations

import csv
import io

import pytest

from tests.reports.helpers import submit_report
from vigie.pilotage.queue import place_text

CHENOVE = {"lat": 47.2920, "long": 5.0080}  # commune 21166
UNKNOWN = {
    "fr": "Adresse inconnue — Chenôve (47.29200, 5.00800)",
    "en": "Unknown address — Chenôve (47.29200, 5.00800)",
}


def test_pilotage_place_text_is_the_address_when_there_is_one():
    assert place_text("4 rue Monge, Dijon", "Dijon", 47.3, 5.0, "fr") == "4 rue Monge, Dijon"
    assert place_text("", "Chenôve", None, None, "en") == "Unknown address — Chenôve (—)"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_pilotage_report_page_and_work_order_say_the_address_is_unknown(
    vigie, make_agent, session_client, lang
):
    rid = submit_report(vigie, description="Nid-de-poule sans adresse", **CHENOVE)
    with_address = submit_report(vigie, address="4 rue Monge, Dijon")
    op = session_client(make_agent("operator"))
    op.cookies.set("vigie_lang", lang)
    page = op.get(f"/pilotage/signalements/{rid}")
    assert page.status_code == 200 and UNKNOWN[lang] in page.text
    assert "4 rue Monge, Dijon" in op.get(f"/pilotage/signalements/{with_address}").text
    # The queue's script writes it with the same words.
    assert UNKNOWN[lang].split(" — ")[0] in op.get("/pilotage").text


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_pilotage_csv_export_says_the_address_is_unknown(vigie, client, auth, lang):
    submit_report(vigie, description="Nid-de-poule sans adresse", **CHENOVE)
    submit_report(vigie, address="4 rue Monge, Dijon")
    client.cookies.set("vigie_lang", lang)
    r = client.get("/api/v1/pilotage/queue.csv", headers=auth("operator"))
    assert r.status_code == 200, r.text
    addresses = {row["address"] for row in csv.DictReader(io.StringIO(r.text.lstrip("\ufeff")))}
    assert addresses == {UNKNOWN[lang], "4 rue Monge, Dijon"}
