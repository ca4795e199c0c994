"""Weight and speed of the residents' pages, first visit, in Debian's Chromium (Playwright).

Targets (issue: residents' app): the home page transfers ≤ 350 KB on first load (map
tiles excluded) and is usable in ≤ 1 s.

For each page, every run uses a fresh browser context (empty cache, phone viewport
390x844, French): the page is opened and measured with the Performance API, which
the browser fills for the page's own requests:

- transferred: transferSize of the document and of every resource until the load
  event, or until "ready" when it comes later (the map's markers): encoded bodies +
  headers, what travels on the network;
- decoded: decodedBodySize (the same files once decompressed);
- DOMContentLoaded, load, and "ready": the `vigie-ready` mark that the page script
  sets once the form answers (home) or the markers are drawn (map);
- afterwards, what the service worker downloads when it installs the app shell
  (Playwright's request sizes of the worker's requests), and, for the home page,
  what showing the map step adds (Leaflet and the communes' outlines, loaded only then).

Profiles: "local" (127.0.0.1, no throttling) and "4g" (Chrome DevTools network
emulation: 9 Mbit/s down, 1.5 Mbit/s up, 60 ms latency, 4x CPU slowdown).
The database holds the Dijon demo (--reports, default 2,000) so the map and the
address list have realistic sizes. Medians over --runs runs.

    .venv/bin/python bench/bench_pages.py
    .venv/bin/python bench/bench_pages.py --runs 9 --reports 500 --profiles local
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from common import banner, free_port, log, save_result

CHROMIUM = "/usr/bin/chromium"
PROFILES: dict[str, dict[str, Any]] = {
    "local": {},
    "4g": {"latency": 60, "down": 9_000_000 / 8, "up": 1_500_000 / 8, "cpu": 4},
}
HOME_BUDGET_KB = 350
HOME_READY_MS = 1000

PERF = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const ready = performance.getEntriesByName("vigie-ready")[0];
  const end = Math.max(nav.loadEventEnd, ready ? ready.startTime : 0);
  const res = performance.getEntriesByType("resource").filter((r) => r.startTime <= end);
  const all = [nav, ...res];
  return {
    transferred: all.reduce((n, r) => n + r.transferSize, 0),
    decoded: all.reduce((n, r) => n + r.decodedBodySize, 0),
    requests: all.length,
    files: all.map((r) => [new URL(r.name).pathname, r.transferSize, r.decodedBodySize]),
    dcl: nav.domContentLoadedEventEnd,
    load: nav.loadEventEnd,
    ready: ready ? ready.startTime : null,
  };
}"""


def start_server(reports: int) -> tuple[Any, str, str]:
    import uvicorn

    from vigie.app import create_app
    from vigie.bootstrap import build_vigie
    from vigie.citizen.web import router
    from vigie.demo import load_demo
    from vigie.migrate import upgrade
    from vigie.settings import Settings

    data = Path(tempfile.mkdtemp(prefix="vigie-bench-pages-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(
        environment="development",
        data_dir=data,
        database_url=f"sqlite:///{data}/vigie.db",
        public_base_url=url,
        anonymous_rate_limit=0,
        background_services=False,
    )
    upgrade(settings.database_url)
    v = build_vigie(settings)
    log(f"loading the demo ({reports} reports)…")
    load_demo(v, reports=reports)
    from sqlalchemy import select

    from vigie.reports.storage import ReportRow

    with v.db.session() as s:
        token = s.scalar(select(ReportRow.token).where(ReportRow.public.is_(True)).limit(1)) or "none"
    app = create_app(vigie=v)
    if not any(getattr(r, "path", "") == "/sw.js" for r in app.routes):
        app.include_router(router)  # until app.py includes the residents' app
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, url, token


def measure(browser: Any, url: str, path: str, profile: str, home: bool) -> dict[str, Any]:
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="fr-FR",
        base_url=url,
    )
    worker_bytes = [0]
    network_bytes = [0]  # everything that came from the network, for the page or its worker

    def finished(request: Any) -> None:
        sizes = request.sizes()
        size = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        if request.service_worker is not None:
            worker_bytes[0] += size
            network_bytes[0] += size
        else:
            response = request.response()
            if response is not None and not response.from_service_worker:
                network_bytes[0] += size

    ctx.on("requestfinished", finished)
    page = ctx.new_page()
    p = PROFILES[profile]
    if p:
        cdp = ctx.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": p["latency"],
                "downloadThroughput": p["down"],
                "uploadThroughput": p["up"],
            },
        )
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": p["cpu"]})
    page.goto(path, wait_until="load")
    if path == "/carte":
        page.wait_for_function("() => performance.getEntriesByName('vigie-ready').length > 0", timeout=30_000)
    out: dict[str, Any] = page.evaluate(PERF)
    # What the service worker keeps for offline use, once it has installed.
    page.evaluate("async () => { if (navigator.serviceWorker) await navigator.serviceWorker.ready; }")
    page.wait_for_timeout(300)
    out["worker"] = worker_bytes[0]
    if home:
        before = network_bytes[0]
        page.get_by_label("Rechercher une catégorie").fill("nid de poule")
        page.get_by_role("button", name="Nid-de-poule", exact=True).click()
        page.wait_for_selector("#location-map .leaflet-overlay-pane path", timeout=30_000)
        page.wait_for_timeout(300)
        out["map_step"] = network_bytes[0] - before
    ctx.close()
    return out


