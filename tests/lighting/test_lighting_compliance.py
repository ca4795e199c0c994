"""The French order of 27 December 2018, judged per light point from the registry's attributes."""

from __future__ import annotations

from datetime import date

import pytest

from vigie.lighting.compliance import COMPLIANT, NON_COMPLIANT, UNKNOWN, judge, judge_fr_2018

TODAY = date(2026, 6, 1)
# A new LED head that meets every limit of road lighting.
GOOD = {
    "luminaireInstalledOn": "2021-03-01",
    "upwardLightRatio": 0,
    "cieFluxCode3": 97,
    "colorTemperature": 3000,
    "luminousFlux": 5000,
    "litArea": 200,  # 25 lm/m²
    "builtUpArea": True,
}


def test_compliance_new_luminaire_within_every_limit_is_compliant() -> None:
    assert judge_fr_2018(GOOD, None, TODAY).status == COMPLIANT


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"colorTemperature": 3100}, "cct-3000"),
        ({"upwardLightRatio": 1}, "ulr-1"),  # less than 1 % is the limit
        ({"cieFluxCode3": 94.9}, "cie3-95"),
        ({"luminousFlux": 7100}, "flux-density"),  # 35.5 lm/m² in a built-up area
        ({"builtUpArea": False, "luminousFlux": 5100}, "flux-density"),  # 25.5 lm/m² outside
    ],
)
def test_compliance_new_luminaire_breaking_one_limit_names_it(change: dict[str, object], rule: str) -> None:
    verdict = judge_fr_2018({**GOOD, **change}, None, TODAY)
    assert (verdict.status, verdict.broken) == (NON_COMPLIANT, (rule,))


def test_compliance_limits_themselves_are_allowed() -> None:
    """3,000 K and 35 lm/m² in a built-up area are within the order; 25 lm/m² outside."""
    assert judge_fr_2018({**GOOD, "luminousFlux": 7000}, None, TODAY).status == COMPLIANT
    assert judge_fr_2018({**GOOD, "builtUpArea": False}, None, TODAY).status == COMPLIANT


def test_compliance_older_luminaires_answer_only_for_globes_after_2025() -> None:
    old = {"luminaireInstalledOn": "2009-05-01", "upwardLightRatio": 3, "colorTemperature": 4000}
    assert judge_fr_2018(old, None, TODAY).status == COMPLIANT  # 4,000 K: not a rule for it
    globe = {**old, "upwardLightRatio": 55}
    assert judge_fr_2018(globe, None, TODAY).broken == ("ulr-50-2025",)
    assert judge_fr_2018(globe, None, date(2024, 12, 31)).status == COMPLIANT  # before the deadline


def test_compliance_the_day_the_new_rules_start() -> None:
    on = {**GOOD, "luminaireInstalledOn": "2020-01-01", "colorTemperature": 4000}
    before = {**on, "luminaireInstalledOn": "2019-12-31"}
    assert judge_fr_2018(on, None, TODAY).status == NON_COMPLIANT
    assert judge_fr_2018(before, None, TODAY).status == COMPLIANT


def test_compliance_missing_data_is_unknown_naming_what_is_missing() -> None:
    verdict = judge_fr_2018({k: v for k, v in GOOD.items() if k != "litArea"}, None, TODAY)
    assert (verdict.status, verdict.missing) == (UNKNOWN, ("litArea",))
    verdict = judge_fr_2018({"upwardLightRatio": 2}, None, TODAY)
    assert (verdict.status, verdict.missing) == (UNKNOWN, ("luminaireInstalledOn",))
    # The point's own installation date stands in for the luminaire's.
    assert judge_fr_2018({"upwardLightRatio": 2}, date(2001, 1, 1), TODAY).status == COMPLIANT


def test_compliance_a_broken_rule_wins_over_missing_data() -> None:
    verdict = judge_fr_2018({"luminaireInstalledOn": "2022-01-01", "colorTemperature": 4000}, None, TODAY)
    assert verdict.status == NON_COMPLIANT
    assert verdict.broken == ("cct-3000",)
    assert "upwardLightRatio" in verdict.missing


def test_compliance_no_rule_set_or_point_not_in_use_is_not_judged() -> None:
    assert judge("none", GOOD, None, "in_service", TODAY) is None
    assert judge("fr-2018", GOOD, None, "removed", TODAY) is None
    assert judge("fr-2018", GOOD, None, "in_service", TODAY) is not None
