"""Compliance of light points with a national rule set, judged from the registry's attributes.

``fr-2018``: the French order of 27 December 2018 on light nuisance (arrêté du
27 décembre 2018 relatif à la prévention, à la réduction et à la limitation des
nuisances lumineuses), for road lighting (its category a):

- luminaires installed since 1 January 2020 (the date the luminaire head was
  installed, ``luminaireInstalledOn``; the point's own installation date when
  that is missing) must send less than 1 % of their light above the horizontal
  (ULR), at least 95 % of their downward light within a 75.5° half-angle cone
  (CIE flux code no. 3), have a colour temperature of 3,000 K at most, and an
  installed flux per lit area of 35 lm/m² at most in built-up areas, 25 lm/m²
  outside them;
- luminaires of any date sending more than 50 % of their light upwards (globes)
  had to be replaced by 1 January 2025.

Switch-off hours are each mayor's choice, recorded per commune (the lighting
context's switch-off table): not a rule of the order, so not judged here.

Each point is ``compliant``, ``non_compliant`` (with the rules it breaks, even
when other data is missing) or ``unknown`` (with the attributes a rule needs
and the registry lacks). Points not in use (planned, removed) are not judged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

NEW_RULES_FROM = date(2020, 1, 1)
GLOBES_BY = date(2025, 1, 1)
RULE_SETS = ("fr-2018", "none")
NOT_JUDGED_STATUSES = ("planned", "removed")

COMPLIANT = "compliant"
NON_COMPLIANT = "non_compliant"
UNKNOWN = "unknown"
STATUSES = (COMPLIANT, NON_COMPLIANT, UNKNOWN)


@dataclass(frozen=True)
class Rule:
    id: str
    text: dict[str, str]
    needs: tuple[str, ...]


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "ulr-50-2025",
            {
                "fr": "Luminaire émettant plus de 50 % de sa lumière vers le haut, à remplacer avant le "
                "1er janvier 2025",
                "en": "Luminaire sending more than 50% of its light upwards, to replace by 1 January 2025",
            },
            ("upwardLightRatio",),
        ),
        Rule(
            "ulr-1",
            {
                "fr": "Installé depuis 2020 : moins de 1 % de la lumière au-dessus de l'horizontale (ULR)",
                "en": "Installed since 2020: less than 1% of the light above the horizontal (ULR)",
            },
            ("upwardLightRatio",),
        ),
        Rule(
            "cie3-95",
            {
                "fr": "Installé depuis 2020 : code de flux CIE n° 3 d'au moins 95 %",
                "en": "Installed since 2020: CIE flux code no. 3 of at least 95%",
            },
            ("cieFluxCode3",),
        ),
        Rule(
            "cct-3000",
            {
                "fr": "Installé depuis 2020 : température de couleur de 3 000 K au plus",
                "en": "Installed since 2020: colour temperature of 3,000 K at most",
            },
            ("colorTemperature",),
        ),
        Rule(
            "flux-density",
            {
                "fr": "Installé depuis 2020 : flux installé de 35 lm/m² au plus en agglomération, "
                "25 lm/m² hors agglomération",
                "en": "Installed since 2020: installed flux of 35 lm/m² at most in built-up areas, "
                "25 lm/m² outside",
            },
            ("luminousFlux", "litArea", "builtUpArea"),
        ),
    )
}


@dataclass(frozen=True)
class Verdict:
    status: str
    broken: tuple[str, ...] = ()  # rule ids
    missing: tuple[str, ...] = field(default=())  # attribute names


def _num(attrs: Mapping[str, Any], key: str) -> float | None:
    value = attrs.get(key)
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _installed(attrs: Mapping[str, Any], installed_on: date | None) -> date | None:
    raw = attrs.get("luminaireInstalledOn")
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            return installed_on
    return installed_on


def judge_fr_2018(attrs: Mapping[str, Any], installed_on: date | None, today: date) -> Verdict:
    """One light point under the French order of 27 December 2018 (road lighting)."""
    broken: list[str] = []
    missing: list[str] = []
    ulr = _num(attrs, "upwardLightRatio")
    if ulr is None:
        missing.append("upwardLightRatio")
    elif ulr > 50 and today >= GLOBES_BY:
        broken.append("ulr-50-2025")
    when = _installed(attrs, installed_on)
    if when is None:
        missing.append("luminaireInstalledOn")
    elif when >= NEW_RULES_FROM:
        if ulr is not None and ulr >= 1:
            broken.append("ulr-1")
        cie3 = _num(attrs, "cieFluxCode3")
        if cie3 is None:
            missing.append("cieFluxCode3")
        elif cie3 < 95:
            broken.append("cie3-95")
        cct = _num(attrs, "colorTemperature")
        if cct is None:
            missing.append("colorTemperature")
        elif cct > 3000:
            broken.append("cct-3000")
        flux, area, built_up = _num(attrs, "luminousFlux"), _num(attrs, "litArea"), attrs.get("builtUpArea")
        needed = [
            k
            for k, val in (("luminousFlux", flux), ("litArea", area), ("builtUpArea", built_up))
            if val is None or (k == "litArea" and val == 0)
        ]
        if needed:
            missing += needed
        elif flux is not None and area:
            limit = 35.0 if built_up is True else 25.0
            if flux / area > limit:
                broken.append("flux-density")
    if broken:
        return Verdict(NON_COMPLIANT, tuple(broken), tuple(dict.fromkeys(missing)))
    if missing:
        return Verdict(UNKNOWN, (), tuple(dict.fromkeys(missing)))
    return Verdict(COMPLIANT)


def judge(
    rule_set: str, attrs: Mapping[str, Any], installed_on: date | None, status: str, today: date
) -> Verdict | None:
    """A point's verdict under ``rule_set``; None when there is no rule set or the point is not in use."""
    if rule_set != "fr-2018" or status in NOT_JUDGED_STATUSES:
        return None
    return judge_fr_2018(attrs, installed_on, today)


__all__ = [
    "COMPLIANT",
    "NON_COMPLIANT",
    "RULES",
    "RULE_SETS",
    "STATUSES",
    "UNKNOWN",
    "Verdict",
    "judge",
    "judge_fr_2018",
]
