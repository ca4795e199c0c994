"""A status never appears to go backwards to a resident (issue 14 §5)."""

from __future__ import annotations

from vigie.reports.actions import do_acknowledge, do_assign, do_change_status, get_report

from .conftest import outbox


def _told(v) -> list[str]:
    return [m.subject.rsplit(" : ", 1)[1] for m in outbox(v) if m.kind == "update"]


def test_reassigning_an_ongoing_job_keeps_it_in_progress(vigie, submit, make_agent):
    row = submit(email="alice@example.org")
    operator = make_agent("operator")
    do_assign(vigie, row.id, operator, team="voirie-sud")
    do_change_status(vigie, row.id, operator, "in_progress")

    do_assign(vigie, row.id, operator, team="voirie-nord")

    again = get_report(vigie, row.id)
    assert again.status == "in_progress" and again.team == "voirie-nord"
    assert _told(vigie) == ["confié à une équipe", "intervention en cours"]


def test_a_step_back_is_not_told_and_neither_is_a_status_already_told(vigie, submit, make_agent):
    row = submit(email="alice@example.org")
    operator = make_agent("operator")
    do_assign(vigie, row.id, operator, team="voirie-sud")
    do_change_status(vigie, row.id, operator, "in_progress")
    do_change_status(vigie, row.id, operator, "assigned")  # back: the crew has to come again
    do_change_status(vigie, row.id, operator, "acknowledged")
    do_change_status(vigie, row.id, operator, "in_progress")
    assert _told(vigie) == ["confié à une équipe", "intervention en cours"]

    do_change_status(vigie, row.id, operator, "resolved")
    do_change_status(vigie, row.id, operator, "reopened")  # a new round starts
    do_acknowledge(vigie, row.id, operator)
    assert _told(vigie)[2:] == ["résolu", "pris en compte"]
