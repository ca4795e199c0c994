"""The publication rules editor's use cases: what a staged file shows of its columns (never a
column of personal data), the rules it proposes first, and the rules a publisher sends: with a
new dataset to the committee, as a new proposal when an existing dataset's rules change."""

from __future__ import annotations

import pytest

from tests.opendata.helpers import METADATA, approve, carpark_csv, committee
from vigie.errors import Conflict, NotFound, ValidationFailed
from vigie.opendata.queries import dataset_of, releases
from vigie.opendata.review import proposals
from vigie.opendata.staging import do_publish_staged, do_stage_upload
from vigie.opendata.suggest import MASK
from vigie.web.i18n import reason_text


def _signalements(agent_name: str) -> bytes:
    lines = ["date;parking;courriel;telephone;agent;places"]
    for i in range(12):
        lines.append(
            f"2026-03-0{1 + i % 3}T1{i % 10}:15:00;P{i % 4};habitant{i}@example.org;"
            f"03 80 00 00 {10 + i};{agent_name if i % 2 else 'inconnu'};{i * 3}"
        )
    return ("\n".join(lines) + "\n").encode()


def test_opendata_editor_preview_hides_personal_columns_and_proposes_to_drop_them(vigie, make_agent):
    publisher = make_agent("supervisor")
    known = make_agent("operator")  # an agent's full name: the scanner looks for it

    preview = do_stage_upload(vigie, publisher, _signalements(known.name), "signalements.csv").preview()

    profiles = {p["name"]: p for p in preview["profiles"]}
    assert profiles["courriel"]["personal"] == "email"
    assert profiles["telephone"]["personal"] == "phone"
    assert profiles["agent"]["personal"] == "name"
    for name in ("courriel", "telephone", "agent"):
        assert profiles[name]["sample"] == []  # no value of a personal column is shown
        assert {r[name] for r in preview["first_rows"]} == {MASK}
    assert profiles["parking"] == {
        "name": "parking",
        "distinct": 4,
        "sample": ["P0", "P1", "P2", "P3"],
        "personal": "",
    }
    assert len(profiles["places"]["sample"]) == 5 and profiles["places"]["distinct"] == 12
    assert preview["rules_from"] == "suggested"
    assert preview["rules"]["drop"] == ["courriel", "telephone", "agent"]
    assert preview["rules"]["time"] == {"date": "hour"}
    assert preview["rules"]["k"] == 5 and preview["rules"]["location"] == "grid"


def test_opendata_editor_new_dataset_goes_to_the_committee_with_the_rules_chosen(vigie, make_agent):
    publisher = make_agent("supervisor")
    preview = do_stage_upload(vigie, publisher, _signalements("Personne Inconnue"), "s.csv").preview()
    rules = {
        **preview["rules"],
        "time": {"date": "day"},
        "quasi_identifiers": ["parking"],
        "k": 6,
        "suppress_share": 0.1,
        "min_count": 3,
    }
    payload = {"id": "signalements", "metadata": METADATA, "columns": preview["columns"], "rules": rules}

    out = do_publish_staged(vigie, publisher, preview["key"], {**payload, "summary": "Par parking."})

    assert out["status"] == "in_review"
    (proposal,) = proposals(vigie, "signalements")
    assert proposal.kind == "new" and proposal.summary == "Par parking."
    assert proposal.rules["drop"] == ["courriel", "telephone"]  # no known name in "agent" here
    assert proposal.rules["quasi_identifiers"] == ["parking"] and proposal.rules["k"] == 6
    assert proposal.rules["time"] == {"date": "day"} and proposal.rules["min_count"] == 3


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({"location_m": 5}, "rules.location_m"),
        ({"location": "blur"}, "rules.location"),
        ({"k": 2}, "rules.k"),
        ({"k": "cinq"}, "rules.k"),
        ({"quasi_identifiers": ["nope"]}, "rules.quasi_identifiers"),
        ({"drop": ["nope"]}, "rules.drop"),
        ({"time": {"parking": "day"}}, "rules.time"),
        ({"suppress_share": 0.5}, "rules.suppress_share"),
        ({"suppress_share": "dix"}, "rules.suppress_share"),
        ({"min_count": -1}, "rules.min_count"),
        ({"exclude_sensitive": "oui"}, "rules.exclude_sensitive"),
    ],
)
def test_opendata_editor_bad_rules_name_their_field_and_keep_nothing(vigie, make_agent, rules, field):
    publisher = make_agent("supervisor")
    preview = do_stage_upload(vigie, publisher, carpark_csv(30), "occupation.csv").preview()
    payload = {"id": "parkings", "metadata": METADATA, "columns": preview["columns"], "rules": rules}

    with pytest.raises(ValidationFailed) as refused:
        do_publish_staged(vigie, publisher, preview["key"], payload)

    assert refused.value.field == field
    # Coded, so that a page says it in its own language (docs/opendata-api.md lists the codes).
    assert refused.value.reason is not None and refused.value.reason.startswith("rules.")
    text = reason_text("fr", refused.value.reason, refused.value.params)
    assert not text.startswith("reason.") and "{" not in text  # a text, every value given
    with pytest.raises(NotFound):
        dataset_of(vigie, "parkings")
    # The staged file is still there: the publisher corrects the rules and sends again.
    assert (
        do_publish_staged(vigie, publisher, preview["key"], {**payload, "rules": {}})["dataset"] == "parkings"
    )


