"""Long tasks while panning the maps, in Debian's Chromium (Playwright).

Target (issue 13 §3): the 34,000-light equipment map and the public map stay
smooth with the street-level layers. A long task (> 50 ms on the main thread,
PerformanceObserver "longtask") is a moment the page cannot answer a finger.

For each page and each map configuration, a fresh browser context opens the page
(desktop 1280x800, French), waits until its data is drawn, then the observer is
started and the map is dragged with the mouse --pans times (250 px, in 10 steps,
alternately left/right and up/down, at street level then at city level). Reported:
long tasks during the panning (count, total and longest in ms) and the wall time
of the panning. Configurations:

- bare: no basemap, no context layers (the maps as they were: the baseline);
- context: Divia's tram and bus lines and stops (the default Dijon demo);
- pmtiles: a PMTiles basemap drawn by protomaps-leaflet; the archive is made here
  from the communes (tests/maps/archive.py), so it is light next to a real
  OpenStreetMap extract: a lower bound of the vector basemap's cost.

The database holds the Dijon demo (34,000 lights, --reports reports). Medians of
--runs runs; ratios against "bare" measured in the same run.

    .venv/bin/python bench/bench_map_pan.py
    .venv/bin/python bench/bench_map_pan.py --runs 3 --pans 30
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from common import ROOT, banner, free_port, log, ratio, save_result

CHROMIUM = "/usr/bin/chromium"
# The shared real data: VIGIE_OPEN_DATA_DIR, else a shared/data above the repository.
SHARED = (
    next(
        (p / "shared" / "data" for p in ROOT.parents if (p / "shared" / "data" / "dijon").is_dir()),
        Path(os.environ.get("VIGIE_OPEN_DATA_DIR", "../shared/data")),
    )
    / "dijon"
)
if os.environ.get("VIGIE_OPEN_DATA_DIR"):
    SHARED = Path(os.environ["VIGIE_OPEN_DATA_DIR"]) / "dijon"
OBSERVE = """() => {
  window.__long = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long.push(e.duration); })
    .observe({ type: "longtask" });
}"""


def start_servers(reports: int) -> dict[str, str]:
    import uvicorn

    sys.path.insert(0, str(ROOT))
    from tests.maps.archive import COMMUNES, build_archive
    from vigie.app import create_app
    from vigie.bootstrap import build_vigie
    from vigie.demo import load_demo
    from vigie.migrate import upgrade
    from vigie.settings import Settings

    data = Path(tempfile.mkdtemp(prefix="vigie-bench-pan-"))
    communes = json.loads(COMMUNES.read_text(encoding="utf-8"))
    archive = build_archive(data / "communes.pmtiles", communes, range(8, 15))
    gtfs = SHARED / "divia_gtfs"
    if not (gtfs / "routes.txt").is_file():
        raise SystemExit(f"{gtfs} missing: set VIGIE_OPEN_DATA_DIR to the shared data directory")
    variants = {
        "bare": {},
        "context": {
            "transport_gtfs": str(gtfs),
            "transport_stops": ",".join(
                str(SHARED / "opendata" / f) for f in ("arrets-tram.geojson", "arrets_bus_divia.geojson")
            ),
        },
        "pmtiles": {"basemap": str(archive)},
    }
    base = {
        "environment": "development",
        "data_dir": data,
        "database_url": f"sqlite:///{data}/vigie.db",
        "anonymous_rate_limit": 0,
        "background_services": False,
    }
    upgrade(str(base["database_url"]))
    urls = {}
    for name, extra in variants.items():
        port = free_port()
        settings = Settings(**base, **extra, public_base_url=f"http://127.0.0.1:{port}")  # type: ignore[arg-type]
        v = build_vigie(settings)
        if name == "bare":
            log(f"loading the demo (34,000 lights, {reports} reports)…")
            load_demo(v, reports=reports)
        server = uvicorn.Server(
            uvicorn.Config(create_app(vigie=v), host="127.0.0.1", port=port, log_level="warning")
        )
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        urls[name] = f"http://127.0.0.1:{port}"
    return urls


def pan(page: Any, pans: int) -> float:
    box = page.locator(".leaflet-container").first.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    moves = [(250, 0), (-250, 0), (0, 200), (0, -200)]
    start = time.perf_counter()
    for i in range(pans):
        if i == pans // 2:
            page.evaluate("() => { Vigie.maps[0].setZoom(13, {animate: false}); }")
            page.wait_for_timeout(300)
        dx, dy = moves[i % 4]
        page.mouse.move(cx, cy)
        page.mouse.down()
        page.mouse.move(cx + dx, cy + dy, steps=10)
        page.mouse.up()
        page.wait_for_timeout(120)  # let the map draw what came into view
    return (time.perf_counter() - start) * 1000


def measure(browser: Any, url: str, path: str, pans: int) -> dict[str, float]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR", base_url=url)
    page = ctx.new_page()
    if path.startswith("/pilotage"):
        page.goto("/connexion")
        page.get_by_label("Adresse e-mail").fill("superviseur@demo.vigie.example")
        page.get_by_label("Mot de passe").fill("vigie-demo-2026")
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url("**/pilotage")
        page.goto(path)
        page.wait_for_function("() => window.Equipment && window.Equipment.ready === true", timeout=120_000)
    else:
        page.goto(path)
        page.wait_for_function("() => performance.getEntriesByName('vigie-ready').length > 0", timeout=60_000)
    page.wait_for_timeout(1500)  # layers fetched and drawn
    page.evaluate("() => { Vigie.maps[0].setView([47.3225, 5.0365], 16, {animate: false}); }")
    page.wait_for_timeout(800)
    page.evaluate(OBSERVE)
    wall = pan(page, pans)
    page.wait_for_timeout(300)
    tasks = page.evaluate("window.__long")
    ctx.close()
    return {"count": len(tasks), "total": sum(tasks), "max": max(tasks, default=0.0), "wall": wall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pans", type=int, default=24)
    ap.add_argument("--reports", type=int, default=2000)
    ap.add_argument(
        "--pages",
        default="/carte,/pilotage/equipements",
        help="comma-separated: /carte, /pilotage/equipements",
    )
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    banner("bench_map_pan: long tasks (> 50 ms) while panning the maps")
    urls = start_servers(args.reports)
    titles = {"/carte": "public map", "/pilotage/equipements": "equipment map (34k lights)"}
    pages = {p: titles[p] for p in args.pages.split(",") if p in titles}
    results: dict[str, Any] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        for path, title in pages.items():
            print(f"\n{title} ({path}): {args.pans} drags, median of {args.runs} runs")
            print(
                f"{'map':<10} {'long tasks':>10} {'total ms':>9} {'longest':>8}"
                f" {'pan wall ms':>12} {'total vs bare':>14}"
            )
            base_total = None
            for name, url in urls.items():
                runs = [measure(browser, url, path, args.pans) for _ in range(args.runs)]
                row = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                results[f"{path} {name}"] = {"median": row, "runs": runs}
                if base_total is None:
                    base_total = row["total"]
                print(
                    f"{name:<10} {row['count']:>10.0f} {row['total']:>9.0f} {row['max']:>8.0f}"
                    f" {row['wall']:>12.0f}"
                    f" {ratio(row['total'], base_total) if base_total else '—':>14}"
                )
        browser.close()
    save_result("map_pan", {"args": vars(args), "results": results})


if __name__ == "__main__":
    main()
