"""Open data: the charter's checks on 1,000,000 report rows.

Target (issue 17 §5): the charter's checks on 1,000,000 rows in ≤ 10 s. Timed, as a
release runs them (vigie.opendata.charter, files, scanner): free text and contact
columns left out, sensitive services' rows left out, residents' positions snapped
to 500 m cells, dates to the month, k-anonymity (k = 5) on service group, commune
and month with up to 20 % of rows left out, the Parquet file written, then read back
and scanned for e-mail addresses, phone numbers and 5,000 known full names.

Baselines in the same run: (1) writing the same rows to Parquet and reading them back
with no check at all (the floor of producing a release file); (2) the k-anonymity
count alone as a plain Python loop (collections.Counter over row tuples), the way
one would write it without Arrow.

The same checks are timed again with residents' positions snapped to their street
(``"location": "street"``: vigie.addresses.nearest.street_points over the demo's
gazetteer, Dijon's shops and tram and bus stops from ../shared/data, loaded into a fresh
SQLite database, not timed), in the same run: the street rule's cost is the ratio of
the two.

Rows are drawn once (seeded) with the Dijon catalogue's services, its communes,
dates over a year, texts with names, e-mails and phone numbers in the columns the
charter leaves out, and positions: half over the Métropole at random, half within
about 90 m of one of the gazetteer's address points (so that both the street and its
grid fallback are exercised). Drawing them is not timed.

    .venv/bin/python bench/bench_charter.py
    .venv/bin/python bench/bench_charter.py --rows 200000 --repeat 1
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from common import banner, fresh_database, loadavg, log, ratio, reproduce, save_result, verdict, vigie_env
from sqlalchemy import text

from vigie.addresses.demo import load_demo_gazetteer
from vigie.addresses.nearest import street_points
from vigie.bootstrap import build_vigie
from vigie.catalogue.loader import load_catalogue
from vigie.city.profile import load_profile
from vigie.opendata.builtin import REPORT_COLUMNS
from vigie.opendata.charter import StreetPoints, apply_charter
from vigie.opendata.domain import Dataset, Rules, metadata_from_json
from vigie.opendata.files import LocalReleaseStore
from vigie.opendata.scanner import scan_file, usable_names
from vigie.runtime import Vigie
from vigie.settings import Settings

TARGET_S = 10.0
RULES = Rules(
    drop=("service_code",),
    location="grid",
    location_m=500,
    time={"requested_at": "month", "closed_at": "month"},
    quasi_identifiers=("service_group", "commune", "requested_at"),
    k=5,
    suppress_share=0.2,
)
STREET_RULES = replace(RULES, location="street")
FIRST = ["Camille", "Dominique", "Claude", "Alex", "Sacha", "Jean", "Marie", "Lucie", "Hugo", "Nora"]
LAST = ["Durand", "Martin", "Bernard", "Petit", "Moreau", "Lefèvre", "Garnier", "Roux", "Fournier", "Girard"]


def draw(n: int) -> tuple[pa.Table, list[str], frozenset[str]]:
    profile = load_profile("dijon")
    catalogue = load_catalogue(profile.catalogue_path, profile.zones.codes())
    services = list(catalogue.services.values())
    sensitive = frozenset(s.code for s in services if not s.public or s.agents_only)
    rng = np.random.default_rng(17)
    pick = rng.integers(0, len(services), n)
    codes = np.array([s.code for s in services], dtype=object)[pick]
    groups = np.array([s.group for s in services], dtype=object)[pick]
    communes = np.array(sorted(profile.zones.codes()), dtype=object)
    weights = np.ones(len(communes))
    weights[list(communes).index("21231")] = 16  # Dijon
    zone = communes[rng.choice(len(communes), n, p=weights / weights.sum())]
    start = np.datetime64("2025-01-01T00:00:00", "us").astype("int64")
    requested = start + rng.integers(0, 365 * 86_400_000_000, n)
    closed = requested + rng.integers(3_600_000_000, 30 * 86_400_000_000, n)
    closed_valid = rng.random(n) < 0.8
    names = [f"{f} {last}{i}" for i, (f, last) in enumerate((f, la) for la in LAST for f in FIRST)]
    names = (names * (5_000 // len(names) + 1))[:5_000]
    names = [f"{n} {i}" for i, n in enumerate(names)]  # 5,000 distinct full names
    who = rng.integers(0, len(names), n)
    name_col = np.array(names, dtype=object)[who]
    ts = pa.timestamp("us", tz="UTC")
    table = pa.table(
        {
            "service_code": pa.array(codes, pa.string()),
            "service_group": pa.array(groups, pa.string()),
            "status": pa.array(
                np.array(["new", "resolved", "in_progress"], dtype=object)[rng.integers(0, 3, n)]
            ),
            "commune": pa.array(zone, pa.string()),
            "channel": pa.array(np.array(["web", "phone", "open311"], dtype=object)[rng.integers(0, 3, n)]),
            "requested_at": pa.array(requested, pa.int64()).cast(ts),
            "closed_at": pa.array(closed, pa.int64(), mask=~closed_valid).cast(ts),
            "lat": pa.array(rng.uniform(47.25, 47.40, n)),
            "long": pa.array(rng.uniform(4.93, 5.16, n)),
            "description": pa.array(
                np.char.add("Signalé par ", name_col.astype(str)).astype(object), pa.string()
            ),
            "address": pa.array(np.array(["12 rue de la Liberté", "Place Darcy"], dtype=object)[who % 2]),
            "reporter_name": pa.array(name_col, pa.string()),
            "reporter_email": pa.array(
                np.char.add(who.astype(str), "@example.org").astype(object), pa.string()
            ),
            "reporter_phone": pa.array(np.array(["06 12 34 56 78"] * n, dtype=object), pa.string()),
        }
    )
    return table, usable_names(names), sensitive


def gazetteer() -> Vigie:
    url, data_dir = fresh_database("sqlite", "charter-streets")
    env = vigie_env(url, data_dir, 0)
    v = build_vigie(
        Settings(database_url=env["VIGIE_DATABASE_URL"], data_dir=data_dir, environment="development")
    )
    for line in load_demo_gazetteer(v):
        log(line)
    return v


def near_streets(table: pa.Table, v: Vigie) -> pa.Table:
    """Half the rows moved to within about 90 m of one of the gazetteer's address points."""
    with v.db.engine.connect() as conn:
        anchors = np.array(conn.execute(text("SELECT lat, lon FROM address_points")).all(), dtype=float)
    n = table.num_rows
    rng = np.random.default_rng(18)
    half = rng.random(n) < 0.5
    pick = anchors[rng.integers(0, len(anchors), n)]
    lat = np.where(half, pick[:, 0] + rng.uniform(-1, 1, n) * 0.0008, table["lat"].to_numpy())
    lon = np.where(half, pick[:, 1] + rng.uniform(-1, 1, n) * 0.0012, table["long"].to_numpy())
    table = table.set_column(table.column_names.index("lat"), "lat", pa.array(lat))
    return table.set_column(table.column_names.index("long"), "long", pa.array(lon))


