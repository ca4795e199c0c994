"""What the lighting pages show: the energy and compliance reports shaped for people.

The control room gets everything (targets, communes, cabinets, compliance by
rule); the residents' page the fleet's change over time and where the city
stands against its targets, with no per-point data.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from vigie.lighting.actions import compliance_report, energy_report
from vigie.runtime import Vigie


def _label(target: dict[str, Any], lang: str) -> str:
    label: dict[str, str] = target.get("label") or {}
    return label.get(lang) or label.get("fr") or target["id"]


def page_data(v: Vigie, lang: str, today: date | None = None, public: bool = False) -> dict[str, Any]:
    """The figures of both lighting pages (and their charts' data)."""
    energy = energy_report(v, today)
    comp = compliance_report(v, today)
    trajectory = energy["trajectory"]
    first = trajectory[0] if trajectory else None
    targets = []
    for t in energy["targets"]:
        ref = next((y for y in trajectory if y["year"] == t["reference_year"]), None)
        targets.append(
            {
                **t,
                "name": _label(t, lang),
                "reference_cost": ref["cost"] if ref else None,
                "cost_saved": (ref["cost"] - energy["cost"]) if ref else None,
                "kwh_saved": (ref["kwh"] - energy["kwh"]) if ref else None,
                "progress": min(t["saving"] / t["reduction"], 1.0) if t["saving"] is not None else None,
            }
        )
    out: dict[str, Any] = {
        "lang": lang,
        "as_of": energy["as_of"],
        "currency": energy["currency"],
        "tariff_per_kwh": energy["tariff_per_kwh"],
        "co2_kg_per_kwh": energy["co2_kg_per_kwh"],
        "points": energy["points"],
        "led": energy["led"],
        "led_share": energy["led"] / energy["points"] if energy["points"] else None,
        "kwh": energy["kwh"],
        "cost": energy["cost"],
        "co2_kg": energy["co2_kg"],
        "trajectory": trajectory,
        "first_year": first["year"] if first else None,
        "targets": targets,
        "compliance": {
            "rule_set": comp["rule_set"],
            "judged": comp["judged"],
            "counts": comp["counts"],
            "rules": [
                {"id": r["id"], "text": r["text"].get(lang, r["text"]["en"]), "points": r["points"]}
                for r in comp["rules"]
            ],
        },
    }
    if not public:
        out["mix"] = energy["mix"]
        out["zones"] = energy["zones"]
        out["system_kw"] = energy["system_kw"]
        out["points_without_power"] = energy["points_without_power"]
        out["compliance"]["missing"] = comp["missing"]
        out["compliance"]["zones"] = comp["zones"]
    return out


__all__ = ["page_data"]
