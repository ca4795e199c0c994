"""Reading a city's files record by record, for every import (reports, assets, addresses).

CSV or GeoJSON through a declarative :class:`~vigie.sources.mapping.SourceMapping`; the
result of an import and its progress bar. Nothing here knows what is imported.
"""

from __future__ import annotations

import csv
import gc
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vigie.errors import ConfigProblem, ConfigurationError
from vigie.sources.mapping import Getter, SourceMapping

SHOWN_FAILURES = 20


@dataclass
class ImportResult:
    file: str = ""
    mapping: str = ""
    unit: str = "line"  # "line" (CSV) or "feature" (GeoJSON index, from 0)
    created: int = 0
    skipped: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)
    elapsed: float = 0.0
    checked_only: bool = False  # --check: nothing was written, "created" would be
    checkable: bool = False  # the command has a --check that lists every failure

    @property
    def total(self) -> int:
        return self.created + self.skipped + len(self.failed)

    def where(self, position: int) -> str:
        return f"line {position}" if self.unit == "line" else f"features[{position}]"

    def summary_lines(self, shown: int = SHOWN_FAILURES) -> list[str]:
        records = "features" if self.unit == "feature" else "records"
        if self.checked_only:  # --check is run to learn what to fix: all of it
            shown = len(self.failed)
        lines = [
            f"{self.file}: {self.total} {records} read in {self.elapsed:.1f} s (mapping {self.mapping})",
            f"  would be created (--check, nothing written): {self.created}"
            if self.checked_only
            else f"  created: {self.created}",
            f"  skipped (already imported): {self.skipped}",
            f"  failed: {len(self.failed)}",
        ]
        for position, reason in self.failed[:shown]:
            lines.append(f"  {self.where(position)}: {reason}")
        if len(self.failed) > shown:
            more = f"  … and {len(self.failed) - shown} more failures"
            lines.append(f"{more} (run with --check to list them all)" if self.checkable else more)
        return lines


@dataclass(slots=True)
class Record:
    position: int
    get: Getter
    geometry: Any = None
    error: str | None = None


# --- sources ---------------------------------------------------------------


def _blank(row: list[str]) -> bool:
    # Whitespace only, in every cell: what any(cell.strip()) tells, in one C call.
    return not "".join(row).strip()


class CsvSource:
    """A CSV file read twice: once to check it and count records, once to import."""

    unit = "line"

    def __init__(self, path: Path, mapping: SourceMapping) -> None:
        self.path = path
        self.mapping = mapping
        self.header: list[str] = []
        self.total = 0
        line = 0
        try:
            with self._open() as f:
                reader = csv.reader(f, delimiter=mapping.delimiter)
                self.header = [h.strip() for h in next(reader, [])]
                for row in reader:
                    line = reader.line_num
                    if not _blank(row):
                        self.total += 1
        except UnicodeDecodeError as exc:
            raise ConfigurationError(
                [
                    mapping.problem(
                        ("csv", "encoding"),
                        f"{path} is not readable as {mapping.encoding}: {exc.reason} at byte {exc.start}",
                    )
                ]
            ) from exc
        except csv.Error as exc:
            raise ConfigurationError([ConfigProblem(str(path), line + 1, "(csv)", str(exc))]) from exc
        if not self.header:
            raise ConfigurationError([ConfigProblem(str(path), 1, "(csv)", "the file is empty")])
        columns = set(self.header)
        problems = [
            mapping.problem(where, f"no column '{name}' in {path.name}")
            for name, where in mapping.columns()
            if name not in columns
        ]
        if problems:
            problems.sort(key=lambda p: p.line or 0)
            shown = ", ".join(self.header[:30]) + (" …" if len(self.header) > 30 else "")
            other = [
                d for d in ";\t|," if d != mapping.delimiter and len(self.header) == 1 and d in self.header[0]
            ]
            if other:  # the whole first line read as one column: another separator
                setting = f"csv: {{delimiter: {json.dumps(other[0])}}}"
                shown += f"; the first line looks separated by {other[0]!r}: set {setting} in the mapping"
            problems[-1].message += f" (its columns: {shown})"
            raise ConfigurationError(problems)

    def _open(self) -> Any:
        try:
            return self.path.open(encoding=self.mapping.encoding, newline="")
        except OSError as exc:
            raise ConfigurationError(
                [ConfigProblem(str(self.path), None, "(file)", exc.strerror or str(exc))]
            ) from exc

    def records(self) -> Iterator[Record]:
        index: dict[str, int] = {}
        for i, name in enumerate(self.header):
            index.setdefault(name, i)
        nulls = self.mapping.null_values
        with self._open() as f:
            reader = csv.reader(f, delimiter=self.mapping.delimiter)
            next(reader, None)
            while True:
                start = reader.line_num + 1  # a quoted field may span several lines
                row = next(reader, None)
                if row is None:
                    return
                if _blank(row):
                    continue
                yield Record(start, _row_getter(row, index, nulls))


