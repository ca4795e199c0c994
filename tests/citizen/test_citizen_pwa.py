"""The installable app: manifest, icons, service worker, address autocomplete, texts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from PIL import Image

from tests.citizen.helpers import pothole
from tests.reports.helpers import sensitive_service

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "vigie"


def test_manifest_makes_the_app_installable(client):
    r = client.get("/manifest.webmanifest")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/manifest+json")
    m = r.json()
    assert m["name"].startswith("Vigie") and m["short_name"] == "Vigie"
    assert m["start_url"] == "/" and m["scope"] == "/" and m["display"] == "standalone"
    assert m["lang"] == "fr" and m["theme_color"]
    pngs = {(i["sizes"], i["purpose"]) for i in m["icons"] if i["type"] == "image/png"}
    assert {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"), ("512x512", "maskable")} <= pngs
    for icon in m["icons"]:
        got = client.get(icon["src"])
        assert got.status_code == 200, icon
        if icon["type"] == "image/png":
            from io import BytesIO

            img = Image.open(BytesIO(got.content))
            assert f"{img.width}x{img.height}" == icon["sizes"]
            if icon["purpose"] == "maskable":
                # Maskable icons fill the whole square (launchers cut their own shape).
                assert img.convert("RGBA").getpixel((0, 0))[3] == 255
    assert client.get("/manifest.webmanifest?lang=en").json()["lang"] == "en"


def test_pages_link_the_manifest_and_the_icons(client):
    html = client.get("/").text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert "icons/icon-192.png" in html


def test_icons_are_drawn_from_the_design(tmp_path):
    from vigie.citizen.icons import write_icons

    written = write_icons(tmp_path)
    assert sorted(p.name for p in written) == sorted(
        p.name for p in (PACKAGE / "static" / "icons").glob("icon-*.png")
    )
    img = Image.open(tmp_path / "icon-512.png").convert("RGBA")
    assert img.getpixel((0, 0))[3] == 0  # rounded corner
    assert img.getpixel((256, 120))[:3] == (255, 255, 255)  # the pin's head
    assert img.getpixel((256, 216))[:3] == (20, 83, 45)  # its hole


def test_service_worker_is_served_at_the_root_with_its_app_shell(client):
    r = client.get("/sw.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["cache-control"] == "no-cache"
    # Served at /sw.js, its default scope is the whole site: no Service-Worker-Allowed needed.
    assert "service-worker-allowed" not in r.headers
    source = r.text
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", source).group(1))
    assert "/" in precache and "/hors-ligne" in precache
    for url in precache:
        assert client.get(url).status_code == 200, url
    assert 'if (request.method !== "GET") return;' in source  # reports (POST) are never cached
    assert "/api/v1/events/" in source  # live streams are never intercepted
    version = re.search(r'const VERSION = "(\w+)";', source).group(1)
    assert len(version) == 12


def test_address_autocomplete_suggests_known_public_addresses(client, vigie):
    for address in (
        "Place de la Libération, Dijon",
        "Place de la Libération, Dijon",
        "Rue de la Liberté, Dijon",
    ):
        assert client.post("/api/v1/reports", json=pothole(address=address)).status_code == 201
    code, attributes = sensitive_service(vigie)
    hidden = pothole(service_code=code, attributes=attributes, address="Rue Libérale Confidentielle, Dijon")
    assert client.post("/api/v1/reports", json=hidden).status_code == 201
    r = client.get("/api/v1/addresses", params={"q": "LIB"})
    assert r.status_code == 200
    found = r.json()
    assert [a["address"] for a in found] == ["Place de la Libération, Dijon", "Rue de la Liberté, Dijon"]
    assert found[0]["lat"] == 47.322 and found[0]["long"] == 5.0415
    assert client.get("/api/v1/addresses", params={"q": "l"}).json() == []
    assert client.get("/api/v1/addresses", params={"q": "%%"}).json() == []
    assert client.get("/api/v1/addresses", params={"q": "__"}).json() == []
    assert client.get("/api/v1/addresses").json() == []
    assert client.get("/api/v1/addresses", params={"q": "x" * 201}).status_code == 422


def test_address_autocomplete_returns_at_most_ten(client):
    for n in range(12):
        assert client.post("/api/v1/reports", json=pothole(address=f"{n} rue Test, Dijon")).status_code == 201
    assert len(client.get("/api/v1/addresses", params={"q": "rue test"}).json()) == 10


def _keys_used() -> set[str]:
    used: set[str] = set()
    for path in (PACKAGE / "citizen" / "templates").rglob("*.html"):
        used |= set(re.findall(r"""t\(\s*["'](citizen\.[a-z0-9_.]+)["']""", path.read_text(encoding="utf-8")))
    for path in (PACKAGE / "static" / "js" / "citizen").glob("*.js"):
        text = path.read_text(encoding="utf-8")
        used |= {
            "citizen." + k
            for k in re.findall(r"""\bt\(\s*["']((?:js|history|status)\.[a-z0-9_]+)["']""", text)
        }
        for k in re.findall(r"""C\.plural\(\s*["'](js\.[a-z0-9_]+)["']""", text):
            used |= {f"citizen.{k}_one", f"citizen.{k}_many"}
    return {k for k in used if not k.endswith(("_", "."))}  # prefixes of keys built at run time


def test_every_text_exists_in_french_and_english():
    fr = yaml.safe_load((PACKAGE / "citizen" / "locales" / "citizen.fr.yaml").read_text(encoding="utf-8"))
    en = yaml.safe_load((PACKAGE / "citizen" / "locales" / "citizen.en.yaml").read_text(encoding="utf-8"))
    assert set(fr) == set(en)
    assert all(k.startswith("citizen.") for k in fr)
    missing = _keys_used() - set(fr)
    assert not missing, missing
    for key in fr:
        assert set(re.findall(r"{(\w+)}", fr[key])) == set(re.findall(r"{(\w+)}", en[key])), key
    statuses = {
        "new",
        "acknowledged",
        "assigned",
        "in_progress",
        "resolved",
        "rejected",
        "duplicate",
        "reopened",
    }
    assert {f"citizen.status.{s}" for s in statuses} <= set(fr)
    assert {f"citizen.history.status_{s}" for s in statuses} <= set(fr)
