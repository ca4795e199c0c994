"""The records API part of ``bench_opendata_api.py``: the issue's mix, a cold mix, their baselines.

Records answers are kept per release and normalised query (``opendata/explore_records.py``),
so the issue's mix — six URLs in turn — is answered from memory after its first pass. The
benchmark therefore measures two runs on the same server:

- **cold**: the same three shapes (an equality ``where`` on one field ordered by date, limit
  100; a ``group_by`` count; a ``refine`` on a facet) with a field drawn at random, then one
  of its distinct values (categories and the generalised positions),
  offsets, directions and groupings varied: tens of thousands of distinct URLs, each thread
  of wrk walking its own share of a shuffled list, so no URL is asked twice in the run. The
  server's ``vigie_opendata_answers`` counter (``/metrics``) gives the hit rates, of whole
  answers and of the totals of full pages (a total is shared by the pages of one ``where``);
- **mix**: the issue's mix as specified, six URLs in turn (warm after their first answers).

Baselines in the same run: ``/livez`` at the same concurrency (what HTTP and one worker cost
for an answer that does nothing), and the floor (the mix's SQL by DuckDB in-process on the
Parquet file, count and page, one at a time).
"""

from __future__ import annotations

import random
import time
import urllib.parse
import urllib.request
from typing import Any

import duckdb
from common import (
    RESULTS,
    Server,
    banner,
    cpu_seconds,
    loadavg,
    log,
    lua_str,
    percentile,
    process_tree,
    ratio,
    rss_mb,
    run_wrk,
    verdict,
)

DATASET = "signalements"
RECORDS = f"/api/explore/v2.1/catalog/datasets/{DATASET}/records"
WHERE_FIELDS = ("service_group", "status", "commune", "channel", "lat", "long")
GROUP_FIELDS = ("service_group", "status", "commune", "channel", "year(requested_at)", "month(requested_at)")
FACETS = ("service_group", "status", "commune", "channel")


def record_queries(parquet: str) -> list[tuple[str, str]]:
    """The issue's mix: (records URL query, the same in DuckDB SQL)."""
    groups = [
        r[0]
        for r in duckdb.sql(
            f"SELECT DISTINCT service_group FROM read_parquet('{parquet}') ORDER BY 1 LIMIT 4"
        ).fetchall()
    ]  # noqa: S608
    out = []
    for g in groups:
        out.append(
            (
                f"where=service_group%3D%22{urllib.parse.quote(g)}%22&order_by=requested_at%20desc&limit=100",
                f"SELECT * FROM t WHERE service_group = '{g}' ORDER BY requested_at DESC LIMIT 100",  # noqa: S608
            )
        )
    out.append(
        (
            "select=service_group,count(*)%20as%20n&group_by=service_group&limit=100",
            "SELECT service_group, count(*) AS n FROM t GROUP BY service_group LIMIT 100",
        )
    )
    out.append(("refine=status:resolved&limit=100", "SELECT * FROM t WHERE status = 'resolved' LIMIT 100"))
    return out


def _literal(value: Any) -> str:
    return repr(value) if isinstance(value, float) else '"' + str(value).replace('"', '\\"') + '"'


def cold_paths(parquet: str, seed: int = 17) -> dict[str, list[str]]:
    """Distinct URLs of the three shapes, each value and its number of rows read from the release."""
    rng = random.Random(seed)
    values: dict[str, list[tuple[Any, int]]] = {}
    for f in WHERE_FIELDS:
        values[f] = [
            (v, n)
            for v, n in duckdb.sql(
                f"SELECT \"{f}\", count(*) FROM read_parquet('{parquet}') "  # noqa: S608 - our own names
                f'WHERE "{f}" IS NOT NULL GROUP BY 1'
            ).fetchall()
        ]
    q = urllib.parse.quote
    where: set[str] = set()
    pairs = [(f, v, n) for f in WHERE_FIELDS for v, n in values[f]]
    while len(where) < 40_000:
        # A field, then one of its values: positions (84 and more values each) would otherwise
        # make most of the where URLs.
        f = rng.choice(WHERE_FIELDS)
        v, n = rng.choice(values[f])
        offset = rng.randrange(0, max(1, min(n, 10_000) - 99))
        direction = rng.choice(("desc", "asc"))
        where.add(
            f"where={q(f'{f}={_literal(v)}')}&order_by={q('requested_at ' + direction)}"
            f"&limit=100&offset={offset}"
        )
    groups = {
        f"select={q(g + ',count(*) as n')}&group_by={q(g)}&where={q(f'{f}={_literal(v)}')}"
        f"&order_by={q(order)}&limit=100"
        for g in GROUP_FIELDS
        for f, v, _ in pairs
        if f != g
        for order in ("n desc", "n asc", g)
    }
    refine: set[str] = set()
    while len(refine) < 10_000:
        f = rng.choice(FACETS)
        v, n = rng.choice(values[f])
        offset = rng.randrange(0, max(1, min(n, 10_000) - 99))
        refine.add(f"refine={q(f'{f}:{v}')}&limit=100&offset={offset}")
    return {k: sorted(s) for k, s in (("where", where), ("group_by", groups), ("refine", refine))}