def _row_getter(row: list[str], index: dict[str, int], nulls: frozenset[str]) -> Getter:
    def get(column: str) -> str | None:
        i = index.get(column)
        if i is None or i >= len(row):
            return None
        value = row[i].strip()
        return None if value in nulls else value

    return get


def _scalar(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


class GeoJsonSource:
    """Features of a FeatureCollection: their properties are the columns."""

    unit = "feature"

    def __init__(self, path: Path, mapping: SourceMapping) -> None:
        self.path = path
        self.mapping = mapping
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except OSError as exc:
            raise ConfigurationError(
                [ConfigProblem(str(path), None, "(file)", exc.strerror or str(exc))]
            ) from exc
        except (ValueError, UnicodeDecodeError) as exc:
            line = getattr(exc, "lineno", None)
            raise ConfigurationError(
                [ConfigProblem(str(path), line, "(geojson)", f"not valid JSON: {exc}")]
            ) from exc
        if isinstance(data, dict) and data.get("type") == "Feature":
            data = {"type": "FeatureCollection", "features": [data]}
        if not (isinstance(data, dict) and isinstance(data.get("features"), list)):
            raise ConfigurationError(
                [ConfigProblem(str(path), None, "(geojson)", "not a GeoJSON FeatureCollection")]
            )
        self.features: list[Any] = data["features"]
        self.total = len(self.features)

    def records(self) -> Iterator[Record]:
        nulls = self.mapping.null_values
        for i, feature in enumerate(self.features):
            if not isinstance(feature, dict):
                yield Record(i, lambda _c: None, error="the feature is not a JSON object")
                continue
            props = feature.get("properties") or {}
            if not isinstance(props, dict):
                yield Record(i, lambda _c: None, error="the feature's properties are not an object")
                continue
            values: dict[str, str] = {}
            for key, raw in props.items():
                text = _scalar(raw)
                if text is not None and text.strip() not in nulls:
                    values[str(key)] = text.strip()
            if "id" not in values and feature.get("id") is not None:
                values["id"] = str(feature["id"])
            yield Record(i, values.get, feature.get("geometry"))


def open_source(path: Path, mapping: SourceMapping) -> CsvSource | GeoJsonSource:
    fmt = mapping.format
    if fmt is None:
        fmt = "geojson" if path.suffix.lower() in (".geojson", ".json") else "csv"
    if not path.is_file():
        raise ConfigurationError([ConfigProblem(str(path), None, "(file)", "no such file")])
    return GeoJsonSource(path, mapping) if fmt == "geojson" else CsvSource(path, mapping)


@contextmanager
def long_lived_objects_frozen() -> Iterator[None]:
    """While a file is imported: the objects that were there before (the platform, its
    catalogue and zones, the libraries) kept out of the cyclic collector's passes, and
    fewer of its young passes. An import allocates a few objects a record and holds two
    batches of them, which sent the collector over the whole heap again and again
    (about 7 % of an import's CPU, docs/benchmarks.md, issue 14). Left alone when the
    process already froze its objects (the telemetry service's tuning)."""
    if gc.get_freeze_count():
        yield
        return
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold[0], 20_000), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


@contextmanager
def progress_bar(
    enabled: bool, total: int, label: str, verb: str = "importing"
) -> Iterator[Callable[[int], None]]:
    if not enabled:
        yield lambda _n: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task(f"{verb} {label}", total=total)
        yield lambda n: bar.advance(task, n)
