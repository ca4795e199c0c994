"""What the public portal shows of published datasets: lists, facets, previews, charts, KPIs.

Everything here reads published releases only (``queries``), so the portal can
never show a row the charter did not let through. The list is plain Python; the
functions that read a release's file import pyarrow, so that the app does not load
it at start (docs/benchmarks.md, issue 15, the web process's memory).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from vigie.db import utcnow
from vigie.errors import ValidationFailed
from vigie.opendata.domain import LICENCES, THEMES, ColumnKind, Dataset
from vigie.opendata.quality import Quality, quality
from vigie.opendata.queries import Published, published_datasets, release_path
from vigie.runtime import Vigie

PREVIEW_ROWS = 20
MAP_POINTS = 5000
CHART_POINTS = 400


@dataclass(frozen=True)
class Entry:
    published: Published
    quality: Quality

    @property
    def dataset(self) -> Dataset:
        return self.published.dataset


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def catalogue(v: Vigie, q: str = "", theme: str = "", keyword: str = "", licence: str = "") -> dict[str, Any]:
    """The portal's list: published datasets matching the search and facets, and the facets' counts."""
    now = utcnow()
    entries = [Entry(p, quality(p.dataset, p.release.created_at, now)) for p in published_datasets(v)]
    words = fold(q).split()

    def matches(e: Entry) -> bool:
        m = e.dataset.metadata
        text = fold(" ".join([m.title_fr, m.title_en, m.description_fr, m.description_en, *m.keywords]))
        return (
            all(w in text for w in words)
            and (not theme or theme in m.themes)
            and (not keyword or keyword in m.keywords)
            and (not licence or m.licence == licence)
        )

    found = [e for e in entries if matches(e)]
    facets: dict[str, dict[str, int]] = {"theme": {}, "keyword": {}, "licence": {}}
    for e in found:
        m = e.dataset.metadata
        for t in m.themes:
            facets["theme"][t] = facets["theme"].get(t, 0) + 1
        for k in m.keywords:
            facets["keyword"][k] = facets["keyword"].get(k, 0) + 1
        facets["licence"][m.licence] = facets["licence"].get(m.licence, 0) + 1
    # A keyword's English form, for the English page (the facets filter on the French one).
    keywords_en = {
        fr: en
        for e in entries
        if len(e.dataset.metadata.keywords) == len(e.dataset.metadata.keywords_en)
        for fr, en in zip(e.dataset.metadata.keywords, e.dataset.metadata.keywords_en, strict=True)
    }
    return {
        "entries": found,
        "total": len(entries),
        "keywords_en": keywords_en,
        "facets": {k: sorted(d.items(), key=lambda kv: (-kv[1], kv[0])) for k, d in facets.items()},
        "themes": THEMES,
        "licences": LICENCES,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    return value


def preview(v: Vigie, dataset_id: str, version: int | None = None) -> dict[str, Any]:
    """The first rows of the latest release, as strings and numbers for a table."""
    import pyarrow.parquet as pq

    f = pq.ParquetFile(release_path(v, dataset_id, version))
    batch = next(f.iter_batches(batch_size=PREVIEW_ROWS), None)
    names = f.schema_arrow.names
    rows = [] if batch is None else [[_plain(x) for x in row.values()] for row in batch.to_pylist()]
    return {"columns": names, "rows": rows}


def map_points(v: Vigie, published: Published) -> dict[str, Any] | None:
    """Up to ``MAP_POINTS`` points of a geographic dataset, each with a label."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    geometry = published.dataset.geometry
    if geometry is None:
        return None
    lat, lon = geometry
    label = next(
        (
            c.name
            for c in published.dataset.published_columns
            if c.kind in (ColumnKind.CATEGORY, ColumnKind.ID)
        ),
        None,
    )
    cols = [lat, lon] + ([label] if label else [])
    f = pq.ParquetFile(release_path(v, published.id))
    names = set(f.schema_arrow.names)
    if lat not in names or lon not in names:
        return None
    table = f.read(columns=[c for c in cols if c in names])
    total = table.num_rows
    if total > MAP_POINTS:
        step = total // MAP_POINTS + 1
        table = table.take(pa.array(range(0, total, step)))
    table = table.filter(pc.and_(pc.is_valid(table[lat]), pc.is_valid(table[lon])))
    points = [
        [round(r[lat], 6), round(r[lon], 6), str(r.get(label, "")) if label else ""]
        for r in table.to_pylist()
    ]
    return {"points": points, "total": total, "shown": len(points)}


