// The control room's compliance map (/pilotage/eclairage): a commune's light points by their
// compliance with the national order, from /api/v1/lighting/compliance/points.geojson. Each
// status has its own shape as well as its colour (filled disc, thick ring, dotted circle), the
// legend is a set of checkboxes that show or hide each status, and the commune's counts are
// said in a status line: the map is never the only way to read them.
(function () {
  "use strict";
  const P = window.Pilotage;
  const $ = P.$;
  const card = $("compliance-map-card");
  const cfg = Vigie.data("compliance-map-data");
  if (!card || !cfg || !window.L) return;
  const STYLES = {
    compliant: { radius: 3.5, stroke: false, fill: true, fillColor: "#15803d", fillOpacity: 0.9 },
    non_compliant: { radius: 6, color: "#b91c1c", weight: 3, fill: true, fillColor: "#ffffff", fillOpacity: 1 },
    unknown: { radius: 5, color: "#4b5563", weight: 1.5, dashArray: "2 2", fill: false },
  };
  // Drawn in this order: the ones that matter most on top.
  const ORDER = ["compliant", "unknown", "non_compliant"];
  const rules = {};
  (cfg.labels.rules || []).forEach(function (r) { rules[r.id] = r.text; });
  const select = $("compliance-zone");
  const summary = $("compliance-map-summary");
  const boxes = Array.from(card.querySelectorAll("input[name=compliance-status]"));
  const layers = {};
  let map = null;
  let request = 0;

  function fill(text, vars) {
    Object.keys(vars).forEach(function (k) { text = text.split("{" + k + "}").join(String(vars[k])); });
    return text;
  }

  function tooltip(p) {
    const parts = [p.id, cfg.labels.status[p.status] || p.status];
    (p.broken || []).forEach(function (id) { parts.push(rules[id] || id); });
    if (p.missing && p.missing.length) parts.push(p.missing.join(", "));
    return parts.join(" — ");
  }

  function counts(zone) {
    if (!zone) return cfg.all;
    return cfg.zones.find(function (z) { return z.id === zone; }) || { compliant: 0, non_compliant: 0, unknown: 0 };
  }

  function say(zone) {
    const c = counts(zone);
    const name = zone ? select.options[select.selectedIndex].textContent : cfg.labels.all_zones;
    ORDER.forEach(function (s) {
      const el = card.querySelector("[data-count=" + s + "]");
      if (el) el.textContent = P.number(c[s] || 0);
    });
    summary.textContent = fill(cfg.labels.summary, {
      name: name,
      compliant: P.number(c.compliant || 0),
      non_compliant: P.number(c.non_compliant || 0),
      unknown: P.number(c.unknown || 0),
    });
  }

  function showChosen() {
    boxes.forEach(function (box) {
      const layer = layers[box.value];
      if (!layer) return;
      if (box.checked && !map.hasLayer(layer)) map.addLayer(layer);
      if (!box.checked && map.hasLayer(layer)) map.removeLayer(layer);
    });
    // Keep the drawing order whatever was toggled.
    ORDER.forEach(function (s) { if (layers[s] && map.hasLayer(layers[s])) layers[s].bringToFront(); });
  }

  async function load() {
    const zone = select.value;
    const mine = ++request;
    say(zone);
    card.setAttribute("aria-busy", "true");
    try {
      await ready;
      const params = new URLSearchParams({ status: "all" });
      if (zone) params.set("zone", zone);
      const data = await Vigie.api("/api/v1/lighting/compliance/points.geojson?" + params.toString());
      if (mine !== request) return; // a later choice won
      Object.keys(layers).forEach(function (s) { map.removeLayer(layers[s]); delete layers[s]; });
      const bounds = L.latLngBounds([]);
      ORDER.forEach(function (s) {
        layers[s] = L.geoJSON(data, {
          filter: function (f) { return f.properties.status === s; },
          pointToLayer: function (f, latlng) { bounds.extend(latlng); return L.circleMarker(latlng, STYLES[s]); },
          onEachFeature: function (f, layer) { layer.bindTooltip(tooltip(f.properties)); },
        });
      });
      showChosen();
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16], maxZoom: 17, animate: false });
    } catch (e) {
      summary.textContent = fill(cfg.labels.failed, { message: e.message || String(e) });
    } finally {
      if (mine === request) card.removeAttribute("aria-busy");
    }
  }

  // The controls answer at once; the points wait for the map.
  const ready = Vigie.map($("compliance-map"), { preferCanvas: true, maxZoom: 19, keepView: true }).then(function (m) { map = m; });
  select.addEventListener("change", load);
  boxes.forEach(function (box) { box.addEventListener("change", function () { if (map) showChosen(); }); });
  load();
})();
