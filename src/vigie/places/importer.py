"""``vigie import places FILE --mapping MAP [--source NAME]``: points of interest from a city's files.

Records are mapped (:mod:`vigie.places.mapping`), checked (a name, a theme, a
point inside the world; a website must be http(s)), then written in one
transaction that first removes what the same ``source`` brought before:
importing a file again replaces it, never duplicates it. Records that cannot be
taken are listed with their line (CSV) or feature number (GeoJSON).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert

from vigie.places.mapping import PlaceMapping, load_place_mapping
from vigie.places.storage import PlaceRow
from vigie.places.text import fold
from vigie.places.themes import THEMES
from vigie.runtime import Vigie
from vigie.sources.mapping import RowError
from vigie.sources.reading import open_source, progress_bar

SHOWN_FAILURES = 20
_SOURCE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass
class PlaceImportResult:
    file: str
    source: str
    unit: str = "line"
    read: int = 0
    imported: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        lines = [
            f"{self.file}: {self.imported} places imported as '{self.source}', {len(self.skipped)} left out"
        ]
        for position, reason in self.skipped[:SHOWN_FAILURES]:
            lines.append(f"  {self.unit} {position}: {reason}")
        if len(self.skipped) > SHOWN_FAILURES:
            lines.append(f"  … and {len(self.skipped) - SHOWN_FAILURES} more")
        return lines


def _number(raw: Any, name: str, low: float, high: float) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise RowError(name, f"'{raw}' is not a number") from None
    if not low <= value <= high:
        raise RowError(name, f"{value} is out of range")
    return value


def _row(mapping: PlaceMapping, source: str, get: Any, geometry: Any) -> dict[str, Any]:
    values = mapping.values(get)
    raw_lat, raw_lon = mapping.location(get, geometry)
    if raw_lat is None or raw_lon is None:
        raise RowError("lat", "no position")
    lat, lon = _number(raw_lat, "lat", -90, 90), _number(raw_lon, "lon", -180, 180)
    name = " ".join((values.get("name") or "").split())
    if not name:
        raise RowError("name", "empty")
    theme = values.get("theme") or ""
    if theme not in THEMES:
        raise RowError("theme", f"'{theme}' is not a theme")
    website = (values.get("website") or "").strip()
    if website and not website.startswith(("https://", "http://")):
        raise RowError("website", f"'{website[:80]}' is not an http(s) address")
    if mapping.external_id_column:
        ext = mapping.external_id(get)
    else:
        ext = hashlib.sha1(f"{name}|{lat:.6f}|{lon:.6f}".encode(), usedforsecurity=False).hexdigest()[:12]
    text = {
        k: " ".join((values.get(k) or "").split())
        for k in ("category", "address", "commune", "hours", "phone")
    }
    return {
        "id": f"{source}.{ext}"[:200],
        "source": source,
        "theme": theme,
        "name": name[:300],
        "category": text["category"][:200],
        "address": text["address"][:300],
        "commune": text["commune"][:100],
        "description": (values.get("description") or "").strip(),
        "phone": text["phone"][:50],
        "website": website[:500],
        "hours": text["hours"][:500],
        "lat": lat,
        "lon": lon,
        "search": f" {fold(' '.join([name, text['category'], text['address'], text['commune']]))} ",
    }


def do_import_places(
    v: Vigie, path: str | Path, mapping_name: str | Path, source: str | None = None, *, progress: bool = False
) -> PlaceImportResult:
    path = Path(path).expanduser()
    mapping = load_place_mapping(mapping_name)
    name = source or Path(str(mapping_name)).stem.replace("_", "-")
    if not _SOURCE.match(name):
        raise RowError("source", f"'{name}' is not a source name (a-z, 0-9, - and _)")
    reader = open_source(path, mapping)
    result = PlaceImportResult(str(path), name, reader.unit)
    rows: dict[str, dict[str, Any]] = {}
    with progress_bar(progress, reader.total, path.name) as advance:
        for rec in reader.records():
            result.read += 1
            advance(1)
            if rec.error:
                result.skipped.append((rec.position, rec.error))
                continue
            try:
                row = _row(mapping, name, rec.get, rec.geometry)
            except RowError as exc:
                result.skipped.append((rec.position, str(exc)))
                continue
            if row["id"] in rows:
                result.skipped.append((rec.position, f"same place as another record ({row['id']})"))
                continue
            rows[row["id"]] = row
    with v.db.write_engine.begin() as conn:
        conn.execute(delete(PlaceRow).where(PlaceRow.source == name))
        if rows:
            conn.execute(insert(PlaceRow), list(rows.values()))
    result.imported = len(rows)
    return result


__all__ = ["PlaceImportResult", "do_import_places"]
