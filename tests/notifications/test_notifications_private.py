"""E-mails follow the tracking rule: a non-public report is told in full to its own reporter only.

A public report merged into a non-public one (a sensitive service) makes its
reporter and followers follow the kept report: the e-mails they then get say
its reference and status, never its service, description, template or notes
(``vigie.reports.tracking``).
"""

from __future__ import annotations

from vigie.reports.actions import do_change_status, do_merge

from .conftest import follow_confirmed, outbox

SECRET = "Seringues derrière la porte du 12 rue Secrète"
NOTE = "Équipe envoyée au 12 rue Secrète"
LEAKS = (
    SECRET,
    "rue Secrète",
    "Seringues abandonnées",
    "Discarded syringes",
    "seringues",
    "Ne ramassez pas les seringues",
    "do not pick up the syringes",
)


def _private(submit, email):
    return submit(
        email=email,
        service_code="seringues",
        description=SECRET,
        attributes={"lieu": "rue"},
    )


def test_followers_of_a_report_merged_into_a_private_one_learn_only_its_status(vigie, submit, make_agent):
    public = submit(email="public.reporter@example.org", lang="fr")
    follow_confirmed(vigie, public.id, email="follower@example.org", lang="en")
    private = _private(submit, "private.reporter@example.org")
    operator = make_agent("operator")
    do_merge(vigie, public.id, operator, private.id)
    before = len(outbox(vigie))

    do_change_status(vigie, private.id, operator, "acknowledged", public_note=NOTE)

    told = {m.recipient: m for m in outbox(vigie)[before:]}
    assert set(told) == {
        "private.reporter@example.org",
        "public.reporter@example.org",
        "follower@example.org",
    }
    for address in ("public.reporter@example.org", "follower@example.org"):
        msg = told[address]
        assert private.reference in msg.subject
        for text in (msg.subject, msg.body_text, msg.body_html or ""):
            for secret in (*LEAKS, NOTE):
                assert secret not in text, (address, secret)
    assert "pris en compte" in told["public.reporter@example.org"].subject
    assert "acknowledged" in told["follower@example.org"].subject
    # The report's own reporter is told everything, as their tracking page shows it.
    own = told["private.reporter@example.org"]
    assert NOTE in own.body_text and "Ne ramassez pas les seringues" in own.body_text
    assert "Seringues abandonnées" in own.body_text
