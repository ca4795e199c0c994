"""The data charter, enforced by code: what a release's rows go through before publication.

Set-based on Arrow tables (pyarrow.compute), so a million rows take seconds:
each step is a vectorised kernel, never a Python loop over rows.

Steps, in order (each reported as a check of the release):

1. columns: free text and contact columns are always left out, with the
   columns the rules drop; an undeclared column blocks the release;
2. sensitive services: rows of a service residents never see publicly are
   left out (a service column is required to publish rows about services);
3. locations: a resident's position is snapped to the centre of a grid cell,
   displaced by up to the rule's distance, or snapped to its street (one point per
   street, from the addresses context; the grid cell where no street is within
   reach, said in the release's notes); a dataset with residents'
   positions and no generalisation cannot be built (the rules always have one);
4. time: time columns are coarsened to the rule's precision;
5. small counts: counts below the rule's minimum become empty;
6. k-anonymity: every combination of the quasi-identifiers must be shared by
   at least k rows; rows of smaller groups may be left out up to the rule's
   share, beyond which the release is blocked with the number of groups at fault.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vigie.addresses.domain import ADDRESS_RADIUS_M
from vigie.opendata.domain import NEVER_PUBLISHED, Column, ColumnKind, Dataset, Rules

M_PER_DEG_LAT = 111_320.0

# Latitudes and longitudes -> the point of the street each stands on (NaN where none).
StreetPoints = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass
class Check:
    name: str
    ok: bool
    detail: str  # in English, for the logs and the API's older clients
    # A failed check's reason: a stable code and its values, shown in the reader's language
    # (``reason.<code>`` in the locales; docs/opendata-api.md lists the codes).
    code: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"check": self.name, "ok": self.ok, "detail": self.detail}
        if self.code:
            out.update(code=self.code, params=self.params)
        return out

    def reason(self) -> dict[str, Any]:
        return {"code": self.code or "charter.check", "params": self.params or {"detail": self.detail}}


@dataclass
class Outcome:
    table: pa.Table
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # for the release's changelog line

    @property
    def blocked(self) -> str:
        """Why the release is blocked ("" when every check passed)."""
        return "; ".join(f"{c.name}: {c.detail}" for c in self.checks if not c.ok)


def apply_charter(
    table: pa.Table,
    dataset: Dataset,
    rules: Rules,
    *,
    sensitive_services: frozenset[str] = frozenset(),
    salt: int = 0,
    streets: StreetPoints | None = None,
) -> Outcome:
    """``table`` (rows as the source built them) made publishable under ``rules``.

    ``sensitive_services``: service codes never published; ``salt``: a secret number that keys
    the displacement of positions (same row, same displacement in every release, so that
    averaging releases gives nothing back); ``streets``: the point of each position's street
    (the ``street`` rule; without it every position falls back to its grid cell).
    """
    out = Outcome(table)
    if not _columns(out, dataset, rules):
        return out
    _sensitive(out, dataset, rules, sensitive_services)
    _locations(out, dataset, rules, salt, streets)
    _time(out, dataset, rules)
    _small_counts(out, dataset, rules)
    _k_anonymity(out, rules)
    return out


def _columns(out: Outcome, dataset: Dataset, rules: Rules) -> bool:
    declared = {c.name: c for c in dataset.columns}
    undeclared = [n for n in out.table.column_names if n not in declared]
    if undeclared:
        out.checks.append(
            Check(
                "columns",
                False,
                f"column(s) not declared in the dataset: {', '.join(undeclared)}",
                "charter.undeclared_columns",
                {"columns": undeclared},
            )
        )
        return False
    left_out = [n for n in out.table.column_names if declared[n].kind in NEVER_PUBLISHED or n in rules.drop]
    # Keep the service column until sensitive rows are filtered, then drop it if asked.
    keep = [n for n in out.table.column_names if n not in left_out or declared[n].kind == ColumnKind.SERVICE]
    out.table = out.table.select(keep)
    out.checks.append(
        Check(
            "columns",
            True,
            f"left out: {', '.join(left_out)}" if left_out else "no free text or contact column",
        )
    )
    return True


def _sensitive(out: Outcome, dataset: Dataset, rules: Rules, sensitive: frozenset[str]) -> None:
    services = [n for n in out.table.column_names if _kind(dataset, n) == ColumnKind.SERVICE]
    if rules.exclude_sensitive and services and sensitive:
        before = out.table.num_rows
        mask = pc.invert(pc.is_in(out.table[services[0]], value_set=pa.array(sorted(sensitive))))
        out.table = out.table.filter(pc.fill_null(mask, True))
        removed = before - out.table.num_rows
        out.checks.append(
            Check("sensitive services", True, f"{removed} row(s) of sensitive services left out")
        )
    elif rules.exclude_sensitive:
        out.checks.append(Check("sensitive services", True, "no service column"))
    dropped_services = [n for n in services if n in rules.drop]
    if dropped_services:
        out.table = out.table.drop_columns(dropped_services)


def _locations(out: Outcome, dataset: Dataset, rules: Rules, salt: int, streets: StreetPoints | None) -> None:
    lat = next((n for n in out.table.column_names if _kind(dataset, n) == ColumnKind.PERSONAL_LATITUDE), None)
    lon = next(
        (n for n in out.table.column_names if _kind(dataset, n) == ColumnKind.PERSONAL_LONGITUDE), None
    )
    if lat is None and lon is None:
        return
    if lat is None or lon is None:
        out.checks.append(
            Check(
                "locations",
                False,
                "a resident's position needs both latitude and longitude",
                "charter.position_incomplete",
                {"column": lat or lon},
            )
        )
        return
    lats = out.table[lat].to_numpy(zero_copy_only=False).astype("float64")
    lons = out.table[lon].to_numpy(zero_copy_only=False).astype("float64")
    ref = np.nanmean(lats) if len(lats) and not np.all(np.isnan(lats)) else 45.0
    dlat = rules.location_m / M_PER_DEG_LAT
    dlon = rules.location_m / (M_PER_DEG_LAT * max(math.cos(math.radians(ref)), 0.01))
    # The grid is the street rule's fallback too.
    grid_lat = (np.floor(lats / dlat) + 0.5) * dlat
    grid_lon = (np.floor(lons / dlon) + 0.5) * dlon
    if rules.location == "grid":
        new_lat, new_lon = grid_lat, grid_lon
        detail = f"residents' positions snapped to the centre of {rules.location_m:g} m cells"
    elif rules.location == "street":
        placed = ~(np.isnan(lats) | np.isnan(lons))
        if streets is None:
            s_lat = s_lon = np.full(len(lats), np.nan)
        else:
            s_lat, s_lon = streets(lats, lons)
        on = placed & ~np.isnan(s_lat)
        new_lat = np.where(on, s_lat, grid_lat)
        new_lon = np.where(on, s_lon, grid_lon)
        fallback = int(np.count_nonzero(placed & ~on))
        detail = (
            f"residents' positions snapped to their street ({int(np.count_nonzero(on))} row(s)); "
            f"{fallback} with no street within {ADDRESS_RADIUS_M:g} m snapped to the centre of "
            f"{rules.location_m:g} m cells"
        )
        if fallback:
            out.notes.append(
                f"{fallback} of {int(np.count_nonzero(placed))} position(s) had no street within "
                f"{ADDRESS_RADIUS_M:g} m: published at the centre of their {rules.location_m:g} m grid "
                "cell instead of their street."
            )
    else:
        # Keyed by the row's position and a secret: the same row moves the same way every release.
        key = np.floor(lats * 1e5).astype("int64") * 1_000_003 + np.floor(lons * 1e5).astype("int64")
        rng = np.random.default_rng(np.abs(key ^ salt).astype("uint64") % (1 << 32))
        unit = rng.random((2, len(lats))) if len(lats) else np.zeros((2, 0))
        angle, radius = unit[0] * 2 * math.pi, np.sqrt(unit[1])
        new_lat = lats + radius * np.sin(angle) * dlat
        new_lon = lons + radius * np.cos(angle) * dlon
        detail = f"residents' positions displaced by up to {rules.location_m:g} m"
    digits = max(0, min(6, 6 - int(math.log10(max(rules.location_m, 1)))))
    out.table = _replace(out.table, lat, pa.array(np.round(new_lat, digits), mask=np.isnan(lats)))
    out.table = _replace(out.table, lon, pa.array(np.round(new_lon, digits), mask=np.isnan(lons)))
    out.checks.append(Check("locations", True, detail))


def _time(out: Outcome, dataset: Dataset, rules: Rules) -> None:
    done = []
    for name, precision in rules.time.items():
        if name not in out.table.column_names:
            continue
        col = out.table[name]
        if pa.types.is_timestamp(col.type):
            coarse = pc.floor_temporal(col, unit=precision, week_starts_monday=True)
        elif pa.types.is_date(col.type) and precision in ("week", "month", "year"):
            coarse = pc.cast(
                pc.floor_temporal(pc.cast(col, pa.timestamp("s")), unit=precision, week_starts_monday=True),
                col.type,
            )
        else:
            continue
        out.table = _replace(out.table, name, coarse)
        done.append(f"{name} to the {precision}")
    if done:
        out.checks.append(Check("time", True, "coarsened: " + ", ".join(done)))


def _small_counts(out: Outcome, dataset: Dataset, rules: Rules) -> None:
    if rules.min_count <= 0:
        return
    total = 0
    suppressed = pa.array([False] * out.table.num_rows, pa.bool_())
    for name in out.table.column_names:
        if _kind(dataset, name) != ColumnKind.COUNT:
            continue
        col = out.table[name]
        small = pc.fill_null(pc.and_(pc.greater(col, 0), pc.less(col, rules.min_count)), False)
        total += pc.sum(pc.cast(small, pa.int64())).as_py() or 0
        suppressed = pc.or_(suppressed, small)
        out.table = _replace(out.table, name, pc.if_else(small, pa.scalar(None, col.type), col))
    # A measure of such a row was computed over those few (the mean delay of one report is its
    # delay): it goes with the count.
    measures = 0
    for name in out.table.column_names:
        if _kind(dataset, name) != ColumnKind.MEASURE:
            continue
        col = out.table[name]
        hidden = pc.and_(suppressed, pc.is_valid(col))
        measures += pc.sum(pc.cast(hidden, pa.int64())).as_py() or 0
        out.table = _replace(out.table, name, pc.if_else(suppressed, pa.scalar(None, col.type), col))
    detail = f"{total} count(s) below {rules.min_count} suppressed"
    if measures:
        detail += f"; {measures} measure(s) of suppressed counts left empty"
    out.checks.append(Check("small counts", True, detail))


def _k_anonymity(out: Outcome, rules: Rules) -> None:
    qis = [n for n in rules.quasi_identifiers if n in out.table.column_names]
    if not qis:
        return
    table = out.table
    codes = _group_codes(table, qis)
    counts = np.bincount(codes) if len(codes) else np.zeros(0, dtype="int64")
    small_groups = int(np.count_nonzero(counts < rules.k))
    if small_groups == 0:
        smallest = int(counts.min()) if len(counts) else 0
        out.checks.append(
            Check("k-anonymity", True, f"k={rules.k} on {', '.join(qis)}: smallest group has {smallest} rows")
        )
        return
    in_small = counts[codes] < rules.k
    at_fault = int(np.count_nonzero(in_small))
    allowed = math.floor(rules.suppress_share * table.num_rows)
    if at_fault <= allowed:
        out.table = table.filter(pa.array(~in_small))
        out.checks.append(
            Check(
                "k-anonymity",
                True,
                f"k={rules.k} on {', '.join(qis)}: {at_fault} row(s) of {small_groups} small group(s) "
                "left out",
            )
        )
        return
    out.checks.append(
        Check(
            "k-anonymity",
            False,
            f"k={rules.k} on {', '.join(qis)}: {small_groups} combination(s) are shared by fewer than "
            f"{rules.k} rows ({at_fault} rows, more than the {rules.suppress_share:.0%} the rules allow "
            "to leave out); generalise a quasi-identifier (coarser time or cells) or declare fewer",
            "charter.k_anonymity",
            {
                "k": rules.k,
                "columns": qis,
                "found": small_groups,
                "rows": at_fault,
                "share": round(rules.suppress_share * 100, 1),
            },
        )
    )


def _group_codes(table: pa.Table, names: list[str]) -> np.ndarray:
    """One dense group number per row for the combination of ``names`` (a null is a value too)."""
    codes = np.zeros(table.num_rows, dtype="int64")
    for name in names:
        encoded = pc.dictionary_encode(table[name].combine_chunks(), null_encoding="encode")
        indices = encoded.indices.to_numpy(zero_copy_only=False).astype("int64")
        codes = codes * max(len(encoded.dictionary), 1) + indices
        # Dense again before the next column, so the product never overflows.
        codes = np.unique(codes, return_inverse=True)[1].reshape(-1)
    return codes


def _kind(dataset: Dataset, name: str) -> ColumnKind | None:
    c: Column | None = dataset.column(name)
    return c.kind if c else None


def _replace(table: pa.Table, name: str, values: Any) -> pa.Table:
    i = table.column_names.index(name)
    return table.set_column(i, name, values)
