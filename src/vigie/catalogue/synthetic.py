"""Synthetic catalogues for tests and benchmarks.

:data:`SMALL_CATALOGUE` is a valid catalogue text with two services, three
teams and three procedures (a group rule, a zone rule, a conditional rule);
:func:`build_catalogue` grows it into a valid catalogue of any number of
procedures, the file that ``tests/catalogue`` loads and that
``bench/bench_procedures.py`` times (5,000 procedures over the Dijon zones).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

SMALL_CATALOGUE = """\
version: 1
groups:
  - code: voirie
    name: {fr: Voirie, en: Roads}
services:
  - code: nid-de-poule
    group: voirie
    name: {fr: Nid-de-poule, en: Pothole}
    description: {fr: Trou dans la chaussée, en: Hole in the road}
    attributes:
      - code: danger
        datatype: singlevaluelist
        description: {fr: "Danger immédiat ?"}
        values:
          - {key: "oui", name: {fr: Oui}}
          - {key: "non", name: {fr: Non}}
  - code: trottoir
    group: voirie
    name: {fr: Trottoir, en: Pavement}
    description: {fr: Trottoir abîmé}
teams:
  - code: voirie
    name: {fr: Voirie}
  - code: urgence
    name: {fr: Astreinte}
  - code: chenove
    name: {fr: Services techniques de Chenôve}
procedures:
  - id: voirie
    match: {group: voirie}
    team: voirie
    sla: {hours: 40, business_hours: true}
  - id: chenove
    match: {zone: "21166", group: voirie}
    team: chenove
    sla: {hours: 48}
  - id: danger
    match: {service: nid-de-poule, when: {attribute: danger, in: ["oui"]}}
    team: urgence
    sla: {hours: 4}
    priority: urgent
"""

SMALL_CATALOGUE_PROCEDURES = 3


def build_catalogue(count: int, zones: Sequence[str]) -> str:
    """A valid catalogue text with ``count`` procedures over ``zones``.

    The 3 procedures of :data:`SMALL_CATALOGUE` plus ``count - 3`` conditional
    ones, ``p0``, ``p1``…, cycling through ``zones``: the even ones on
    ``nid-de-poule`` (attribute ``danger``), the odd ones on ``trottoir``
    (attribute ``x``), each on its own value ``v{i}`` so that none overlap.
    """
    data: dict[str, Any] = yaml.safe_load(SMALL_CATALOGUE)
    for i in range(count - SMALL_CATALOGUE_PROCEDURES):
        service, attribute = ("nid-de-poule", "danger") if i % 2 == 0 else ("trottoir", "x")
        match = {
            "service": service,
            "zone": zones[i % len(zones)],
            "when": {"attribute": attribute, "in": [f"v{i}"]},
        }
        data["procedures"].append({"id": f"p{i}", "match": match, "team": "voirie", "sla": {"hours": 10}})
    # Conditional values must exist on the attribute for the file to be valid.
    data["services"][0]["attributes"][0]["values"] += [
        {"key": f"v{i}", "name": {"fr": f"v{i}"}} for i in range(0, count, 2)
    ]
    data["services"][1]["attributes"] = [
        {
            "code": "x",
            "datatype": "singlevaluelist",
            "description": {"fr": "x"},
            "values": [{"key": f"v{i}", "name": {"fr": "x"}} for i in range(1, count, 2)],
        }
    ]
    return yaml.safe_dump(data, allow_unicode=True)


__all__ = ["SMALL_CATALOGUE", "build_catalogue"]