def kb(n: float) -> str:
    return f"{n / 1024:.1f} KB"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--reports", type=int, default=2000)
    ap.add_argument("--profiles", default="local,4g")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    banner("bench_pages: residents' pages, first visit (weight and time)")
    server, url, token = start_server(args.reports)
    pages = {"/": "home", "/carte": "map", "/mes-signalements": "my reports", f"/suivi/{token}": "tracking"}
    results: dict[str, Any] = {}
    failed = False
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        for profile in args.profiles.split(","):
            print(f"\nprofile {profile}: median of {args.runs} first visits (fresh context each)")
            print(
                f"{'page':<12} {'transferred':>12} {'decoded':>11} {'req':>4} {'DCL':>8} {'ready':>8}"
                f" {'load':>8} {'+worker':>10} {'+map step':>10}"
            )
            for path, name in pages.items():
                runs = [measure(browser, url, path, profile, path == "/") for _ in range(args.runs)]

                def med(key: str, runs: list[dict[str, Any]] = runs) -> float:
                    values = [r[key] for r in runs if r.get(key) is not None]
                    return float(statistics.median(values)) if values else float("nan")

                row = {
                    k: med(k)
                    for k in (
                        "transferred",
                        "decoded",
                        "requests",
                        "dcl",
                        "ready",
                        "load",
                        "worker",
                        "map_step",
                    )
                }
                row["files"] = runs[-1]["files"]
                results[f"{profile}:{name}"] = row
                ready = "-" if row["ready"] != row["ready"] else f"{row['ready']:.0f}ms"  # NaN: no mark
                print(
                    f"{name:<12} {kb(row['transferred']):>12} {kb(row['decoded']):>11}"
                    f" {row['requests']:>4.0f} {row['dcl']:>6.0f}ms {ready:>8} {row['load']:>6.0f}ms"
                    f" {kb(row['worker']):>10} {kb(row['map_step']) if path == '/' else '':>10}"
                )
                if path == "/":
                    ok_weight = row["transferred"] <= HOME_BUDGET_KB * 1024
                    ok_time = row["ready"] <= HOME_READY_MS
                    failed |= not (ok_weight and ok_time)
                    print(
                        f"{'':<12} home target: ≤ {HOME_BUDGET_KB} KB {'OK' if ok_weight else 'MISSED'},"
                        f" usable ≤ {HOME_READY_MS} ms {'OK' if ok_time else 'MISSED'}"
                    )
        browser.close()
    home = results.get("local:home", {})
    print("\nhome page files (last local run: path, transferred, decoded bytes):")
    for path, transferred, decoded in home.get("files", []):
        print(f"  {path:<48} {transferred:>8} {decoded:>8}")
    saved = save_result("bench_pages", {"runs": args.runs, "reports": args.reports, "results": results})
    print(f"\nsaved {saved}")
    server.should_exit = True
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
