"""Telemetry payloads: one JSON Schema per kind of device, named after FIWARE Smart Data Models.

The schemas below are the contract with device integrators; docs/telemetry.md
shows the same JSON (a test keeps the two in step). They are compiled once with
fastjsonschema, so validating a message costs about a microsecond.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import fastjsonschema

STREETLIGHT = "streetlight"
CABINET = "cabinet"
CAMERA = "camera"
TRAFFIC_CONTROLLER = "traffic_controller"
WEATHER_STATION = "weather_station"
VEHICLE = "vehicle"
TRAFFIC_DETECTOR = "traffic_detector"
KINDS = (STREETLIGHT, CABINET, CAMERA, TRAFFIC_CONTROLLER, WEATHER_STATION, VEHICLE, TRAFFIC_DETECTOR)

# Asset types as the registry may spell them -> telemetry kind (compared without
# case, spaces, dashes or underscores).
_ALIASES = {
    STREETLIGHT: ["streetlight", "streetlights", "light", "lamp", "luminaire", "lampadaire"],
    CABINET: [
        "cabinet",
        "streetlightcontrolcabinet",
        "controlcabinet",
        "lightingcabinet",
        "armoire",
    ],
    CAMERA: ["camera", "cctv", "videocamera", "camerasurveillance"],
    TRAFFIC_CONTROLLER: [
        "trafficcontroller",
        "trafficlightcontroller",
        "trafficsignalcontroller",
        "trafficlight",
        "controller",
        "tlc",
    ],
    WEATHER_STATION: ["weatherstation", "roadweatherstation", "weatherobserved", "rws"],
    VEHICLE: ["vehicle", "fleetvehicle", "vehicule"],
    TRAFFIC_DETECTOR: ["trafficdetector", "trafficflowobserved", "detector", "countingstation"],
}
_ALIAS_TO_KIND = {alias: kind for kind, names in _ALIASES.items() for alias in names}


def type_names(kind: str) -> tuple[str, ...]:
    """The registry types a kind goes by, as assets and alarms store them (``camera``…)."""
    names = _ALIASES[kind]
    return tuple(dict.fromkeys([kind, *names, *(n.replace(" ", "_") for n in names)]))


# Identifier prefixes of the Dijon fleet, used when the type is not recognised.
ID_PREFIXES = {
    "SL-": STREETLIGHT,
    "CAB-": CABINET,
    "CAM-": CAMERA,
    "TLC-": TRAFFIC_CONTROLLER,
    "RWS-": WEATHER_STATION,
    "VEH-": VEHICLE,
    "DET-": TRAFFIC_DETECTOR,
}


def kind_of(asset_type: str, asset_id: str = "") -> str | None:
    """The telemetry kind of an asset, from its registry type or else its id prefix."""
    key = re.sub(r"[\s_\-]", "", (asset_type or "").lower())
    kind = _ALIAS_TO_KIND.get(key)
    if kind is None:
        for prefix, k in ID_PREFIXES.items():
            if asset_id.startswith(prefix):
                return k
    return kind


# --- schemas ----------------------------------------------------------------

_TS = {
    "type": "string",
    "minLength": 10,
    "maxLength": 40,
    "description": "ISO 8601 date and time of the measurement, with a time zone "
    "(2026-11-26T21:30:00Z or 2026-11-26T22:30:00+01:00).",
}
_X = {
    "type": "object",
    "maxProperties": 32,
    "description": "Vendor extensions: stored with the sample, never interpreted.",
}


def _object(title: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": title,
        "type": "object",
        "required": ["ts"],
        "minProperties": 2,
        "additionalProperties": False,
        "properties": {"ts": _TS, **properties, "x": _X},
    }


def _num(minimum: float, maximum: float, description: str) -> dict[str, Any]:
    return {"type": "number", "minimum": minimum, "maximum": maximum, "description": description}


SCHEMAS: dict[str, dict[str, Any]] = {
    STREETLIGHT: _object(
        "Streetlight telemetry",
        {
            "powerState": {"enum": ["on", "off", "low", "bootingUp"]},
            "illuminanceLevel": _num(0, 1, "Light output relative to the nominal flux (0–1)."),
            "powerConsumption": _num(0, 10000, "Electrical power drawn, in watts."),
            "status": {"enum": ["ok", "defectiveLamp", "brokenLantern", "columnIssue"]},
            "operatingHours": _num(0, 10_000_000, "Lamp burning hours since installation."),
        },
    ),
    CABINET: _object(
        "Streetlight control cabinet telemetry",
        {
            "powerState": {"enum": ["on", "off"]},
            "workingMode": {"enum": ["automatic", "manual", "semiautomatic"]},
            "powerConsumption": _num(0, 1_000_000, "Power drawn by the cabinet's circuits (W)."),
            "energyConsumed": _num(0, 1e12, "Meter reading, in kWh."),
            "voltage": _num(0, 1000, "Supply voltage, in volts."),
            "doorOpen": {"type": "boolean", "description": "Cabinet door open (Vigie extension)."},
        },
    ),
    CAMERA: _object(
        "Camera telemetry",
        {
            "online": {"type": "boolean", "description": "Video stream available."},
            "recording": {"type": "boolean", "description": "The recorder is writing the images."},
            "storageUsage": _num(0, 1, "Share of the recorder's storage in use (0–1)."),
        },
    ),
    TRAFFIC_CONTROLLER: _object(
        "Traffic light controller telemetry",
        {
            "fault": {"type": "boolean", "description": "The controller reports a fault."},
            "faultCode": {
                "type": "string",
                "maxLength": 64,
                "description": "What the fault is: lampFailure, conflict, communication (the alarm "
                "rules name these three), detectorFault, powerFailure or a vendor code; empty "
                "when there is none.",
            },
            "operationMode": {"enum": ["normal", "flashing", "off", "manual"]},
            "timingPlan": {
                "type": "string",
                "maxLength": 32,
                "description": "The timing plan the controller runs (its own name: P1, PM-peak…).",
            },
            "priorityRequest": {
                "type": "object",
                "description": "A tram or bus priority request the controller has just handled.",
                "required": ["line", "vehicleType", "outcome"],
                "additionalProperties": False,
                "properties": {
                    "line": {"type": "string", "minLength": 1, "maxLength": 16},
                    "vehicleType": {"enum": ["tram", "bus"]},
                    "outcome": {"enum": ["granted", "extended", "refused", "cancelled"]},
                    "delaySeconds": _num(0, 600, "Time the vehicle waited at the stop line (s)."),
                },
            },
        },
    ),
    TRAFFIC_DETECTOR: _object(
        "Traffic detector counts (TrafficFlowObserved)",
        {
            "periodSeconds": _num(1, 3600, "Length of the observation period ending at ts (s)."),
            "intensity": _num(0, 100_000, "Vehicles counted during the period."),
            "occupancy": _num(0, 1, "Share of the period the detector was occupied (0–1)."),
            "averageVehicleSpeed": _num(0, 250, "Mean speed of the vehicles counted (km/h)."),
        },
    ),
    WEATHER_STATION: _object(
        "Road weather station telemetry (WeatherObserved)",
        {
            "surfaceTemperature": _num(-60, 90, "Road surface temperature (°C)."),
            "airTemperature": _num(-60, 60, "Air temperature (°C)."),
            "surfaceStatus": {"enum": ["dry", "moist", "wet", "frost", "ice", "snow", "slush"]},
            "precipitation": _num(0, 500, "Precipitation intensity (mm/h)."),
            "relativeHumidity": _num(0, 1, "Relative humidity (0–1)."),
        },
    ),
    VEHICLE: _object(
        "Vehicle telemetry",
        {
            "location": {
                "type": "object",
                "description": "GeoJSON Point: coordinates are [longitude, latitude].",
                "required": ["type", "coordinates"],
                "additionalProperties": False,
                "properties": {
                    "type": {"const": "Point"},
                    "coordinates": {
                        "type": "array",
                        "minItems": 2,
                        "maxItems": 3,
                        "items": [_num(-180, 180, "longitude"), _num(-90, 90, "latitude")],
                        "additionalItems": {"type": "number"},
                    },
                },
            },
            "speed": _num(0, 300, "Speed (km/h)."),
            "heading": _num(0, 360, "Heading (degrees from north)."),
            "activity": {
                "type": "string",
                "pattern": "^[A-Za-z][A-Za-z0-9_-]{0,31}$",
                "description": "What the vehicle is doing: driving, parked, salting, "
                "sweeping, collecting, patrolling, maintenance…",
            },
            "spreadRate": _num(0, 100, "Salt spreader's dosage while salting (g/m²)."),
            "spreadWidth": _num(0, 15, "Width the spreader covers (m)."),
        },
    ),
}

COMMAND_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Command sent to a device on {prefix}/command/{asset_id}",
    "type": "object",
    "required": ["id", "ts", "action"],
    "properties": {
        "id": {"type": "string", "description": "Command id, to echo in the acknowledgement."},
        "ts": _TS,
        "action": {"enum": ["switch", "dim", "program"]},
        "powerState": {"enum": ["on", "off"], "description": "switch: the target state."},
        "level": _num(0, 1, "dim: the target light output (0–1)."),
        "program": {
            "type": "object",
            "description": "program: the next switch points (UTC), to follow until replaced.",
            "properties": {
                "date": {"type": "string", "description": "Local date of the night (YYYY-MM-DD)."},
                "on": {"type": "string"},
                "off": {"type": "string"},
                "steps": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["at", "level"],
                        "properties": {"at": {"type": "string"}, "level": _num(0, 1, "")},
                    },
                },
            },
        },
    },
}

ACK_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Acknowledgement sent by a device on {prefix}/ack/{asset_id}",
    "type": "object",
    "required": ["id", "status"],
    "properties": {
        "id": {"type": "string", "maxLength": 64, "description": "The command id."},
        "status": {"enum": ["ok", "error", "unsupported"]},
        "ts": _TS,
        "detail": {"type": "string", "maxLength": 500},
    },
}

Validator = Callable[[Any], Any]
SchemaError = fastjsonschema.JsonSchemaValueException


def _one_of(allowed: frozenset[Any]) -> Callable[[Any], bool]:
    return lambda x: type(x) is str and x in allowed


def _number_in(lo: float, hi: float) -> Callable[[Any], bool]:
    return lambda x: (type(x) is float or type(x) is int) and lo <= x <= hi


def _is_bool(x: Any) -> bool:
    return type(x) is bool


def _text_of(lo: int, hi: int) -> Callable[[Any], bool]:
    return lambda x: type(x) is str and lo <= len(x) <= hi


def _fast_check(schema: dict[str, Any]) -> Callable[[dict[str, Any]], bool]:
    """A quick yes/no check of the flat properties of a payload schema.

    It answers True only when the payload is valid; anything else (or any
    property shape it does not know) goes to the full fastjsonschema validator,
    which then explains the problem. About 3x faster on the valid messages that
    make up nearly all the traffic.
    """
    props = schema["properties"]
    required = tuple(schema.get("required", ()))
    min_props = schema.get("minProperties", 0)
    checks: dict[str, Callable[[Any], bool]] = {}
    for name, p in props.items():
        if "enum" in p:
            checks[name] = _one_of(frozenset(p["enum"]))
        elif p.get("type") == "number":
            checks[name] = _number_in(p.get("minimum", -math.inf), p.get("maximum", math.inf))
        elif p.get("type") == "boolean":
            checks[name] = _is_bool
        elif p.get("type") == "string" and "pattern" not in p:
            checks[name] = _text_of(p.get("minLength", 0), p.get("maxLength", 10**9))
        # anything else (objects, patterns) is left to the full validator

    def check(data: dict[str, Any]) -> bool:
        if len(data) < min_props:
            return False
        for r in required:
            if r not in data:
                return False
        for k, x in data.items():
            c = checks.get(k)
            if c is None or not c(x):
                return False
        return True

    return check


def _validator(schema: dict[str, Any]) -> Validator:
    full = fastjsonschema.compile(schema)
    quick = _fast_check(schema)

    def validate(data: Any) -> Any:
        if type(data) is dict and quick(data):
            return data
        return full(data)

    return validate


# Measurements Vigie derives from a message rather than reads in it (the device may not
# send them): alarm rules may name them. ``congested`` follows TrafficFlowObserved.
DERIVED: dict[str, dict[str, dict[str, Any]]] = {
    TRAFFIC_DETECTOR: {
        "congested": {
            "type": "boolean",
            "description": "Occupancy well above this detector's usual for the weekday and time "
            "(set by the traffic context).",
        }
    },
}

VALIDATORS: dict[str, Validator] = {k: _validator(s) for k, s in SCHEMAS.items()}
validate_ack: Validator = fastjsonschema.compile(ACK_SCHEMA)

# Measurements aggregated as numbers (booleans count as 0/1); the others keep their last value.
NUMERIC = {
    name
    for schema in SCHEMAS.values()
    for name, prop in schema["properties"].items()
    if prop.get("type") in ("number", "boolean")
}


def parse_ts(text: str) -> datetime:
    """ISO 8601 with a zone -> aware UTC datetime; ValueError otherwise."""
    ts = datetime.fromisoformat(text)
    if ts.tzinfo is None:
        raise ValueError("ts has no time zone (add Z or +01:00)")
    return ts.astimezone(UTC)


def iso(ts_ms: int) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, UTC).isoformat().replace("+00:00", "Z")