def cold_sequence(shapes: dict[str, list[str]], seed: int = 17) -> list[str]:
    """The mix's proportions (four where, one group_by, one refine), each URL once, shuffled."""
    rng = random.Random(seed)
    lists = {k: rng.sample(v, len(v)) for k, v in shapes.items()}
    out: list[str] = []
    while lists["group_by"] and len(lists["where"]) >= 4 and lists["refine"]:
        out += [lists["where"].pop() for _ in range(4)] + [lists["group_by"].pop(), lists["refine"].pop()]
    return [f"{RECORDS}?{p}" for p in out]


def answers_counted(server: Server) -> dict[tuple[str, str], float]:
    """The server's ``vigie_opendata_answers`` counter, by (part, result)."""
    with urllib.request.urlopen(f"{server.base}/metrics", timeout=30) as r:  # noqa: S310 - our server
        text = r.read().decode()
    out: dict[tuple[str, str], float] = {}
    for line in text.splitlines():
        if line.startswith("vigie_opendata_answers_total{"):
            labels, value = line[len("vigie_opendata_answers_total{") :].split("} ")
            found = dict(part.split("=") for part in labels.split(","))
            out[(found["part"].strip('"'), found["result"].strip('"'))] = float(value)
    return out


def _rates(before: dict[tuple[str, str], float], after: dict[tuple[str, str], float]) -> dict[str, Any]:
    def delta(part: str, result: str) -> float:
        return after.get((part, result), 0.0) - before.get((part, result), 0.0)

    out: dict[str, Any] = {}
    for part in ("answer", "total"):
        kept, computed = delta(part, "kept"), delta(part, "computed")
        out[part] = {"kept": kept, "computed": computed, "hit_rate": kept / (kept + computed or 1)}
    return out


def _shape(path: str) -> str:
    if "group_by=" in path:
        return "group_by"
    if path.startswith(f"{RECORDS}?refine="):
        return "refine"
    offset = int(path.rsplit("offset=", 1)[1])
    # DuckDB sorts every matching row rather than keeping a top-N past 5,000 rows (its optimizer).
    return "where, offset + limit ≤ 5,000" if offset + 100 <= 5000 else "where, offset + limit > 5,000"


def cold_one_at_a_time(server: Server, paths: list[str], each: int = 15) -> dict[str, list[float]]:
    """Cold URLs not asked before, one at a time: what each shape costs the server alone."""
    out: dict[str, list[float]] = {}
    for path in paths:
        times = out.setdefault(_shape(path), [])
        if len(times) >= each:
            continue
        t = time.perf_counter()
        with urllib.request.urlopen(server.base + path, timeout=60) as r:  # noqa: S310 - our server
            r.read()
        times.append((time.perf_counter() - t) * 1000)
    for name, times in sorted(out.items()):
        log(
            f"cold, one at a time, {name}: p50 {percentile(times, 50):.1f} ms, "
            f"p95 {percentile(times, 95):.1f} ms ({len(times)} URLs; load {loadavg()})"
        )
    return out


def wrk_with_cpu(server: Server, lua: str, duration: float, name: str) -> dict[str, Any]:
    """wrk at concurrency 8, and the server's CPU time per answered request (steadier than
    throughput on shared cores)."""
    pids = process_tree(server.pid)
    before = sum(cpu_seconds(p) for p in pids)
    res = run_wrk(server.base, lua, connections=8, threads=2, duration=duration, name=name)
    res["cpu_ms_per_request"] = (sum(cpu_seconds(p) for p in pids) - before) * 1000 / max(1, res["requests"])
    return res


def _log_run(name: str, res: dict[str, Any]) -> None:
    lat = res["latency_us"]
    log(
        f"{name}: {res['rps']:.0f} req/s, p50 {lat['p50'] / 1000:.1f} ms, p95 {lat['p95'] / 1000:.1f} ms, "
        f"p99 {lat['p99'] / 1000:.1f} ms, non-2xx {res['non_2xx']}, server CPU "
        f"{res['cpu_ms_per_request']:.2f} ms a request (load {loadavg()})"
    )


