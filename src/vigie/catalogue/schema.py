"""JSON Schema of a catalogue file (YAML). Documented in docs/catalogue.md."""

from __future__ import annotations

from typing import Any

CODE = {"type": "string", "pattern": "^[a-z0-9][a-z0-9_.-]{0,63}$"}
TEXT: dict[str, Any] = {
    "type": "object",
    "description": "A text per language code, e.g. {fr: ..., en: ...}.",
    "properties": {"fr": {"type": "string", "minLength": 1}},
    "required": ["fr"],
    "additionalProperties": {"type": "string", "minLength": 1},
    "propertyNames": {"pattern": "^[a-z]{2}$"},
}
STATUSES = [
    "new",
    "acknowledged",
    "assigned",
    "in_progress",
    "resolved",
    "rejected",
    "duplicate",
    "reopened",
]

ATTRIBUTE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["code", "datatype", "description"],
    "properties": {
        "code": CODE,
        "datatype": {"enum": ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]},
        "required": {"type": "boolean"},
        "variable": {"type": "boolean"},
        "public": {"type": "boolean"},
        "order": {"type": "integer", "minimum": 1},
        "description": TEXT,
        "datatype_description": TEXT,
        "values": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["key", "name"],
                "properties": {"key": {"type": "string", "minLength": 1}, "name": TEXT},
            },
        },
    },
}

SERVICE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["code", "group", "name", "description"],
    "properties": {
        "code": CODE,
        "group": CODE,
        "name": TEXT,
        "description": TEXT,
        "keywords": {"type": "array", "items": {"type": "string"}},
        "public": {"type": "boolean"},
        "agents_only": {"type": "boolean"},
        "default_priority": {"enum": ["low", "normal", "high", "urgent"]},
        "duplicate_radius_m": {"type": "number", "exclusiveMinimum": 0, "maximum": 5000},
        "type": {"enum": ["realtime", "batch", "blackbox"]},
        "attributes": {"type": "array", "items": ATTRIBUTE},
    },
}

PROCEDURE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "team", "sla"],
    "properties": {
        "id": CODE,
        "match": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "service": CODE,
                "group": CODE,
                "zone": {"type": "string", "minLength": 1},
                "when": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["attribute", "in"],
                    "properties": {
                        "attribute": CODE,
                        "in": {
                            "type": "array",
                            "minItems": 1,
                            "items": {"type": "string", "minLength": 1},
                        },
                    },
                },
            },
        },
        "team": CODE,
        "sla": {
            "type": "object",
            "additionalProperties": False,
            "required": ["hours"],
            "properties": {
                "hours": {"type": "number", "exclusiveMinimum": 0},
                "business_hours": {"type": "boolean"},
            },
        },
        "priority": {"enum": ["low", "normal", "high", "urgent"]},
        "steps": {"type": "array", "items": {"type": "string"}},
        "messages": {
            "type": "object",
            "additionalProperties": False,
            "properties": {s: TEXT for s in STATUSES},
        },
    },
}

CATALOGUE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Vigie service catalogue",
    "type": "object",
    "additionalProperties": False,
    "required": ["groups", "services", "teams", "procedures"],
    "properties": {
        "version": {"type": "integer"},
        "groups": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["code", "name"],
                "properties": {"code": CODE, "name": TEXT, "icon": {"type": "string"}},
            },
        },
        "services": {"type": "array", "minItems": 1, "items": SERVICE},
        "teams": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["code", "name"],
                "properties": {"code": CODE, "name": TEXT, "email": {"type": "string"}},
            },
        },
        "procedures": {"type": "array", "minItems": 1, "items": PROCEDURE},
    },
}
