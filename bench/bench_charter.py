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

Rows are drawn once (seeded) with the Dijon catalogue's services, its communes,
dates over a year, positions over the Métropole, texts with names, e-mails and
phone numbers in the columns the charter leaves out. Drawing them is not timed.

    .venv/bin/python bench/bench_charter.py
    .venv/bin/python bench/bench_charter.py --rows 200000 --repeat 1
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from common import banner, log, ratio, reproduce, save_result, verdict

from vigie.catalogue.loader import load_catalogue
from vigie.city.profile import load_profile
from vigie.opendata.builtin import REPORT_COLUMNS
from vigie.opendata.charter import apply_charter
from vigie.opendata.domain import Dataset, Rules, metadata_from_json
from vigie.opendata.files import LocalReleaseStore
from vigie.opendata.scanner import scan_file, usable_names

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


def charter_run(
    table: pa.Table, dataset: Dataset, names: list[str], sensitive: frozenset[str], tmp: Path
) -> dict[str, float]:
    parts: dict[str, float] = {}
    t = time.perf_counter()
    out = apply_charter(table, dataset, RULES, sensitive_services=sensitive, salt=1)
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
    log(f"{args.rows:,} rows drawn in {time.perf_counter() - t0:.1f} s (not timed)")
    meta = {
        "title_fr": "Banc d'essai",
        "description_fr": "Banc d'essai",
        "publisher": "Vigie",
        "contact_point": "opendata@example.org",
        "licence": "etalab-2.0",
    }
    dataset = Dataset("bench", metadata_from_json(meta), "reports", {}, REPORT_COLUMNS, "approved", RULES, 1)
    runs = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for _ in range(args.repeat):
            runs.append(charter_run(table, dataset, names, sensitive, tmp))
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
    print(
        f"baseline: Parquet write + read, no check   {floor:.2f} s -> checks / baseline {ratio(med, floor)}"
    )
    print(
        f"baseline: k-anonymity count as a Python loop alone   {loop_k:.2f} s "
        f"(the whole charter takes {ratio(med, loop_k)} of it)"
    )
    print(
        f"target ≤ {TARGET_S:.0f} s: {verdict(max(totals) <= TARGET_S)} "
        f"(judged on the slowest run, {max(totals):.2f} s)"
    )
    saved = save_result(
        "bench_charter", {"runs": runs, "floor_s": floor, "loop_k_s": loop_k, "args": vars(args)}
    )
    print(f"reproduce: {reproduce('bench_charter.py')}")
    print(f"raw results: {saved.name}")


if __name__ == "__main__":
    main()