def part_records(server: Server, info: dict[str, Any], duration: float) -> dict[str, Any]:
    banner("Records API: p95 at concurrency 8 on the release (where + order, group_by, refine)")
    queries = record_queries(info["parquet"])
    # Floor: the same SQL by DuckDB in-process on the file (a count and the page, as the API runs).
    floor: list[float] = []
    for _ in range(3):
        for _, sql in queries:
            con = duckdb.connect()
            con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet('{info['parquet']}')")  # noqa: S608
            t = time.perf_counter()
            con.sql(f"SELECT count(*) FROM ({sql.split(' LIMIT')[0]})").fetchall()  # noqa: S608
            con.sql(sql).fetchall()
            floor.append((time.perf_counter() - t) * 1000)
            con.close()
    paths = [f"{RECORDS}?{q}" for q, _ in queries]

    def get(path: str) -> float:
        t = time.perf_counter()
        with urllib.request.urlopen(server.base + path, timeout=60) as r:  # noqa: S310 - our server
            assert r.status == 200
            r.read()
        return (time.perf_counter() - t) * 1000

    load_ms = get(f"{RECORDS}?limit=1&offset=1")  # loads the release (its own cost)
    # With several workers, each loads its own copy: a short run of one kept answer reaches them all
    # (wrk's connections are spread over the workers), so that no loading falls in a measured run.
    warm = f"request = function() return wrk.format('GET', {lua_str(f'{RECORDS}?limit=1&offset=1')}) end\n"
    run_wrk(server.base, warm, connections=8, threads=2, duration=3, name="records-warm")
    livez = wrk_with_cpu(
        server, "request = function() return wrk.format('GET', '/livez') end\n", duration, "records-livez"
    )
    _log_run("baseline /livez", livez)

    # Cold: each thread walks its own share of the shuffled distinct URLs, from the file.
    sequence = cold_sequence(cold_paths(info["parquet"]))
    listing = RESULTS / "run" / "records-cold.txt"
    listing.parent.mkdir(parents=True, exist_ok=True)
    listing.write_text("\n".join(sequence) + "\n", encoding="utf-8")
    lua = (
        f"local paths = {{}}\nfor line in io.lines({lua_str(str(listing))}) do paths[#paths + 1] = line end\n"
    )
    lua += "local i = 0\nrequest = function()\n  local n = i * 2 + (tid or 1) - 1\n  i = i + 1\n"
    lua += "  return wrk.format('GET', paths[(n % #paths) + 1])\nend\n"
    before = answers_counted(server)
    cold = wrk_with_cpu(server, lua, duration, "records-cold")
    cold_rates = _rates(before, answers_counted(server))
    _log_run(f"cold mix ({len(sequence):,} distinct URLs)", cold)
    a, t = cold_rates["answer"], cold_rates["total"]
    log(
        f"cold mix: answers kept {a['hit_rate']:.1%} ({a['kept']:.0f} of {a['kept'] + a['computed']:.0f}); "
        f"totals of full pages kept {t['hit_rate']:.1%} ({t['kept']:.0f} of {t['kept'] + t['computed']:.0f}) "
        f"— target p95 ≤ 50 ms {verdict(cold['latency_us']['p95'] / 1000 <= 50)}"
    )
    assert cold["non_2xx"] == 0, f"cold mix: {cold['non_2xx']} answers were not 2xx"

    shapes = cold_one_at_a_time(server, sequence[-600:])

    # The mix: each query's first answer (computed), then wrk on the six URLs in turn.
    first = [get(p) for p in paths]
    log("the mix's first answers: " + ", ".join(f"{c:.0f}" for c in first) + " ms")
    lua = "local paths = {" + ", ".join(lua_str(p) for p in paths) + "}\nlocal i = 0\n"
    lua += "request = function()\n  i = i + 1\n  return wrk.format('GET', paths[(i % #paths) + 1])\nend\n"
    before = answers_counted(server)
    res = wrk_with_cpu(server, lua, duration, "records")
    mix_rates = _rates(before, answers_counted(server))
    p95 = res["latency_us"]["p95"] / 1000
    _log_run("the issue's mix", res)
    log(
        f"the issue's mix: answers kept {mix_rates['answer']['hit_rate']:.1%} — target p95 ≤ 50 ms "
        f"{verdict(p95 <= 50)}; p95 {ratio(p95, livez['latency_us']['p95'] / 1000)} /livez's"
    )
    assert res["non_2xx"] == 0, f"records API: {res['non_2xx']} answers were not 2xx"
    fp95 = percentile(floor, 95)
    log(
        f"floor, DuckDB in-process one at a time: p50 {percentile(floor, 50):.1f} ms, p95 {fp95:.1f} ms "
        f"(mix p95 {ratio(p95, fp95)} the floor's; cold p95 "
        f"{ratio(cold['latency_us']['p95'] / 1000, fp95)})"
    )
    rss = sum(rss_mb(p)[0] for p in process_tree(server.pid))
    log(f"server RSS after the runs: {rss:.0f} MB (every process of the server, release(s) loaded)")
    return {
        "rss_mb": rss,
        "wrk": res,
        "p95_ms": p95,
        "mix_rates": mix_rates,
        "cold": cold,
        "cold_p95_ms": cold["latency_us"]["p95"] / 1000,
        "cold_rates": cold_rates,
        "cold_urls": len(sequence),
        "cold_one_at_a_time_ms": shapes,
        "livez": livez,
        "floor_ms": floor,
        "load_ms": load_ms,
        "first_ms": first,
    }
