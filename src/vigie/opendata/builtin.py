"""Vigie's own data as sources: residents' reports, lighting, equipment, public KPIs.

Each builder reads the live tables (read-only, in batches) into an Arrow
table with *every* column it declares, personal ones included where the
table has them: the charter, not the builder, is what keeps them out, so a
mistake in a builder cannot publish them (and the tests see the charter work).
The builders import pyarrow when they run (a release build), not with the module,
which the app imports at start to register them (vigie.opendata.sources).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from vigie.assets.storage import AssetRow
from vigie.opendata.domain import Column
from vigie.opendata.domain import ColumnKind as K
from vigie.opendata.sources import Source, register_source, schema_of
from vigie.reports.storage import ReportRow

if TYPE_CHECKING:
    import pyarrow as pa

    from vigie.opendata.domain import Dataset
    from vigie.runtime import Vigie

BATCH = 50_000

REPORT_COLUMNS: tuple[Column, ...] = (
    Column("service_code", "string", K.SERVICE, "Code du service", "Service code"),
    Column("service_group", "string", K.CATEGORY, "Groupe de services", "Service group"),
    Column("status", "string", K.CATEGORY, "État du signalement", "Status of the report"),
    Column("commune", "string", K.CATEGORY, "Code INSEE de la commune", "INSEE code of the commune"),
    Column("channel", "string", K.CATEGORY, "Canal de réception", "Channel it came by"),
    Column("requested_at", "timestamp", K.TIME, "Date du signalement", "When it was reported"),
    Column("closed_at", "timestamp", K.TIME, "Date de clôture", "When it was closed"),
    Column("lat", "float", K.PERSONAL_LATITUDE, "Latitude (généralisée)", "Latitude (generalised)"),
    Column("long", "float", K.PERSONAL_LONGITUDE, "Longitude (généralisée)", "Longitude (generalised)"),
    Column("description", "string", K.TEXT, "Texte du signalement", "Text of the report"),
    Column("address", "string", K.TEXT, "Adresse saisie", "Address typed"),
    Column("reporter_name", "string", K.CONTACT, "Nom", "Name"),
    Column("reporter_email", "string", K.CONTACT, "Courriel", "E-mail"),
    Column("reporter_phone", "string", K.CONTACT, "Téléphone", "Phone"),
)


def build_reports(v: Vigie, dataset: Dataset) -> pa.Table:
    """Public reports (never the ones an agent made non-public), personal columns included."""
    r = ReportRow
    stmt = select(
        r.service_code,
        r.service_group,
        r.status,
        r.zone,
        r.channel,
        r.requested_at,
        r.closed_at,
        r.lat,
        r.long,
        r.description,
        r.address,
        r.reporter_name,
        r.reporter_email,
        r.reporter_phone,
    ).where(r.public.is_(True), r.duplicate_of_id.is_(None))
    return _read(v, stmt, REPORT_COLUMNS)


LIGHT_COLUMNS: tuple[Column, ...] = (
    Column("id", "string", K.ID, "Identifiant du point lumineux", "Light point id"),
    Column("commune", "string", K.CATEGORY, "Code INSEE de la commune", "INSEE code of the commune"),
    Column("lamp_technology", "string", K.CATEGORY, "Technologie de la lampe", "Lamp technology"),
    Column("power_w", "float", K.MEASURE, "Puissance nominale (W)", "Rated power (W)"),
    Column("lamps", "int", K.MEASURE, "Nombre de lampes", "Number of lamps"),
    Column("height_m", "float", K.MEASURE, "Hauteur du feu (m)", "Lantern height (m)"),
    Column("status", "string", K.CATEGORY, "État", "Status"),
    Column("installed_on", "date", K.TIME, "Date de pose", "Installation date"),
    Column(
        "energy_kwh_year",
        "float",
        K.MEASURE,
        "Consommation annuelle estimée (kWh) : puissance × lampes × heures de fonctionnement",
        "Estimated annual consumption (kWh): power × lamps × burning hours",
    ),
    Column("lat", "float", K.LATITUDE, "Latitude", "Latitude"),
    Column("long", "float", K.LONGITUDE, "Longitude", "Longitude"),
)

# Burning hours of a French street light in a year (3,500 to 4,300: shared/data README);
# the middle of the range stands for a city without its own schedule's figures.
BURNING_HOURS = 3_900


def _light_rows(v: Vigie) -> pa.Table:
    import pyarrow as pa

    a = AssetRow
    stmt = select(a.id, a.zone, a.attributes, a.status, a.installed_on, a.lat, a.long).where(
        a.type == "street_light"
    )
    cols: dict[str, list[Any]] = {c.name: [] for c in LIGHT_COLUMNS}
    with v.db.session() as s:
        for row in s.execute(stmt.execution_options(yield_per=BATCH)):
            attrs = row.attributes or {}
            power = _float(attrs.get("powerRating"))
            lamps = int(attrs.get("numberOfLamps") or 1)
            cols["id"].append(row.id)
            cols["commune"].append(row.zone)
            cols["lamp_technology"].append(attrs.get("lampTechnology"))
            cols["power_w"].append(power)
            cols["lamps"].append(lamps)
            cols["height_m"].append(_float(attrs.get("lanternHeight")))
            cols["status"].append(row.status)
            cols["installed_on"].append(row.installed_on)
            cols["energy_kwh_year"].append(
                round(power * lamps * BURNING_HOURS / 1000, 1) if power is not None else None
            )
            cols["lat"].append(row.lat)
            cols["long"].append(row.long)
    return pa.table(cols, schema=schema_of(LIGHT_COLUMNS))


def build_lighting(v: Vigie, dataset: Dataset) -> pa.Table:
    return _light_rows(v)


ENERGY_COLUMNS: tuple[Column, ...] = (
    Column("commune", "string", K.CATEGORY, "Code INSEE de la commune", "INSEE code of the commune"),
    Column("lamp_technology", "string", K.CATEGORY, "Technologie de la lampe", "Lamp technology"),
    Column("light_points", "int", K.MEASURE, "Points lumineux", "Light points"),
    Column("power_kw", "float", K.MEASURE, "Puissance installée (kW)", "Installed power (kW)"),
    Column(
        "energy_mwh_year",
        "float",
        K.MEASURE,
        "Consommation annuelle estimée (MWh)",
        "Estimated annual consumption (MWh)",
    ),
)


def build_lighting_energy(v: Vigie, dataset: Dataset) -> pa.Table:
    import pyarrow as pa
    import pyarrow.compute as pc

    lights = _light_rows(v)
    lights = lights.append_column(
        "w_total", pc.multiply(lights["power_w"], pc.cast(lights["lamps"], pa.float64()))
    )
    g = lights.group_by(["commune", "lamp_technology"]).aggregate(
        [([], "count_all"), ("w_total", "sum"), ("energy_kwh_year", "sum")]
    )
    g = g.sort_by([("commune", "ascending"), ("lamp_technology", "ascending")])
    return pa.table(
        {
            "commune": g["commune"],
            "lamp_technology": g["lamp_technology"],
            "light_points": g["count_all"],
            "power_kw": pc.round(pc.divide(g["w_total_sum"], 1000.0), 1),
            "energy_mwh_year": pc.round(pc.divide(g["energy_kwh_year_sum"], 1000.0), 1),
        },
        schema=schema_of(ENERGY_COLUMNS),
    )


STATE_COLUMNS: tuple[Column, ...] = (
    Column("type", "string", K.CATEGORY, "Type d'équipement", "Equipment type"),
    Column("commune", "string", K.CATEGORY, "Code INSEE de la commune", "INSEE code of the commune"),
    Column("status", "string", K.CATEGORY, "État", "Status"),
    Column("equipment", "int", K.MEASURE, "Nombre d'équipements", "Number of pieces of equipment"),
)

# Cameras are left out: where each one stands is the video-protection sites' dataset, with
# its own rules (issue 10); vehicles move and are not city furniture.
STATE_TYPES_LEFT_OUT = ("camera", "vehicle")


def build_equipment_states(v: Vigie, dataset: Dataset) -> pa.Table:
    from sqlalchemy import func

    a = AssetRow
    stmt = (
        select(a.type, a.zone, a.status, func.count())
        .where(a.type.not_in(STATE_TYPES_LEFT_OUT))
        .group_by(a.type, a.zone, a.status)
        .order_by(a.type, a.zone, a.status)
    )
    return _read(v, stmt, STATE_COLUMNS)


KPI_COLUMNS: tuple[Column, ...] = (
    Column("month", "date", K.TIME, "Mois", "Month"),
    Column("service_group", "string", K.CATEGORY, "Groupe de services", "Service group"),
    Column("commune", "string", K.CATEGORY, "Code INSEE de la commune", "INSEE code of the commune"),
    Column("received", "int", K.COUNT, "Signalements reçus", "Reports received"),
    Column("handled", "int", K.COUNT, "Signalements traités (clos)", "Reports handled (closed)"),
    Column(
        "mean_days_to_close",
        "float",
        K.MEASURE,
        "Délai moyen de traitement (jours)",
        "Mean time to close (days)",
    ),
)


def build_kpis(v: Vigie, dataset: Dataset) -> pa.Table:
    """Reports received and handled, and delays, per month, service group and commune."""
    import pyarrow as pa
    import pyarrow.compute as pc

    r = ReportRow
    stmt = select(r.service_group, r.zone, r.requested_at, r.closed_at, r.service_code).where(
        r.duplicate_of_id.is_(None)
    )
    cols = (
        Column("service_group", "string", K.CATEGORY),
        Column("commune", "string", K.CATEGORY),
        Column("requested_at", "timestamp", K.TIME),
        Column("closed_at", "timestamp", K.TIME),
        Column("service_code", "string", K.SERVICE),
    )
    rows = _read(v, stmt, cols)
    sensitive = sensitive_services(v)
    if sensitive:
        rows = rows.filter(pc.invert(pc.is_in(rows["service_code"], value_set=pa.array(sorted(sensitive)))))
    month = pc.cast(pc.floor_temporal(rows["requested_at"], unit="month"), pa.date32())
    seconds = pc.divide(
        pc.cast(pc.subtract(rows["closed_at"], rows["requested_at"]), pa.int64()), 86_400_000_000.0
    )
    t = pa.table(
        {
            "month": month,
            "service_group": rows["service_group"],
            "commune": rows["commune"],
            "closed": pc.cast(pc.is_valid(rows["closed_at"]), pa.int64()),
            "days": seconds,
        }
    )
    g = t.group_by(["month", "service_group", "commune"]).aggregate(
        [([], "count_all"), ("closed", "sum"), ("days", "mean")]
    )
    g = g.sort_by([("month", "ascending"), ("service_group", "ascending"), ("commune", "ascending")])
    return pa.table(
        {
            "month": g["month"],
            "service_group": g["service_group"],
            "commune": g["commune"],
            "received": g["count_all"],
            "handled": g["closed_sum"],
            "mean_days_to_close": pc.round(g["days_mean"], 1),
        },
        schema=schema_of(KPI_COLUMNS),
    )


def sensitive_services(v: Vigie) -> frozenset[str]:
    """Services residents never see publicly: their rows are never published."""
    return frozenset(s.code for s in v.catalogue.services.values() if not s.public or s.agents_only)


def _read(v: Vigie, stmt: Any, columns: tuple[Column, ...]) -> pa.Table:
    import pyarrow as pa

    schema = schema_of(columns)
    batches: list[pa.RecordBatch] = []
    with v.db.session() as s:
        result = s.execute(stmt.execution_options(yield_per=BATCH))
        for part in result.partitions():
            arrays: list[Any] = list(zip(*part, strict=True)) if part else [[] for _ in columns]
            batches.append(
                pa.record_batch(
                    [pa.array(a, type=f.type) for a, f in zip(arrays, schema, strict=True)], schema=schema
                )
            )
    return pa.Table.from_batches(batches, schema=schema)


def _float(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


SOURCES = (
    Source("reports", REPORT_COLUMNS, build_reports, "Signalements des habitants", "Residents' reports"),
    Source(
        "lighting",
        LIGHT_COLUMNS,
        build_lighting,
        "Inventaire de l'éclairage public",
        "Street lighting inventory",
    ),
    Source(
        "lighting_energy",
        ENERGY_COLUMNS,
        build_lighting_energy,
        "Énergie de l'éclairage par commune",
        "Lighting energy per commune",
    ),
    Source(
        "equipment_states", STATE_COLUMNS, build_equipment_states, "États des équipements", "Equipment states"
    ),
    Source("kpis", KPI_COLUMNS, build_kpis, "Indicateurs des signalements", "Report indicators"),
)


def register_builtin_sources() -> None:
    for source in SOURCES:
        register_source(source)
