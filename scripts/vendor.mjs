// Copy the front-end libraries Vigie serves from node_modules into the package's
// static directory, so pages load them from Vigie itself (no CDN, works offline).
import { cpSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "src", "vigie", "static", "vendor");
const files = {
  "swagger-ui": ["swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui-dist/swagger-ui.css", "swagger-ui-dist/LICENSE"],
};
for (const [name, list] of Object.entries(files)) {
  const dest = join(vendor, name);
  mkdirSync(dest, { recursive: true });
  for (const rel of list) {
    const src = join(root, "node_modules", rel);
    if (!existsSync(src)) throw new Error(`missing ${src}: run npm ci`);
    cpSync(src, join(dest, rel.split("/").pop()));
  }
}
console.log(`vendored front-end assets into ${vendor}`);
