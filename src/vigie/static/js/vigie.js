// Shared helpers for Vigie pages (no inline scripts: the CSP forbids them).
(function () {
  "use strict";
  const Vigie = (window.Vigie = window.Vigie || {});

  Vigie.lang = document.documentElement.lang || "fr";

  // Data passed by the server in <script type="application/json" id="...">.
  Vigie.data = function (id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  };

  Vigie.csrf = function () {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  };

  // fetch() that sends the CSRF token and turns problem+json errors into exceptions.
  Vigie.api = async function (url, options) {
    const opts = Object.assign({ headers: {} }, options || {});
    opts.headers = Object.assign({ Accept: "application/json", "Accept-Language": Vigie.lang }, opts.headers);
    if (opts.json !== undefined) {
      opts.body = JSON.stringify(opts.json);
      opts.headers["Content-Type"] = "application/json";
      delete opts.json;
    }
    if (opts.method && opts.method !== "GET") opts.headers["X-CSRF-Token"] = Vigie.csrf();
    const response = await fetch(url, opts);
    const type = response.headers.get("content-type") || "";
    const body = type.includes("json") ? await response.json() : await response.text();
    if (!response.ok) {
      const error = new Error((body && body.detail) || response.statusText);
      error.status = response.status;
      error.field = body && body.field;
      throw error;
    }
    return body;
  };

  // Polite announcement for screen readers.
  Vigie.announce = function (text) {
    const region = document.getElementById("live-region");
    if (!region) return;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  };

  // Server-Sent Events with automatic reconnection (EventSource does it natively).
  Vigie.stream = function (url, handlers) {
    const source = new EventSource(url);
    Object.keys(handlers).forEach(function (type) {
      source.addEventListener(type, function (event) { handlers[type](JSON.parse(event.data), event); });
    });
    return source;
  };

  Vigie.formatDate = function (iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleString(Vigie.lang === "fr" ? "fr-FR" : "en-GB", { dateStyle: "medium", timeStyle: "short" });
  };

  // A Leaflet map: tiles when configured, else a basemap drawn from the zones (works offline).
  Vigie.map = async function (element, options) {
    const cfg = Vigie.data("map-config") || {};
    const map = L.map(element, Object.assign({ zoomControl: true, attributionControl: true }, options || {}));
    map.setView([cfg.lat || 47.322, cfg.long || 5.0415], cfg.zoom || 12);
    if (cfg.tile_url) {
      L.tileLayer(cfg.tile_url, { maxZoom: 19, attribution: cfg.tile_attribution || "" }).addTo(map);
    } else {
      map.getContainer().classList.add("map--basemap");
    }
    try {
      const zones = await fetch("/api/v1/zones").then(function (r) { return r.json(); });
      const layer = L.geoJSON(zones, {
        style: { color: "#14532d", weight: 1.5, fillColor: "#dcfce7", fillOpacity: cfg.tile_url ? 0.05 : 0.55 },
        onEachFeature: function (feature, l) { l.bindTooltip(feature.properties.name, { sticky: true }); },
        interactive: !cfg.tile_url,
      }).addTo(map);
      if (!options || !options.keepView) map.fitBounds(layer.getBounds(), { padding: [8, 8] });
    } catch (e) {
      /* offline without cached zones: the map still shows markers */
    }
    return map;
  };

  Vigie.escape = function (text) {
    const div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  };
})();