def charter_run(
    table: pa.Table,
    dataset: Dataset,
    names: list[str],
    sensitive: frozenset[str],
    tmp: Path,
    streets: StreetPoints | None = None,
) -> dict[str, float]:
    parts: dict[str, float] = {}
    t = time.perf_counter()
    assert dataset.rules is not None
    out = apply_charter(table, dataset, dataset.rules, sensitive_services=sensitive, salt=1, streets=streets)
    parts["charter"] = time.perf_counter() - t
    assert not out.blocked, out.blocked
    t = time.perf_counter()
    store = LocalReleaseStore(tmp)
    store.put("bench/1.parquet", out.table)
    parts["write"] = time.perf_counter() - t
    t = time.perf_counter()
    findings = scan_file(store.local_path("bench/1.parquet"), names)
    parts["scan"] = time.perf_counter() - t
    assert not findings, findings
    parts["rows_out"] = out.table.num_rows
    parts["notes"] = " ".join(out.notes)  # type: ignore[assignment]
    parts["total"] = parts["charter"] + parts["write"] + parts["scan"]
    return parts


def floor_run(table: pa.Table, tmp: Path) -> float:
    t = time.perf_counter()
    path = tmp / "floor.parquet"
    pq.write_table(table, path, compression="zstd")
    pq.read_table(path)
    return time.perf_counter() - t


