"""The asset registry: asset types, their typed attributes, links and rules.

The registry is data: each asset type lists the attributes it knows (type,
unit, allowed values, whether required) and the links it may hold to other
assets. Attribute names follow the FIWARE Smart Data Models where a model
defines them (``lampTechnology``, ``lanternHeight``, ``workingMode``,
``maximumPowerAvailable``, ``vehicleType``…); the few Vigie additions use the
same camelCase style and say so (``sdm=False``). Validation of one asset
against this registry is in :mod:`vigie.assets.domain`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from vigie.errors import ValidationFailed

if TYPE_CHECKING:
    from vigie.assets.domain import AssetDraft


class AssetStatus(StrEnum):
    IN_SERVICE = "in_service"
    OUT_OF_SERVICE = "out_of_service"
    MAINTENANCE = "maintenance"
    PLANNED = "planned"
    REMOVED = "removed"


STATUSES: tuple[str, ...] = tuple(s.value for s in AssetStatus)


class AttrType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"  # stored as ISO 8601 text (YYYY-MM-DD)
    ENUM = "enum"
    LIST = "list"  # a list of texts, of ``values`` when given


@dataclass(frozen=True)
class AttributeSpec:
    name: str
    type: AttrType
    description: str
    unit: str = ""  # UN/CEFACT-like symbols: W, m, kVA, K, lm, d
    values: tuple[str, ...] = ()  # allowed values of an enum, or of a list's items
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    sdm: bool = True  # the name comes from a FIWARE Smart Data Model

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type.value,
            "description": self.description,
            "required": self.required,
            "smart_data_models": self.sdm,
        }
        if self.unit:
            out["unit"] = self.unit
        if self.values:
            out["values"] = list(self.values)
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out


@dataclass(frozen=True)
class LinkSpec:
    name: str
    target_type: str
    description: str


Problem = tuple[str, str]  # (field, message)
Rule = Callable[["AssetDraft"], list[Problem]]


@dataclass(frozen=True)
class AssetType:
    code: str
    name: dict[str, str]  # {"fr": …, "en": …}
    id_prefix: str
    smart_data_model: str
    attributes: dict[str, AttributeSpec]
    links: dict[str, LinkSpec] = field(default_factory=dict)
    mobile: bool = False  # vehicles: location optional, may be outside every zone
    rules: tuple[Rule, ...] = ()
    # The permission needed to see assets of this type at all (None: the public registry).
    # Cameras: their positions and details are for the video-protection roles only.
    restricted_to: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": dict(self.name),
            "id_prefix": self.id_prefix,
            "smart_data_model": self.smart_data_model,
            "mobile": self.mobile,
            "restricted": self.restricted_to is not None,
            "attributes": [a.to_json() for a in self.attributes.values()],
            "links": [
                {"name": link.name, "target_type": link.target_type, "description": link.description}
                for link in self.links.values()
            ],
        }


def _attrs(*specs: AttributeSpec) -> dict[str, AttributeSpec]:
    return {s.name: s for s in specs}


A = AttributeSpec
T = AttrType

# Attributes every type knows (GSMA / PhysicalObject commons of the Smart Data Models).
COMMON = (
    A("brandName", T.STRING, "Manufacturer's brand"),
    A("modelName", T.STRING, "Manufacturer's model"),
    A("serialNumber", T.STRING, "Serial number"),
    A("description", T.STRING, "Free description"),
)

LAMP_TECHNOLOGIES = ("HPS", "LPS", "LED", "MH", "MV", "INC", "other")
RETENTION_MAX_DAYS = 30  # French video protection: images kept 30 days at most
AUTHORISATION_YEARS = 5  # prefectoral authorisation, renewable


def add_years(d: date, years: int) -> date:
    """The same day ``years`` later; from 29 February, 28 February of a common year.

    An anniversary, as authorisations are counted in years (a fixed 5 * 365 + 1 days
    would land a day early whenever the five years hold two leap days); from 29
    February it ends on the last day of February, so that it never lasts longer
    than granted.
    """
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _camera_rules(draft: AssetDraft) -> list[Problem]:
    problems: list[Problem] = []
    attrs = draft.attributes
    start, end = attrs.get("authorisationDate"), attrs.get("authorisationExpiry")
    if draft.status not in (AssetStatus.PLANNED, AssetStatus.REMOVED):
        for name in ("authorisationDate", "authorisationExpiry"):
            if attrs.get(name) is None:
                problems.append(
                    (
                        f"attributes.{name}",
                        "required: a camera in use needs a prefectoral authorisation "
                        "(only planned or removed cameras may go without)",
                    )
                )
    if isinstance(start, str) and isinstance(end, str):
        d0, d1 = date.fromisoformat(start), date.fromisoformat(end)
        if d1 <= d0:
            problems.append(
                ("attributes.authorisationExpiry", f"{end} is not after authorisationDate {start}")
            )
        elif d1 > add_years(d0, AUTHORISATION_YEARS):
            problems.append(
                (
                    "attributes.authorisationExpiry",
                    f"{end} is more than {AUTHORISATION_YEARS} years after authorisationDate "
                    f"{start} (an authorisation lasts {AUTHORISATION_YEARS} years, renewable)",
                )
            )
    return problems


ASSET_TYPES: dict[str, AssetType] = {
    t.code: t
    for t in (
        AssetType(
            code="street_light",
            name={"fr": "Point lumineux", "en": "Street light"},
            id_prefix="SL",
            smart_data_model="Streetlight / StreetlightModel",
            attributes=_attrs(
                A(
                    "lampTechnology",
                    T.ENUM,
                    "Lamp technology: high/low pressure sodium, LED, metal halide, mercury vapour, "
                    "incandescent, other",
                    values=LAMP_TECHNOLOGIES,
                    required=True,
                ),
                A(
                    "powerRating",
                    T.NUMBER,
                    "Rated lamp power",
                    unit="W",
                    minimum=0,
                    maximum=2000,
                    sdm=False,
                ),
                A("lanternHeight", T.NUMBER, "Height of the lantern", unit="m", minimum=0, maximum=40),
                A("dateLastLampChange", T.DATE, "Date the lamp was last changed"),
                A(
                    "colorTemperature",
                    T.NUMBER,
                    "Correlated colour temperature",
                    unit="K",
                    minimum=1000,
                    maximum=10000,
                ),
                A("luminousFlux", T.NUMBER, "Luminous flux", unit="lm", minimum=0),
                A("numberOfLamps", T.INTEGER, "Lamps on this light point", minimum=1, maximum=20, sdm=False),
                A("illuminanceLevel", T.NUMBER, "Configured dimming level (0-1)", minimum=0, maximum=1),
                A(
                    "luminaireInstalledOn",
                    T.DATE,
                    "Date the luminaire head was installed (a conversion installs a new one)",
                    sdm=False,
                ),
                A(
                    "upwardLightRatio",
                    T.NUMBER,
                    "Upward light ratio as installed (ULR: share of the flux above the horizontal)",
                    unit="%",
                    minimum=0,
                    maximum=100,
                    sdm=False,
                ),
                A(
                    "cieFluxCode3",
                    T.NUMBER,
                    "CIE flux code no. 3: share of the downward flux within a 75.5° half-angle cone",
                    unit="%",
                    minimum=0,
                    maximum=100,
                    sdm=False,
                ),
                A(
                    "litArea",
                    T.NUMBER,
                    "Area this point lights (for the installed flux per lit area)",
                    unit="m2",
                    minimum=0,
                    maximum=100000,
                    sdm=False,
                ),
                A("builtUpArea", T.BOOLEAN, "In a built-up area (en agglomération)", sdm=False),
                A(
                    "heritage",
                    T.BOOLEAN,
                    "Heritage luminaire: kept as it is, never in the LED retrofit plan",
                    sdm=False,
                ),
                *COMMON,
            ),
            links={
                "refStreetlightControlCabinet": LinkSpec(
                    "refStreetlightControlCabinet",
                    "control_cabinet",
                    "Control cabinet feeding this light",
                )
            },
        ),
        AssetType(
            code="control_cabinet",
            name={"fr": "Armoire de commande", "en": "Control cabinet"},
            id_prefix="CAB",
            smart_data_model="StreetlightControlCabinet",
            attributes=_attrs(
                A(
                    "workingMode",
                    T.ENUM,
                    "How the cabinet switches its circuits",
                    values=("automatic", "manual", "semiautomatic"),
                    required=True,
                ),
                A(
                    "maximumPowerAvailable",
                    T.NUMBER,
                    "Contracted power (puissance souscrite)",
                    unit="kVA",
                    minimum=0,
                    maximum=1000,
                ),
                A("meterId", T.STRING, "Electricity meter id (Linky PRM, 14 digits)", sdm=False),
                A("lastMeterReading", T.NUMBER, "Last meter reading", unit="kWh", minimum=0),
                A("refStreetlightGroup", T.LIST, "Light groups switched by this cabinet"),
                A(
                    "cupboardMadeOf",
                    T.ENUM,
                    "Material of the cupboard",
                    values=("concrete", "metal", "other", "plastic"),
                ),
                A("dateServiceStarted", T.DATE, "Date the cabinet entered service"),
                A(
                    "switchingMode",
                    T.ENUM,
                    "Night switching of its light groups (StreetlightGroup): on all night, "
                    "off after midnight, or lowered flux",
                    values=("night-ON", "night-OFF", "night-LOW", "always-ON"),
                ),
                *COMMON,
            ),
        ),
        AssetType(
            code="camera",
            name={"fr": "Caméra de vidéoprotection", "en": "Video-protection camera"},
            id_prefix="CAM",
            smart_data_model="Device (Vigie attributes for the French legal frame)",
            attributes=_attrs(
                A(
                    "cameraType",
                    T.ENUM,
                    "Fixed or pan-tilt-zoom",
                    values=("fixed", "ptz"),
                    required=True,
                    sdm=False,
                ),
                A("authorisationReference", T.STRING, "Prefectoral authorisation (decree) number", sdm=False),
                A("authorisationDate", T.DATE, "Date of the prefectoral authorisation", sdm=False),
                A(
                    "authorisationExpiry",
                    T.DATE,
                    f"End of the authorisation (at most {AUTHORISATION_YEARS} years later)",
                    sdm=False,
                ),
                A(
                    "retentionDays",
                    T.INTEGER,
                    f"How long images are kept (at most {RETENTION_MAX_DAYS} days)",
                    unit="d",
                    minimum=1,
                    maximum=RETENTION_MAX_DAYS,
                    required=True,
                    sdm=False,
                ),
                A("privacyMasking", T.BOOLEAN, "Private spaces are masked", sdm=False),
                A("signage", T.BOOLEAN, "Information signs are posted", sdm=False),
                *COMMON,
            ),
            rules=(_camera_rules,),
            restricted_to="video.cameras",
        ),
        AssetType(
            code="traffic_signal_controller",
            name={"fr": "Contrôleur de carrefour à feux", "en": "Traffic-signal controller"},
            id_prefix="TLC",
            smart_data_model="Device (Vigie attributes)",
            attributes=_attrs(
                A("busPriority", T.BOOLEAN, "Gives priority to buses", required=True, sdm=False),
                A(
                    "numberOfSignalGroups",
                    T.INTEGER,
                    "Signal groups driven",
                    minimum=1,
                    maximum=64,
                    sdm=False,
                ),
                A("pedestrianCrossing", T.BOOLEAN, "Has pedestrian signals", sdm=False),
                *COMMON,
            ),
        ),
        AssetType(
            code="traffic_detector",
            name={"fr": "Boucle de comptage", "en": "Traffic detector"},
            id_prefix="DET",
            smart_data_model="Device / TrafficFlowObserved",
            attributes=_attrs(
                A(
                    "detectorType",
                    T.ENUM,
                    "How vehicles are detected",
                    values=("inductiveLoop", "radar", "camera", "magnetometer"),
                    required=True,
                    sdm=False,
                ),
                A("laneId", T.INTEGER, "Lane counted (1 = the rightmost)", minimum=1, maximum=12),
                A(
                    "laneDirection",
                    T.ENUM,
                    "Direction of the traffic counted, along the road's own direction",
                    values=("forward", "backward"),
                ),
                A("roadName", T.STRING, "Road counted", sdm=False),
                *COMMON,
            ),
            links={
                "refTrafficSignalController": LinkSpec(
                    "refTrafficSignalController",
                    "traffic_signal_controller",
                    "Controller whose junction this detector serves",
                )
            },
        ),
        AssetType(
            code="road_weather_station",
            name={"fr": "Station météo routière", "en": "Road weather station"},
            id_prefix="RWS",
            smart_data_model="Device / WeatherObserved",
            attributes=_attrs(
                A(
                    "controlledProperty",
                    T.LIST,
                    "What the station measures",
                    values=(
                        "temperature",
                        "roadSurfaceTemperature",
                        "relativeHumidity",
                        "precipitation",
                        "snowHeight",
                        "roadSurfaceState",
                        "windSpeed",
                        "dewPoint",
                    ),
                    required=True,
                ),
                A("roadName", T.STRING, "Road watched by the station", sdm=False),
                *COMMON,
            ),
        ),
        AssetType(
            code="vehicle",
            name={"fr": "Véhicule de service", "en": "Service vehicle"},
            id_prefix="VEH",
            smart_data_model="Vehicle",
            attributes=_attrs(
                A(
                    "vehicleRole",
                    T.ENUM,
                    "What the vehicle is used for",
                    values=("snow_plough", "salt_spreader", "patrol", "maintenance"),
                    required=True,
                    sdm=False,
                ),
                A(
                    "vehicleType",
                    T.ENUM,
                    "Structural type (Smart Data Models vocabulary)",
                    values=(
                        "car",
                        "van",
                        "lorry",
                        "fourWheelDrive",
                        "constructionOrMaintenanceVehicle",
                        "motorcycle",
                        "bicycle",
                        "other",
                    ),
                ),
                A(
                    "serviceProvided",
                    T.LIST,
                    "Services provided (Smart Data Models vocabulary)",
                    values=(
                        "winterMaintenance",
                        "roadSignalling",
                        "streetLighting",
                        "maintenance",
                        "cleaning",
                        "municipalServices",
                        "other",
                    ),
                ),
                A("vehiclePlateIdentifier", T.STRING, "Registration plate"),
                A("depot", T.STRING, "Home depot", sdm=False),
                *COMMON,
            ),
            mobile=True,
        ),
    )
}


def asset_type(code: str) -> AssetType:
    try:
        return ASSET_TYPES[code]
    except KeyError:
        raise ValidationFailed(
            f"unknown asset type '{code}' (expected one of: {', '.join(ASSET_TYPES)})",
            field="type",
        ) from None


def registry_json(types: Iterable[AssetType] | None = None) -> dict[str, Any]:
    return {
        "statuses": list(STATUSES),
        "types": [t.to_json() for t in (types or ASSET_TYPES.values())],
    }


__all__ = [
    "ASSET_TYPES",
    "STATUSES",
    "AssetStatus",
    "AssetType",
    "AttrType",
    "AttributeSpec",
    "LinkSpec",
    "Problem",
    "Rule",
    "add_years",
    "asset_type",
    "registry_json",
]
