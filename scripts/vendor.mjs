// Copy the front-end libraries Vigie serves from node_modules into the package's
// static directory, so pages load them from Vigie itself (no CDN, works offline).
import { cpSync, mkdirSync, existsSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "src", "vigie", "static", "vendor");
const files = {
  "swagger-ui": ["swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui-dist/swagger-ui.css", "swagger-ui-dist/LICENSE"],
  leaflet: [
    "leaflet/dist/leaflet.js",
    "leaflet/dist/leaflet.css",
    "leaflet/LICENSE",
    "leaflet/dist/images/marker-icon.png",
    "leaflet/dist/images/marker-icon-2x.png",
    "leaflet/dist/images/marker-shadow.png",
    "leaflet/dist/images/layers.png",
    "leaflet/dist/images/layers-2x.png",
  ],
  "leaflet.markercluster": [
    "leaflet.markercluster/dist/leaflet.markercluster.js",
    "leaflet.markercluster/dist/MarkerCluster.css",
    "leaflet.markercluster/dist/MarkerCluster.Default.css",
    "leaflet.markercluster/MIT-LICENCE.txt",
  ],
  "protomaps-leaflet": ["protomaps-leaflet/dist/protomaps-leaflet.js", "protomaps-leaflet/LICENSE"],
  uplot: ["uplot/dist/uPlot.iife.min.js", "uplot/dist/uPlot.min.css", "uplot/LICENSE"],
};
// Start empty, so that a library dropped from the list stops being served.
rmSync(vendor, { recursive: true, force: true });
for (const [name, list] of Object.entries(files)) {
  const dest = join(vendor, name);
  mkdirSync(dest, { recursive: true });
  for (const rel of list) {
    const src = join(root, "node_modules", rel);
    if (!existsSync(src)) throw new Error(`missing ${src}: run npm ci`);
    // Leaflet's CSS refers to images/…: keep that layout.
    const sub = rel.includes("/images/") ? "images" : "";
    mkdirSync(join(dest, sub), { recursive: true });
    cpSync(src, join(dest, sub, rel.split("/").pop()));
  }
}
console.log(`vendored front-end assets into ${vendor}`);
