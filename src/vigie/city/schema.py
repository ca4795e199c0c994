"""JSON Schema of a city profile (``city.yaml``).

Every key carries a ``description``: docs/city-profiles.md lists them from
here (``profile_keys_markdown``), and a meta-test keeps the two in step.
"""

from __future__ import annotations

from typing import Any

from vigie.docsection import rewrite_section, with_section

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# Optional parts of Vigie a profile declares in `modules`; reports are never optional.
MODULES = ("lighting", "traffic", "winter", "videoprotection")

TEXT: dict[str, Any] = {
    "type": "object",
    "description": "A text per language code, e.g. `{fr: ..., en: ...}`.",
    "minProperties": 1,
    "additionalProperties": {"type": "string", "minLength": 1},
    "propertyNames": {"pattern": "^[a-z]{2}$"},
}


def _text(description: str) -> dict[str, Any]:
    return {**TEXT, "description": description}


# A link (https://…, or a path on this site) or a Markdown file beside city.yaml.
LEGAL_PAGE: dict[str, Any] = {
    "type": "string",
    "pattern": r"^(https?://[^\s]+|/[^\s]*|[A-Za-z0-9_-]+\.md)$",
    # What a failed "pattern" says instead of the regular expression (vigie.city.profile).
    "x-expected": "a link (https://…), a path on this site (/…) or the name of a Markdown file "
    "beside city.yaml (notice.md)",
}


PROFILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "jurisdiction_id", "name", "timezone", "zones", "catalogue"],
    "properties": {
        "id": {
            "type": "string",
            "pattern": "^[a-z0-9-]+$",
            "x-expected": "lower case letters, digits and dashes",
            "description": "Short identifier of the profile (lower case letters, digits, dashes).",
        },
        "jurisdiction_id": {
            "type": "string",
            "minLength": 1,
            "description": "Open311 `jurisdiction_id` (usually the city's domain name).",
        },
        "name": {"type": "string", "minLength": 1, "description": "The city's name, shown on every page."},
        "timezone": {
            "type": "string",
            "description": "IANA time zone of the city (e.g. `Europe/Paris`); dates are shown in it.",
        },
        "languages": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "string", "pattern": "^[a-z]{2}$"},
            "description": "Languages of the pages, the first being the default (`fr`, `en`).",
        },
        "reference_prefix": {
            "type": "string",
            "pattern": "^[A-Z]{2,5}$",
            "x-expected": "2 to 5 capital letters",
            "description": "Prefix of report references (DIJ-2026-000123); default: the id's first letters.",
        },
        "contact": {
            "type": "string",
            "description": "How residents reach the city by phone or at the desk, shown in every footer.",
        },
        "phone_service": {
            "type": "string",
            "minLength": 1,
            "description": (
                "Name of the city's phone service (`Allo mairie`, `SF311`), shown on the agents' "
                "phone intake page; default: a plain «phone desk»."
            ),
        },
        "address_example": {
            "type": "string",
            "minLength": 1,
            "description": "A real address of the city given as an example under the address field.",
        },
        "attribution": _text("Credit for the profile's data (zone boundaries…), shown in every footer."),
        "legal": {
            "type": "object",
            "additionalProperties": False,
            "description": (
                "The city's own pages, linked from every page's footer. Each is a link, or the name of "
                "a Markdown file beside city.yaml that Vigie serves at /informations/<key>."
            ),
            "properties": {
                "notice": {**LEGAL_PAGE, "description": "Mentions légales (legal notice)."},
                "privacy": {**LEGAL_PAGE, "description": "Données personnelles (privacy notice, GDPR)."},
                "accessibility": {
                    **LEGAL_PAGE,
                    "description": "Déclaration d'accessibilité (required of French public sites, RGAA).",
                },
                "accessibility_status": {
                    "enum": ["full", "partial", "none"],
                    "description": (
                        "RGAA compliance stated in the footer: totalement / partiellement / non conforme "
                        "(default `none`, as the RGAA asks while no audit was made)."
                    ),
                },
                "contact": {**LEGAL_PAGE, "description": "How to contact the city (a form, a page)."},
            },
        },
        "center": {
            "type": "object",
            "additionalProperties": False,
            "required": ["lat", "long"],
            "description": "Where the maps open.",
            "properties": {
                "lat": {"type": "number", "minimum": -90, "maximum": 90, "description": "Latitude (WGS 84)."},
                "long": {
                    "type": "number",
                    "minimum": -180,
                    "maximum": 180,
                    "description": "Longitude (WGS 84).",
                },
                "zoom": {"type": "number", "minimum": 1, "maximum": 20, "description": "Map zoom level."},
            },
        },
        "zones": {
            "type": "object",
            "additionalProperties": False,
            "required": ["file", "code_property", "name_property"],
            "description": "The areas a report falls in (communes, arrondissements, districts…).",
            "properties": {
                "file": {
                    "type": "string",
                    "description": "GeoJSON FeatureCollection of (Multi)Polygons, beside city.yaml.",
                },
                "code_property": {
                    "type": "string",
                    "description": "Feature property with the zone code (catalogue rules name zones by it).",
                },
                "name_property": {
                    "type": "string",
                    "description": "Feature property holding the zone's name, as shown to people.",
                },
                "label": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["singular", "plural"],
                    "description": "What a zone is called (default: commune / communes).",
                    "properties": {
                        "singular": _text("One zone: `{fr: Arrondissement, en: District}`."),
                        "plural": _text("Several zones: `{fr: Arrondissements, en: Districts}`."),
                    },
                },
                "merge": {
                    "type": "array",
                    "description": "Zones made of several features (e.g. merged communes).",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["code", "name", "members"],
                        "properties": {
                            "code": {"type": "string", "description": "Code of the merged zone."},
                            "name": {"type": "string", "description": "Name of the merged zone."},
                            "members": {
                                "type": "array",
                                "minItems": 1,
                                "items": {"type": "string"},
                                "description": "Codes of the features it is made of.",
                            },
                        },
                    },
                },
            },
        },
        "catalogue": {
            "type": "string",
            "description": "The catalogue file (services, teams, procedures: docs/catalogue.md).",
        },
        "modules": {
            "type": "array",
            "uniqueItems": True,
            "items": {"enum": list(MODULES)},
            "description": (
                "The optional parts of Vigie the city uses: `lighting` (public lighting pages, "
                "LED plan, lighting APIs), `traffic` (signal controllers, roadworks), `winter` "
                "(winter service), `videoprotection` (camera systems and their register). Default: "
                "none. Those left out are absent from menus, pages and the equipment map's layers, "
                "and their pages and APIs answer 404 saying the module is not in use."
            ),
        },
        "lighting": {
            "type": "object",
            "additionalProperties": False,
            "description": (
                "Public lighting: the energy model's prices and factors, the energy targets, and the "
                "national rules light points are judged by (docs/lighting.md)."
            ),
            "properties": {
                "currency": {
                    "type": "string",
                    "pattern": "^[A-Z]{3}$",
                    "description": "ISO 4217 currency of the tariff and of investments (default `EUR`).",
                },
                "tariff_per_kwh": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "maximum": 10,
                    "description": "Electricity price per kWh, taxes included, in `currency` (default 0.25).",
                },
                "co2_kg_per_kwh": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 2,
                    "description": "Emission factor of the electricity used, kg CO2e per kWh (default 0.06).",
                },
                "compliance": {
                    "enum": ["fr-2018", "none"],
                    "description": (
                        "Rule set light points are judged by: `fr-2018` (French order of 27 December 2018 "
                        "on light nuisance) or `none` (default)."
                    ),
                },
                "programme_start": {
                    "type": "integer",
                    "minimum": 1950,
                    "maximum": 2100,
                    "description": "Year the lighting programme started (its fleet is the reference fleet).",
                },
                "targets": {
                    "type": "array",
                    "description": "Energy targets: a cut against a reference year's fleet by a given year.",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["id", "reduction", "year", "reference_year"],
                        "properties": {
                            "id": {
                                "type": "string",
                                "pattern": "^[a-z0-9-]+$",
                                "description": "Identifier of the target (`ville`, `metropole`).",
                            },
                            "label": _text("Name shown on the pages."),
                            "reduction": {
                                "type": "number",
                                "exclusiveMinimum": 0,
                                "maximum": 1,
                                "description": "Energy cut to reach, as a share (0.65 for -65 %).",
                            },
                            "year": {
                                "type": "integer",
                                "minimum": 1950,
                                "maximum": 2100,
                                "description": "Year by which the cut is reached.",
                            },
                            "reference_year": {
                                "type": "integer",
                                "minimum": 1950,
                                "maximum": 2100,
                                "description": "Year whose fleet (on its 31 December) the cut is against.",
                            },
                        },
                    },
                },
            },
        },
        "publication": {
            "type": "object",
            "additionalProperties": False,
            "description": (
                "What the public sees of a report (public API, Open311, public map, live streams, "
                "tracking pages); default: everything, as filed. Agents always see everything."
            ),
            "properties": {
                "description": {
                    "enum": ["always", "after_check", "never"],
                    "description": (
                        "The resident's text (and the answers to the service's questions): shown "
                        "`always`, `after_check` (once an operator has checked it, or the public "
                        "text they wrote instead) or `never` (default `always`). Phone numbers and "
                        "e-mail addresses in it are always masked for the public."
                    ),
                },
                "photos": {
                    "enum": ["always", "after_check", "never"],
                    "description": (
                        "Residents' photos: shown `always` (unless hidden), `after_check` (once an "
                        "operator has shown or blurred each one) or `never` (default `always`). "
                        "Agents' photos follow `always`."
                    ),
                },
                "position_m": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 5000,
                    "description": (
                        "Size in metres of the grid cell whose centre stands for a report's position "
                        "(0: exact, the default). Above 0 the address is not published, public "
                        "filters by area are widened to whole cells, and the duplicates nearby are "
                        "chosen and measured by their cells."
                    ),
                },
                "time": {
                    "enum": ["exact", "minute", "hour", "day"],
                    "description": (
                        "Precision of the published dates (`day`: the city's local day); public "
                        "date filters are widened to whole units (default `exact`)."
                    ),
                },
            },
        },
        "business_hours": {
            "type": "object",
            "additionalProperties": False,
            "description": "Working time, used by SLAs counted in business hours.",
            "properties": {
                "days": {
                    "type": "array",
                    "items": {"enum": DAYS},
                    "description": "Working days (default mon to fri).",
                },
                "start": {
                    "type": "string",
                    "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
                    "x-expected": "a time written HH:MM",
                    "description": "Start of the working day, `HH:MM` (default 08:00).",
                },
                "end": {
                    "type": "string",
                    "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
                    "x-expected": "a time written HH:MM",
                    "description": "End of the working day, `HH:MM` (default 17:30).",
                },
                "holidays": {
                    "type": "string",
                    "pattern": "^([A-Za-z]{2,3}|none)$",
                    "description": (
                        "Public holidays not worked: an ISO 3166 country code known to the "
                        "`holidays` library (`FR`, `US`, `BE`…), or `none` (default)."
                    ),
                },
                "holidays_subdivision": {
                    "type": "string",
                    "minLength": 1,
                    "description": (
                        "The country's subdivision whose own holidays also count "
                        "(`57` for Moselle, `CA` for California)."
                    ),
                },
            },
        },
    },
}