def loop_k_anonymity(table: pa.Table) -> float:
    t = time.perf_counter()
    month = pc.floor_temporal(table["requested_at"], unit="month")
    rows = zip(
        table["service_group"].to_pylist(), table["commune"].to_pylist(), month.to_pylist(), strict=True
    )
    counts = Counter(rows)
    _small = sum(c for c in counts.values() if c < 5)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of the charter's checks")
    args = parser.parse_args()
    t0 = time.perf_counter()
    table, names, sensitive = draw(args.rows)
    v = gazetteer()
    table = near_streets(table, v)
    log(f"{args.rows:,} rows drawn in {time.perf_counter() - t0:.1f} s (not timed)")
    meta = {
        "title_fr": "Banc d'essai",
        "description_fr": "Banc d'essai",
        "publisher": "Vigie",
        "contact_point": "opendata@example.org",
        "licence": "etalab-2.0",
    }
    dataset = Dataset("bench", metadata_from_json(meta), "reports", {}, REPORT_COLUMNS, "approved", RULES, 1)
    by_street = replace(dataset, rules=STREET_RULES)
    runs, street_runs = [], []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        # Alternated, so that a change of the machine's load weighs on both alike.
        for _ in range(args.repeat):
            runs.append(charter_run(table, dataset, names, sensitive, tmp))
            street_runs.append(
                charter_run(table, by_street, names, sensitive, tmp, streets=partial(street_points, v.db))
            )
        floor = floor_run(table, tmp)
    loop_k = loop_k_anonymity(table)
    totals = [r["total"] for r in runs]
    med = statistics.median(totals)
    best = min(runs, key=lambda r: r["total"])
    banner(f"Open data charter's checks, {args.rows:,} rows")
    print(
        f"charter's checks      median {med:.2f} s "
        f"(min {min(totals):.2f}, max {max(totals):.2f}, {args.repeat} runs); "
        f"fastest run: charter {best['charter']:.2f} s, Parquet write {best['write']:.2f} s, "
        f"personal data scan {best['scan']:.2f} s; {int(best['rows_out']):,} rows published"
    )
    s_totals = [r["total"] for r in street_runs]
    s_med = statistics.median(s_totals)
    s_best = min(street_runs, key=lambda r: r["total"])
    print(
        f"same, snapped to the street   median {s_med:.2f} s "
        f"(min {min(s_totals):.2f}, max {max(s_totals):.2f}); fastest run: charter {s_best['charter']:.2f} s "
        f"-> street rule / grid rule {ratio(s_med, med)}; {s_best['notes']}"
    )
    print(
        f"baseline: Parquet write + read, no check   {floor:.2f} s -> checks / baseline {ratio(med, floor)}"
    )
    print(
        f"baseline: k-anonymity count as a Python loop alone   {loop_k:.2f} s "
        f"(the whole charter takes {ratio(med, loop_k)} of it)"
    )
    print(
        f"target ≤ {TARGET_S:.0f} s: {verdict(max(totals + s_totals) <= TARGET_S)} "
        f"(judged on the slowest run of either rule, {max(totals + s_totals):.2f} s)"
    )
    print(f"load average: {loadavg()}")
    saved = save_result(
        "bench_charter",
        {"runs": runs, "street_runs": street_runs, "floor_s": floor, "loop_k_s": loop_k, "args": vars(args)},
    )
    print(f"reproduce: {reproduce('bench_charter.py')}")
    print(f"raw results: {saved.name}")


if __name__ == "__main__":
    main()