def chart(v: Vigie, published: Published) -> dict[str, Any] | None:
    """A first look at the data: a measure over time, or the rows per value of a category."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    cols = published.dataset.published_columns
    path = release_path(v, published.id)
    names = set(pq.ParquetFile(path).schema_arrow.names)
    time = next((c for c in cols if c.kind == ColumnKind.TIME and c.name in names), None)
    measure = next(
        (c for c in cols if c.kind in (ColumnKind.MEASURE, ColumnKind.COUNT) and c.name in names), None
    )
    if time is not None and measure is not None:
        table = pq.read_table(path, columns=[time.name, measure.name])
        col = table[time.name]
        unit = "day" if table.num_rows > CHART_POINTS else "second"
        if pa.types.is_timestamp(col.type):
            col = pc.floor_temporal(col, unit=unit)
        t = pa.table({"t": col, "y": pc.cast(table[measure.name], pa.float64())})
        g = t.group_by("t").aggregate([("y", "mean")]).sort_by("t")
        xs = [x.isoformat() if x is not None else None for x in g["t"].to_pylist()]
        ys = [round(y, 2) if y is not None else None for y in g["y_mean"].to_pylist()]
        return {"kind": "line", "x": xs, "y": ys, "x_column": time.name, "y_column": measure.name}
    categories = [c.name for c in cols if c.kind == ColumnKind.CATEGORY and c.name in names]
    if not categories:
        return None
    category = _repeating(pq.ParquetFile(path), categories)
    table = pq.read_table(path, columns=[category])
    counts = table.group_by(category).aggregate([([], "count_all")]).sort_by([("count_all", "descending")])
    top = counts.slice(0, 15)
    return {
        "kind": "bars",
        "x": [str(x) for x in top[category].to_pylist()],
        "y": top["count_all"].to_pylist(),
        "x_column": category,
    }


def _repeating(file: Any, categories: list[str]) -> str:
    """The category whose values repeat most (fewest distinct values, at least two), read in the
    file's first row group: rows per value of a column that names each row once (the Vélodi
    stations' address) is a wall of bars of height 1, their district says something."""
    import pyarrow.compute as pc

    if len(categories) == 1 or file.metadata.num_row_groups == 0:
        return categories[0]
    first = file.read_row_group(0, columns=categories)
    distinct = {c: pc.count_distinct(first[c]).as_py() for c in categories}
    varied = [c for c in categories if distinct[c] >= 2] or categories
    return min(varied, key=lambda c: distinct[c])  # the first declared among equals


def public_kpis(v: Vigie, commune: str = "", lang: str = "fr") -> dict[str, Any] | None:
    """The public KPI charts: reports received and handled per month, mean delay per group,
    for the whole city or one commune (its INSEE code; an unknown one is a 422).

    Read from the published release of the KPI dataset (source ``kpis``): what the
    portal shows is exactly what the charter published (small counts suppressed). Groups
    are named from the catalogue in ``lang`` (the release holds their codes); ``partial``
    is the last month when the release was built during it: its counts are not a drop.
    """
    kpi = next((p for p in published_datasets(v) if p.dataset.source == "kpis"), None)
    if kpi is None:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    t = pq.read_table(release_path(v, kpi.id))
    names = {z.code: z.name for z in v.city.zones.zones}
    codes = sorted({c for c in t["commune"].to_pylist() if c}) if "commune" in t.column_names else []
    communes = sorted(((c, names.get(c, c)) for c in codes), key=lambda cn: cn[1])
    if commune:
        if commune not in codes:
            raise ValidationFailed(
                f"commune: no published indicators for {commune[:20]!r} (an INSEE code of the list)",
                field="commune",
            )
        t = t.filter(pc.equal(t["commune"], commune))
    months = t.group_by("month").aggregate([("received", "sum"), ("handled", "sum")]).sort_by("month")
    weighted = pc.multiply(pc.cast(t["handled"], pa.float64()), t["mean_days_to_close"])
    g = (
        pa.table({"group": t["service_group"], "w": weighted, "n": pc.cast(t["handled"], pa.float64())})
        .filter(pc.is_valid(weighted))
        .group_by("group")
        .aggregate([("w", "sum"), ("n", "sum")])
    )
    groups = v.catalogue.groups
    delays = sorted(
        (
            (groups[grp].name.get(lang) if grp in groups else grp, round(w / n, 1))
            for grp, w, n in zip(
                g["group"].to_pylist(), g["w_sum"].to_pylist(), g["n_sum"].to_pylist(), strict=True
            )
            if n
        ),
        key=lambda kv: -kv[1],
    )
    month_list = [m.isoformat() for m in months["month"].to_pylist()]
    # The release's months are UTC months (builtin.build_kpis), so is its cut-off.
    built = kpi.release.created_at.date().replace(day=1).isoformat()
    return {
        "dataset": kpi.id,
        "title": kpi.dataset.metadata.title(lang),
        "communes": communes,
        "commune": commune,
        "commune_name": names.get(commune, commune),
        "months": month_list,
        "partial": built if month_list and month_list[-1] == built else "",
        "received": months["received_sum"].to_pylist(),
        "handled": months["handled_sum"].to_pylist(),
        "delays": delays,
    }