def _type_of(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" for v in schema["enum"])
    kind = schema.get("type", "")
    if kind == "array":
        items = schema.get("items", {})
        return f"list of {_type_of(items)}" if items else "list"
    if (
        kind == "object"
        and "additionalProperties" in schema
        and isinstance(schema["additionalProperties"], dict)
    ):
        return "text per language"
    return str(kind)


def _rows(schema: dict[str, Any], prefix: str, required: set[str]) -> list[str]:
    rows = []
    for key, sub in schema.get("properties", {}).items():
        path = f"{prefix}{key}"
        need = "yes" if key in required else ""
        rows.append(f"| `{path}` | {_type_of(sub)} | {need} | {sub.get('description', '')} |")
        if sub.get("type") == "object" and "properties" in sub:
            rows += _rows(sub, path + ".", set(sub.get("required", [])))
        items = sub.get("items", {})
        if sub.get("type") == "array" and items.get("type") == "object":
            rows += _rows(items, path + "[].", set(items.get("required", [])))
    return rows


def profile_keys_markdown() -> str:
    """The table of every city.yaml key, as docs/city-profiles.md holds it."""
    head = ["| key | type | required | meaning |", "| --- | --- | --- | --- |"]
    return "\n".join(head + _rows(PROFILE_SCHEMA, "", set(PROFILE_SCHEMA["required"]))) + "\n"


KEYS_START = "<!-- city.yaml keys: generated from vigie/city/schema.py by `make settings-doc` -->"
KEYS_END = "<!-- end of city.yaml keys -->"


def with_keys_table(doc: str) -> str:
    """``doc`` (docs/city-profiles.md) with its table of keys regenerated from the schema."""
    return with_section(doc, KEYS_START, KEYS_END, profile_keys_markdown())


def update_keys_doc(path: str) -> None:
    rewrite_section(path, KEYS_START, KEYS_END, profile_keys_markdown())
