"""Build a :class:`Catalogue` from a YAML file, or explain precisely why not."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fastjsonschema
from jsonschema import Draft202012Validator

from vigie.catalogue.domain import (
    Attribute,
    AttributeValue,
    Catalogue,
    Condition,
    Datatype,
    Group,
    Priority,
    Procedure,
    Service,
    Sla,
    Team,
    Text,
)
from vigie.catalogue.procedures import build_index, check_coverage
from vigie.catalogue.schema import CATALOGUE_SCHEMA
from vigie.errors import ConfigProblem, ConfigurationError

if TYPE_CHECKING:
    from vigie.runtime import Vigie
from vigie.yamlfile import LocatedDocument, load_located, schema_problem

_VALIDATOR = Draft202012Validator(CATALOGUE_SCHEMA)
# Compiled validator for the common case (a valid file); jsonschema then explains failures.
_FAST = fastjsonschema.compile(CATALOGUE_SCHEMA)


def load_catalogue(
    path: Path | str, zones: Iterable[str] | None = None, text: str | None = None
) -> Catalogue:
    """Load, validate against the schema, cross-check references and coverage.

    ``zones`` are the city's zone codes: when given, every (service, zone) pair
    must resolve to exactly one procedure.
    """
    doc = load_located(path, text)
    try:
        _FAST(doc.data)
    except fastjsonschema.JsonSchemaException:
        problems = [
            schema_problem(doc, err)
            for err in sorted(
                _VALIDATOR.iter_errors(doc.data), key=lambda e: [str(p) for p in e.absolute_path]
            )
        ]
        raise ConfigurationError(problems) from None
    catalogue = _build(doc)
    zone_list = list(zones) if zones is not None else None
    problems = _check_references(doc, catalogue, zone_list)
    if not problems and zone_list is not None:
        problems = [
            ConfigProblem(doc.file, doc.line_of(("procedures",)), "procedures", msg)
            for msg in check_coverage(catalogue, zone_list)
        ]
    if problems:
        raise ConfigurationError(problems)
    return catalogue


def _text(value: dict[str, str] | None) -> Text:
    return Text(dict(value or {}))


def _build(doc: LocatedDocument) -> Catalogue:
    data: dict[str, Any] = doc.data
    groups = {g["code"]: Group(g["code"], _text(g["name"]), g.get("icon", "")) for g in data["groups"]}
    services: dict[str, Service] = {}
    for s in data["services"]:
        attrs = []
        for i, a in enumerate(s.get("attributes", []), start=1):
            attrs.append(
                Attribute(
                    code=a["code"],
                    datatype=Datatype(a["datatype"]),
                    required=bool(a.get("required", False)),
                    variable=bool(a.get("variable", True)),
                    public=bool(a.get("public", True)),
                    description=_text(a["description"]),
                    order=int(a.get("order", i)),
                    datatype_description=_text(a["datatype_description"])
                    if "datatype_description" in a
                    else None,
                    values=tuple(
                        AttributeValue(str(v["key"]), _text(v["name"])) for v in a.get("values", [])
                    ),
                )
            )
        services[s["code"]] = Service(
            code=s["code"],
            group=s["group"],
            name=_text(s["name"]),
            description=_text(s["description"]),
            keywords=tuple(s.get("keywords", [])),
            public=bool(s.get("public", not s.get("agents_only", False))),
            agents_only=bool(s.get("agents_only", False)),
            default_priority=Priority(s.get("default_priority", "normal")),
            duplicate_radius_m=float(s.get("duplicate_radius_m", 50)),
            type=s.get("type", "realtime"),
            attributes=tuple(sorted(attrs, key=lambda a: a.order)),
        )
    teams = {t["code"]: Team(t["code"], _text(t["name"]), t.get("email", "")) for t in data["teams"]}
    procedures = []
    for p in data["procedures"]:
        match = p.get("match", {})
        when = match.get("when")
        procedures.append(
            Procedure(
                id=p["id"],
                team=p["team"],
                sla=Sla(float(p["sla"]["hours"]), bool(p["sla"].get("business_hours", False))),
                priority=Priority(p["priority"]) if "priority" in p else None,
                service=match.get("service"),
                group=match.get("group"),
                zone=str(match["zone"]) if "zone" in match else None,
                condition=Condition(when["attribute"], frozenset(str(v) for v in when["in"]))
                if when
                else None,
                steps=tuple(p.get("steps", [])),
                messages={k: _text(v) for k, v in p.get("messages", {}).items()},
            )
        )
    catalogue = Catalogue(
        groups=groups,
        services=services,
        teams=teams,
        procedures=tuple(procedures),
        source=doc.file,
    )
    catalogue._index.update(build_index(catalogue))
    return catalogue


def _check_references(doc: LocatedDocument, cat: Catalogue, zones: list[str] | None) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    data = doc.data

    def dupes(kind: str, key: str) -> None:
        seen: set[str] = set()
        for i, item in enumerate(data[kind]):
            if item[key] in seen:
                problems.append(doc.problem((kind, i, key), f"duplicate {key} '{item[key]}'"))
            seen.add(item[key])

    dupes("groups", "code")
    dupes("services", "code")
    dupes("teams", "code")
    dupes("procedures", "id")
    for i, s in enumerate(data["services"]):
        if s["group"] not in cat.groups:
            problems.append(doc.problem(("services", i, "group"), f"unknown group '{s['group']}'"))
        if s.get("agents_only") and s.get("public") is True:
            problems.append(
                doc.problem(("services", i, "public"), "an agents_only service's reports are never public")
            )
        seen_attr: set[str] = set()
        for j, a in enumerate(s.get("attributes", [])):
            apath: tuple[str | int, ...] = ("services", i, "attributes", j)
            if a["code"] in seen_attr:
                problems.append(doc.problem(apath + ("code",), f"duplicate attribute '{a['code']}'"))
            seen_attr.add(a["code"])
            is_list = a["datatype"] in ("singlevaluelist", "multivaluelist")
            if is_list and not a.get("values"):
                problems.append(doc.problem(apath, f"a {a['datatype']} attribute needs values"))
            if not is_list and a.get("values"):
                problems.append(doc.problem(apath + ("values",), "only list datatypes take values"))
    zone_set = set(zones) if zones is not None else None
    for i, p in enumerate(data["procedures"]):
        match = p.get("match", {})
        path: tuple[str | int, ...] = ("procedures", i)
        if p["team"] not in cat.teams:
            problems.append(doc.problem(path + ("team",), f"unknown team '{p['team']}'"))
        if "service" in match and "group" in match:
            problems.append(doc.problem(path + ("match",), "give service or group, not both"))
        if "service" in match and match["service"] not in cat.services:
            problems.append(doc.problem(path + ("match", "service"), f"unknown service '{match['service']}'"))
        if "group" in match and match["group"] not in cat.groups:
            problems.append(doc.problem(path + ("match", "group"), f"unknown group '{match['group']}'"))
        if zone_set is not None and "zone" in match and str(match["zone"]) not in zone_set:
            problems.append(doc.problem(path + ("match", "zone"), f"unknown zone '{match['zone']}'"))
        when = match.get("when")
        if when and "service" not in match:
            scope = [
                svc for svc in cat.services.values() if "group" not in match or svc.group == match["group"]
            ]
            if not any(svc.attribute(when["attribute"]) for svc in scope):
                problems.append(
                    doc.problem(
                        path + ("match", "when", "attribute"),
                        f"no service this rule covers has an attribute '{when['attribute']}'",
                    )
                )
        if when and "service" in match and match["service"] in cat.services:
            attr = cat.services[match["service"]].attribute(when["attribute"])
            if attr is None:
                problems.append(
                    doc.problem(
                        path + ("match", "when", "attribute"),
                        f"service '{match['service']}' has no attribute '{when['attribute']}'",
                    )
                )
            elif attr.values and not {str(v) for v in when["in"]} <= attr.keys:
                problems.append(
                    doc.problem(path + ("match", "when", "in"), "value not offered by the attribute")
                )
    return problems


def reload_catalogue(v: Vigie, path: Path | None = None) -> Catalogue:
    """Swap in a new catalogue; on any problem the running one is kept."""
    new = load_catalogue(path or v.city.catalogue_path, v.city.zones.codes())
    v.catalogue = new
    return new
