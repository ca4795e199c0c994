"""The OpenAPI 3.0 document of the OGC API – Features endpoints (conformance class OpenAPI 3.0).

Written from the collections published right now: each collection's items path
lists the parameters it accepts (its properties as filters, ``datetime`` only
where the release has a time column), so a client knows before asking what a
400 would refuse.
"""

from __future__ import annotations

from typing import Any

from vigie.opendata.ogc import DEFAULT_LIMIT, MAX_LIMIT, Collection

OPENAPI_MEDIA = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA_TYPES = {"number": "number", "bool": "boolean", "text": "string"}


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _json(schema: str, media: str = "application/json") -> dict[str, Any]:
    return {media: {"schema": _ref("schemas", schema)}, "text/html": {"schema": {"type": "string"}}}


def _ok(description: str, schema: str, media: str = "application/json") -> dict[str, Any]:
    return {
        "200": {"description": description, "content": _json(schema, media)},
        "400": _ref("responses", "InvalidParameter"),
        "404": _ref("responses", "NotFound"),
    }


def _operation(op_id: str, summary: str, tag: str, responses: dict[str, Any], params: list[Any]) -> Any:
    return {
        "get": {
            "operationId": op_id,
            "summary": summary,
            "tags": [tag],
            "parameters": params,
            "responses": responses,
        }
    }


def _property_parameter(name: str, family: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "style": "form",
        "explode": False,
        "description": f"Only the features whose property {name} equals this value.",
        "schema": {"type": SCHEMA_TYPES.get(family, "string")},
    }


def document(base: str, title: str, collections: list[Collection]) -> dict[str, Any]:
    """The OpenAPI 3.0 document of the service rooted at ``base`` (an absolute URL)."""
    common = [_ref("parameters", "f"), _ref("parameters", "lang")]
    paths: dict[str, Any] = {
        "/": _operation(
            "getLandingPage", "Landing page", "Capabilities", _ok("The landing page", "landingPage"), common
        ),
        "/conformance": _operation(
            "getConformanceDeclaration",
            "The conformance classes this API implements",
            "Capabilities",
            _ok("The conformance declaration", "confClasses"),
            common,
        ),
        "/api": _operation(
            "getAPIDefinition",
            "This document",
            "Capabilities",
            {
                "200": {
                    "description": "The API definition",
                    "content": {
                        OPENAPI_MEDIA: {"schema": {"type": "object"}},
                        "text/html": {"schema": {"type": "string"}},
                    },
                }
            },
            common,
        ),
        "/collections": _operation(
            "getCollections",
            "The collections (published geographic datasets)",
            "Capabilities",
            _ok("The collections", "collections"),
            common,
        ),
    }
    for c in collections:
        base_params = [_ref("parameters", "f"), _ref("parameters", "lang")]
        item_params = [
            _ref("parameters", "bbox"),
            _ref("parameters", "limit"),
            _ref("parameters", "offset"),
            *([_ref("parameters", "datetime")] if c.time else []),
            *(
                _property_parameter(n, fam)
                for n, fam in c.properties.items()
                if fam != "time" and n not in ("f", "lang", "bbox", "limit", "offset", "datetime")
            ),
            *base_params,
        ]
        title_c = c.published.metadata.title("en")
        paths[f"/collections/{c.id}"] = _operation(
            f"describeCollection_{c.id}",
            f"The collection {title_c}",
            c.id,
            _ok("The collection", "collection"),
            base_params,
        )
        paths[f"/collections/{c.id}/items"] = _operation(
            f"getFeatures_{c.id}",
            f"Features of {title_c}",
            c.id,
            _ok("A page of features", "featureCollectionGeoJSON", "application/geo+json"),
            item_params,
        )
        paths[f"/collections/{c.id}/items/{{featureId}}"] = _operation(
            f"getFeature_{c.id}",
            f"One feature of {title_c}",
            c.id,
            _ok("The feature", "featureGeoJSON", "application/geo+json"),
            [_ref("parameters", "featureId"), *base_params],
        )
    return {
        "openapi": "3.0.3",
        "info": {
            "title": title,
            "version": "1.0.0",
            "description": "OGC API – Features (Part 1: Core) over the city's published open data releases.",
            "license": {"name": "Licence Ouverte 2.0 / ODbL 1.0 (per collection)"},
        },
        "servers": [{"url": base}],
        "tags": [
            {"name": "Capabilities"},
            *({"name": c.id, "description": c.published.metadata.title("en")} for c in collections),
        ],
        "paths": paths,
        "components": {"parameters": PARAMETERS, "responses": RESPONSES, "schemas": SCHEMAS},
    }


