"""``vigie import video-sites``: camera systems (sites) from a city's list, through a
declarative mapping (the same source side as every import: :mod:`vigie.sources`).

Targets: ``code`` and ``name`` (required), ``address``, ``zone`` (a commune code of
the city; a code the city does not know is left out), ``in_service_on``, ``authorisation_number``,
``authorisation_date``, ``retention_days``, ``responsible_service``. A list without
authorisation data (Paris's) imports its sites as they are: the compliance
alerts then name every site the operator must complete. A record whose external
id is already in the database is skipped (re-running creates nothing).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from vigie.assets.mapping import ValueSpec
from vigie.db import utcnow
from vigie.errors import VigieError
from vigie.runtime import Vigie
from vigie.sources.loader import MappingKind, MappingLoader, field_schema, mapping_schema
from vigie.sources.mapping import FieldSpec, RowError, SourceMapping
from vigie.sources.reading import ImportResult, open_source, progress_bar
from vigie.videoprotection.domain import SiteDraft, check_site
from vigie.videoprotection.storage import VideoSiteRow

MAPPINGS_DIR = Path(__file__).parent / "mappings"
TARGETS = (
    "code",
    "name",
    "address",
    "zone",
    "in_service_on",
    "authorisation_number",
    "authorisation_date",
    "retention_days",
    "responsible_service",
)
_FIELD = field_schema(
    ["string", "number"],
    prefix={"type": "string", "maxLength": 64},
    excel_serial={
        "type": "boolean",
        "description": "Dates may also be spreadsheet day numbers (40898 is 2011-12-20), as lists "
        "exported from a spreadsheet often are.",
    },
)
# Day 0 of spreadsheet day numbers (Excel's 1900 system, its 1900 leap-year error included).
EXCEL_EPOCH = date(1899, 12, 30)
_KIND = MappingKind(
    MAPPINGS_DIR,
    "video-site mapping",
    mapping_schema("Vigie video-site mapping", dict.fromkeys(TARGETS, _FIELD), ("code", "name")),
)
BATCH = 500


class _Loader(MappingLoader):
    def make_spec(self, raw: dict[str, Any], where: Any, **common: Any) -> FieldSpec:
        return ValueSpec(**common, prefix=raw.get("prefix", ""), where=where)


@dataclass
class SiteMapping(SourceMapping):
    excel_serial: frozenset[str] = frozenset()  # the date targets that may be day numbers


def load_site_mapping(name_or_path: str | Path) -> SiteMapping:
    loader = _Loader(_KIND.load(name_or_path))
    fields = {t: spec for t, _, _, spec in loader.field_specs(TARGETS) if spec is not None}
    excel = frozenset(t for t, raw in loader.data["fields"].items() if raw.get("excel_serial"))
    return loader.build(SiteMapping, fields, excel_serial=excel)


def _day(m: SiteMapping, text: str | None, target: str) -> date | None:
    if not text:
        return None
    if target in m.excel_serial and text.isdigit() and 1 <= int(text) <= 2_958_465:
        return EXCEL_EPOCH + timedelta(days=int(text))
    parsed = m.strptime(text)
    if parsed is not None:
        return parsed.date()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise m.not_a_date(target, text) from None


def map_site(v: Vigie, m: SiteMapping, get: Any, geometry: Any = None) -> SiteDraft:
    values: dict[str, str | None] = {}
    for target, spec in m.fields.items():
        values[target] = spec.value_of(get) if isinstance(spec, ValueSpec) else spec.extract(get)
    zone = values.get("zone") or ""
    if zone not in v.city.zones.by_code:
        zone = ""
    lat, long = m.location(get, geometry)
    try:
        lat_f = float(lat) if lat is not None else None
        long_f = float(long) if long is not None else None
    except ValueError:
        raise RowError("location", f"'{lat}, {long}' is not a point") from None
    retention = values.get("retention_days")
    try:
        days = int(float(retention)) if retention else None
    except ValueError:
        raise RowError("retention_days", f"'{retention}' is not a number of days") from None
    return SiteDraft(
        code=values.get("code") or "",
        name=values.get("name") or "",
        zone=zone,
        address=values.get("address") or "",
        lat=lat_f,
        long=long_f,
        in_service_on=_day(m, values.get("in_service_on"), "in_service_on"),
        authorisation_number=values.get("authorisation_number") or "",
        authorisation_date=_day(m, values.get("authorisation_date"), "authorisation_date"),
        retention_days=days,
        responsible_service=values.get("responsible_service") or "",
        external_id=m.external_id(get),
    )


def run_site_import(v: Vigie, file: Path | str, mapping: str | Path, progress: bool = False) -> ImportResult:
    """Import every record of ``file``; bad records are reported with their line, never fatal."""
    started = time.perf_counter()
    m = load_site_mapping(mapping)
    path = Path(file)
    source = open_source(path, m)
    result = ImportResult(file=str(path), mapping=str(mapping), unit=source.unit)
    with progress_bar(progress, source.total, f"video-protection sites from {path.name}") as advance:
        batch: list[tuple[int, SiteDraft]] = []
        for rec in source.records():
            if rec.error:
                result.failed.append((rec.position, rec.error))
            else:
                try:
                    batch.append((rec.position, check_site(map_site(v, m, rec.get, rec.geometry))))
                except RowError as exc:
                    result.failed.append((rec.position, f"{exc.field}: {exc.message}"))
                except VigieError as exc:
                    result.failed.append(
                        (rec.position, f"{exc.field}: {exc.message}" if exc.field else exc.message)
                    )
            if len(batch) >= BATCH:
                _write(v, batch, result)
                advance(len(batch))
                batch = []
        if batch:
            _write(v, batch, result)
            advance(len(batch))
    result.failed.sort(key=lambda f: f[0])
    result.elapsed = time.perf_counter() - started
    return result


def _write(v: Vigie, batch: list[tuple[int, SiteDraft]], result: ImportResult) -> None:
    now = utcnow()
    with v.db.session(write=True) as s:
        ext = [d.external_id for _, d in batch if d.external_id]
        codes = [d.code for _, d in batch]
        seen_ext = set(s.scalars(select(VideoSiteRow.external_id).where(VideoSiteRow.external_id.in_(ext))))
        seen_codes = set(s.scalars(select(VideoSiteRow.code).where(VideoSiteRow.code.in_(codes))))
        for position, d in batch:
            if d.external_id in seen_ext:
                result.skipped += 1
                continue
            if d.code in seen_codes:
                result.failed.append((position, f"code: '{d.code}' is already another site's"))
                continue
            s.add(VideoSiteRow(**{k: val for k, val in vars(d).items()}, created_at=now, updated_at=now))
            seen_ext.add(d.external_id)
            seen_codes.add(d.code)
            result.created += 1
        s.commit()


__all__ = ["load_site_mapping", "run_site_import"]