def test_opendata_editor_changed_rules_of_a_dataset_are_a_new_proposal(vigie, make_agent):
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    preview = do_stage_upload(vigie, publisher, carpark_csv(100), "occupation.csv").preview()
    payload = {
        "id": "parkings",
        "metadata": METADATA,
        "columns": preview["columns"],
        "rules": preview["rules"],
    }
    do_publish_staged(vigie, publisher, preview["key"], payload)
    # Under review, a new file's editor starts from the proposal; sending it back proposes nothing.
    again = do_stage_upload(vigie, publisher, carpark_csv(110), "o.csv", dataset_id="parkings").preview()
    assert (again["rules_from"], again["rules"]) == ("proposed", preview["rules"])
    assert "proposal" not in do_publish_staged(vigie, publisher, again["key"], {"rules": again["rules"]})
    approve(vigie, members, "parkings")

    staged = do_stage_upload(vigie, publisher, carpark_csv(120), "o.csv", dataset_id="parkings").preview()
    assert staged["rules_from"] == "approved" and staged["rules"]["time"] == {"datetime": "hour"}
    changed = {**staged["rules"], "time": {"datetime": "day"}}
    # The summary goes to the committee's public record: a contact in it is refused first.
    with pytest.raises(ValidationFailed) as contact:
        do_publish_staged(
            vigie, publisher, staged["key"], {"rules": changed, "summary": "Voir a.b@example.org"}
        )
    assert contact.value.field == "summary" and releases(vigie, "parkings") == []
    out = do_publish_staged(vigie, publisher, staged["key"], {"rules": changed, "summary": "Au jour."})

    # The file is released under the approved rules; the new ones wait for the committee.
    assert out["release"]["status"] == "published" and out["release"]["version"] == 1
    proposal = next(p for p in proposals(vigie, "parkings") if p.status == "open")
    assert out["proposal"] == proposal.id and proposal.kind == "rules" and proposal.summary == "Au jour."
    assert proposal.rules["time"] == {"datetime": "day"}
    assert dataset_of(vigie, "parkings").rules.time == {"datetime": "hour"}

    # Another change while that one is under review: refused before the file is kept or released.
    other = do_stage_upload(vigie, publisher, carpark_csv(130), "o.csv", dataset_id="parkings").preview()
    assert other["rules_from"] == "proposed"
    with pytest.raises(Conflict) as refused:
        do_publish_staged(
            vigie, publisher, other["key"], {"rules": {**changed, "time": {"datetime": "month"}}}
        )
    assert refused.value.field == "rules"
    assert len(releases(vigie, "parkings")) == 1
    approve(vigie, members, "parkings")
    assert dataset_of(vigie, "parkings").rules.time == {"datetime": "day"}
