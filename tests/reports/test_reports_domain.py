from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from vigie.catalogue.domain import Attribute, AttributeValue, Datatype, Service, Text
from vigie.city.profile import BusinessHours
from vigie.errors import Conflict, ValidationFailed
from vigie.reports.domain import (
    check_attributes,
    check_coordinates,
    check_description,
    check_transition,
    expected_datetime,
    open311_status,
    sla_state,
)

PARIS = ZoneInfo("Europe/Paris")
BH = BusinessHours()


def _service() -> Service:
    t = Text({"fr": "x", "en": "x"})
    return Service(
        code="s",
        group="g",
        name=t,
        description=t,
        attributes=(
            Attribute(
                "size",
                Datatype.SINGLEVALUELIST,
                True,
                t,
                1,
                values=(AttributeValue("small", t), AttributeValue("big", t)),
            ),
            Attribute(
                "kinds",
                Datatype.MULTIVALUELIST,
                False,
                t,
                2,
                values=(AttributeValue("a", t), AttributeValue("b", t)),
            ),
            Attribute("count", Datatype.NUMBER, False, t, 3),
            Attribute("since", Datatype.DATETIME, False, t, 4),
            Attribute("plate", Datatype.STRING, False, t, 5),
            Attribute("access", Datatype.TEXT, False, t, 6),
        ),
    )


def test_transition_allows_lifecycle_path():
    path = ["new", "acknowledged", "assigned", "in_progress", "resolved", "reopened", "resolved"]
    for frm, to in zip(path, path[1:], strict=False):
        assert check_transition(frm, to).value == to


@pytest.mark.parametrize(
    ("frm", "to"),
    [
        ("new", "reopened"),
        ("resolved", "in_progress"),
        ("rejected", "assigned"),
        ("in_progress", "acknowledged"),
    ],
)
def test_transition_refuses_illegal_moves(frm, to):
    with pytest.raises(Conflict) as exc:
        check_transition(frm, to)
    assert f"from '{frm}' to '{to}'" in exc.value.message


def test_transition_unknown_status_is_validation_error():
    with pytest.raises(ValidationFailed):
        check_transition("new", "done")


def test_open311_status_maps_closed_states():
    assert [open311_status(s) for s in ("new", "in_progress", "reopened")] == ["open"] * 3
    assert [open311_status(s) for s in ("resolved", "rejected", "duplicate")] == ["closed"] * 3


def test_attributes_validate_all_datatypes():
    clean = check_attributes(
        _service(),
        {
            "size": "big",
            "kinds": ["b", "a", "a"],
            "count": "3",
            "since": "2026-11-20T08:00:00Z",
            "plate": " AB-123-CD ",
            "access": "code 1234",
        },
    )
    assert clean == {
        "size": "big",
        "kinds": ["a", "b"],
        "count": 3,
        "since": "2026-11-20T08:00:00+00:00",
        "plate": "AB-123-CD",
        "access": "code 1234",
    }


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({}, "attribute[size]"),
        ({"size": "huge"}, "attribute[size]"),
        ({"size": "big", "kinds": ["z"]}, "attribute[kinds]"),
        ({"size": "big", "count": "many"}, "attribute[count]"),
        ({"size": "big", "count": "inf"}, "attribute[count]"),
        ({"size": "big", "since": "yesterday"}, "attribute[since]"),
        ({"size": "big", "plate": "x" * 256}, "attribute[plate]"),
        ({"size": "big", "colour": "red"}, "attribute[colour]"),
        ({"size": ["big", "small"]}, "attribute[size]"),
    ],
)
def test_attributes_refuse_bad_values_naming_the_field(given, field):
    with pytest.raises(ValidationFailed) as exc:
        check_attributes(_service(), given)
    assert exc.value.field == field


def test_coordinates_need_both_and_range():
    assert check_coordinates(None, "") is None
    assert check_coordinates("47.3", 5) == (47.3, 5.0)
    for lat, long, field in [
        (47, None, "long"),
        ("x", 5, "lat"),
        (95, 5, "lat"),
        (47, 200, "long"),
        ("nan", 5, "lat"),
    ]:
        with pytest.raises(ValidationFailed) as exc:
            check_coordinates(lat, long)
        assert exc.value.field == field


def test_coordinates_in_text_are_plain_decimal_numbers():
    """Text read by Python's float() took ``4_7.3`` for 47.3 and Arabic-Indic digits for
    Western ones: a typo placed the report instead of being named (outside review,
    2026-12-07). Text coordinates are ASCII decimals, with an optional exponent."""
    assert check_coordinates(" 47.3215 ", "+5.04e0") == (47.3215, 5.04)
    assert check_coordinates("47", "-0.5") == (47.0, -0.5)
    for lat, long, field in [
        ("4_7.3", "5.04", "lat"),
        ("\u0664\u0667.\u0663", "5.04", "lat"),
        ("47.3", "5_0.4", "long"),
        ("47.3", "0x5", "long"),
    ]:
        with pytest.raises(ValidationFailed) as exc:
            check_coordinates(lat, long)
        assert exc.value.field == field and "not a number" in exc.value.message


def test_description_limits_length():
    assert check_description("  ok ") == "ok"
    with pytest.raises(ValidationFailed):
        check_description("x" * 4001)


def test_sla_wall_clock_hours():
    start = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    assert expected_datetime(start, 4, False, BH, PARIS) == datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


def test_sla_business_hours_skip_weekend():
    # Friday 27 Nov 2026, 16:30 in Paris; 2 working hours: 1 h Friday, 1 h Monday from 08:00.
    start = datetime(2026, 11, 27, 16, 30, tzinfo=PARIS)
    assert expected_datetime(start, 2, True, BH, PARIS) == datetime(2026, 11, 30, 9, 0, tzinfo=PARIS)


def test_sla_business_hours_skip_public_holiday():
    # Tuesday 10 Nov 2026 17:00; Wednesday 11 Nov is Armistice day.
    start = datetime(2026, 11, 10, 17, 0, tzinfo=PARIS)
    assert expected_datetime(start, 1, True, BH, PARIS) == datetime(2026, 11, 12, 8, 30, tzinfo=PARIS)


def test_sla_state_buckets():
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    assert sla_state(datetime(2026, 11, 26, 11, tzinfo=UTC), "new", now) == "overdue"
    assert sla_state(datetime(2026, 11, 26, 20, tzinfo=UTC), "new", now) == "due_soon"
    assert sla_state(datetime(2026, 11, 30, 20, tzinfo=UTC), "assigned", now) == "on_time"
    assert sla_state(datetime(2026, 11, 26, 11, tzinfo=UTC), "resolved", now) == "none"