PARAMETERS: dict[str, Any] = {
    "f": {
        "name": "f",
        "in": "query",
        "required": False,
        "description": "The answer's format (else the Accept header decides; JSON by default).",
        "schema": {"type": "string", "enum": ["json", "html", "geojson"]},
        "style": "form",
        "explode": False,
    },
    "lang": {
        "name": "lang",
        "in": "query",
        "required": False,
        "description": "The language of HTML pages and titles.",
        "schema": {"type": "string", "enum": ["fr", "en"]},
        "style": "form",
        "explode": False,
    },
    "bbox": {
        "name": "bbox",
        "in": "query",
        "required": False,
        "description": "Only the features in this box: min longitude, min latitude, max longitude, "
        "max latitude (WGS 84, CRS84).",
        "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
        "style": "form",
        "explode": False,
    },
    "limit": {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": "How many features a page holds at most.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        "style": "form",
        "explode": False,
    },
    "offset": {
        "name": "offset",
        "in": "query",
        "required": False,
        "description": "How many matching features to skip (the next and prev links carry it).",
        "schema": {"type": "integer", "minimum": 0, "default": 0},
        "style": "form",
        "explode": False,
    },
    "datetime": {
        "name": "datetime",
        "in": "query",
        "required": False,
        "description": "An RFC 3339 instant or interval (start/end, '..' for an open end), "
        "on the collection's time column.",
        "schema": {"type": "string"},
        "style": "form",
        "explode": False,
    },
    "featureId": {
        "name": "featureId",
        "in": "path",
        "required": True,
        "description": "The feature's id: its row number in the published release.",
        "schema": {"type": "string"},
    },
}

_EXCEPTION = {"application/json": {"schema": _ref("schemas", "exception")}}
RESPONSES: dict[str, Any] = {
    "InvalidParameter": {
        "description": "A parameter is unknown or has a value it cannot take.",
        "content": _EXCEPTION,
    },
    "NotFound": {"description": "No such collection or feature.", "content": _EXCEPTION},
}

_LINK = _ref("schemas", "link")
_LINKS = {"type": "array", "items": _LINK}
SCHEMAS: dict[str, Any] = {
    "exception": {
        "type": "object",
        "required": ["code"],
        "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
    },
    "link": {
        "type": "object",
        "required": ["href", "rel"],
        "properties": {
            "href": {"type": "string"},
            "rel": {"type": "string"},
            "type": {"type": "string"},
            "title": {"type": "string"},
        },
    },
    "landingPage": {
        "type": "object",
        "required": ["links"],
        "properties": {"title": {"type": "string"}, "description": {"type": "string"}, "links": _LINKS},
    },
    "confClasses": {
        "type": "object",
        "required": ["conformsTo"],
        "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
    },
    "extent": {
        "type": "object",
        "properties": {
            "spatial": {
                "type": "object",
                "properties": {
                    "bbox": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
                    "crs": {"type": "string"},
                },
            },
            "temporal": {
                "type": "object",
                "properties": {
                    "interval": {
                        "type": "array",
                        "items": {
                            "type": "array",
                            "items": {"type": "string", "format": "date-time", "nullable": True},
                        },
                    },
                    "trs": {"type": "string"},
                },
            },
        },
    },
    "collection": {
        "type": "object",
        "required": ["id", "links"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "links": _LINKS,
            "extent": _ref("schemas", "extent"),
            "itemType": {"type": "string"},
            "crs": {"type": "array", "items": {"type": "string"}},
        },
    },
    "collections": {
        "type": "object",
        "required": ["links", "collections"],
        "properties": {
            "links": _LINKS,
            "collections": {"type": "array", "items": _ref("schemas", "collection")},
        },
    },
    "featureGeoJSON": {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "geometry": {"type": "object", "nullable": True},
            "properties": {"type": "object", "nullable": True},
            "links": _LINKS,
        },
    },
    "featureCollectionGeoJSON": {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": _ref("schemas", "featureGeoJSON")},
            "links": _LINKS,
            "timeStamp": {"type": "string", "format": "date-time"},
            "numberMatched": {"type": "integer", "minimum": 0},
            "numberReturned": {"type": "integer", "minimum": 0},
        },
    },
}

__all__ = ["OPENAPI_MEDIA", "document"]
