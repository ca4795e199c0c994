// Shared helpers for Vigie pages (no inline scripts: the CSP forbids them).
(function () {
  "use strict";
  const Vigie = (window.Vigie = window.Vigie || {});

  Vigie.lang = document.documentElement.lang || "fr";
  // Dates are shown in the city's time zone (city.yaml), as the server writes them, whatever
  // the zone of the device that reads them.
  Vigie.timezone = document.documentElement.dataset.timezone || undefined;

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
      // A coded problem says it in the page's language (message); detail is the API's English.
      const error = new Error((body && (body.message || body.detail)) || response.statusText);
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
    return new Date(iso).toLocaleString(Vigie.lang === "fr" ? "fr-FR" : "en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: Vigie.timezone });
  };

  // A Leaflet map over the configured basemap (VIGIE_BASEMAP): the city's PMTiles archive
  // served by Vigie and drawn on a canvas, a raster tile server, or none: then the zones
  // (and the context layers) are the map, and nothing is asked of a third party.
  Vigie.maps = [];
  Vigie.map = async function (element, options) {
    const cfg = Vigie.data("map-config") || {};
    const basemap = cfg.basemap || { kind: "none" };
    const opts = Object.assign({ zoomControl: true, attributionControl: true }, options || {});
    if (opts.tabbable === false) opts.keyboard = false;
    const map = L.map(element, opts);
    if (opts.tabbable === false) untabbable(element);
    map.setView([cfg.lat || 47.322, cfg.long || 5.0415], cfg.zoom || 12);
    Vigie.maps.push(map); // the page's maps, for the browser tests and benchmarks
    let drawn = false;
    if (basemap.kind === "pmtiles") {
      drawn = await Vigie.pmtilesLayer(map, basemap);
    } else if (basemap.kind === "raster") {
      L.tileLayer(basemap.url, { maxZoom: 19, attribution: basemap.attribution || "" }).addTo(map);
      drawn = true;
    }
    if (!drawn) map.getContainer().classList.add("map--basemap");
    try {
      const zones = await fetch("/api/v1/zones").then(function (r) { return r.json(); });
      // The zones under the context layers, which are under everything else.
      map.createPane("vigie-zones").style.zIndex = 300;
      const layer = L.geoJSON(zones, {
        pane: "vigie-zones",
        style: drawn
          ? { color: "#14532d", weight: 1.5, fill: false }
          : { color: "#14532d", weight: 1.5, fillColor: "#dcfce7", fillOpacity: 0.55 },
        onEachFeature: function (feature, l) { l.bindTooltip(feature.properties.name, { sticky: true }); },
        interactive: !drawn,
      }).addTo(map);
      // Not animated: a zoom animation still running would end by moving the map back over a view
      // the user (or a script) set meanwhile.
      if (!options || !options.keepView) map.fitBounds(layer.getBounds(), { padding: [8, 8], animate: false });
    } catch (e) {
      /* offline without cached zones: the map still shows markers */
    }
    if (!drawn) Vigie.contextLayers(map, cfg.layers || []);
    return map;
  };

  // Keep a map out of the Tab order (phone intake: the keyboard has the address box and the
  // coordinates): its zoom buttons, credits and markers, now and as they are added.
  function untabbable(element) {
    function apply() {
      // Only what changes: rewriting the same value would be another mutation, endlessly.
      element.querySelectorAll("a[href], button, path.leaflet-interactive, [tabindex]").forEach(function (el) {
        if (el.getAttribute("tabindex") !== "-1") el.setAttribute("tabindex", "-1");
      });
    }
    // Leaflet gives focus to markers and to shapes with a tooltip once they are on the map.
    new MutationObserver(apply).observe(element, { subtree: true, childList: true, attributes: true, attributeFilter: ["tabindex"] });
    apply();
  }

  // Context layers (public transport…) under everything else, in canvas tiles of their own
  // (a pane that takes no clicks: a tap on the map still places the pin). A tile is drawn
  // once per zoom level and kept while panning, so a drag draws only the tiles it uncovers;
  // one canvas redrawn whole, every line and stop clipped again after each drag, doubled the
  // public map's long tasks (docs/benchmarks.md). Redrawing markers never redraws them.
  const LINE_STYLE = {
    tram: { color: "#6d28d9", weight: 4, opacity: 0.85 },
    bus: { color: "#1d4ed8", weight: 2, opacity: 0.45 },
  };
  const LABEL_ZOOM = 17;
  const TILE_PAD = 8; // pixels past a tile's edge: a line's width, a stop's radius

  // Made on first use: Leaflet is loaded only by the pages that have a map.
  let ContextTiles = null;
  const CONTEXT_TILES = {
    options: { pane: "vigie-context", updateWhenZooming: false, keepBuffer: 4, stopsZoom: 15 },
    initialize: function (options) {
      L.setOptions(this, options);
      this._lines = []; // { parts: [[[lat, lng]…]…], style }
      this._stops = []; // { latlng: [lat, lng], tram }
      this._zooms = {}; // zoom -> features projected in that level's pixels, once
    },
    setLines: function (data) {
      this._lines = data.features.map(function (f) {
        const g = f.geometry;
        const parts = g.type === "MultiLineString" ? g.coordinates : [g.coordinates];
        const base = LINE_STYLE[f.properties.kind] || LINE_STYLE.bus;
        return { parts: parts, style: Object.assign({}, base, f.properties.color ? { color: f.properties.color } : {}) };
      });
      this._zooms = {};
      this.redraw();
    },
    setStops: function (data, minZoom) {
      this.options.stopsZoom = minZoom;
      this._stops = data.features.map(function (f) {
        return { lnglat: f.geometry.coordinates, tram: f.properties.kind === "tram" };
      });
      this._zooms = {};
      this.redraw();
    },
    _at: function (z) {
      let found = this._zooms[z];
      if (found) return found;
      const map = this._map;
      function px(c) { return map.project([c[1], c[0]], z); }
      found = {
        lines: this._lines.map(function (l) {
          let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
          const parts = l.parts.map(function (coords) {
            const xy = new Float64Array(coords.length * 2);
            coords.forEach(function (c, i) {
              const p = px(c);
              xy[2 * i] = p.x; xy[2 * i + 1] = p.y;
              if (p.x < minX) minX = p.x; if (p.x > maxX) maxX = p.x;
              if (p.y < minY) minY = p.y; if (p.y > maxY) maxY = p.y;
            });
            return xy;
          });
          return { parts: parts, style: l.style, minX: minX, minY: minY, maxX: maxX, maxY: maxY };
        }),
        stops: this._stops.map(function (s) { const p = px(s.lnglat); return { x: p.x, y: p.y, tram: s.tram }; }),
      };
      this._zooms[z] = found;
      return found;
    },
    createTile: function (coords) {
      const size = this.getTileSize();
      const ratio = window.devicePixelRatio || 1;
      const tile = L.DomUtil.create("canvas", "leaflet-tile");
      tile.width = size.x * ratio;
      tile.height = size.y * ratio;
      const ctx = tile.getContext("2d");
      ctx.scale(ratio, ratio);
      ctx.lineJoin = "round";
      ctx.lineCap = "round";
      const x0 = coords.x * size.x - TILE_PAD, y0 = coords.y * size.y - TILE_PAD;
      const x1 = x0 + size.x + 2 * TILE_PAD, y1 = y0 + size.y + 2 * TILE_PAD;
      const ox = coords.x * size.x, oy = coords.y * size.y;
      const drawn = this._at(coords.z);
      drawn.lines.forEach(function (l) {
        if (l.maxX < x0 || l.minX > x1 || l.maxY < y0 || l.minY > y1) return;
        ctx.beginPath();
        l.parts.forEach(function (xy) {
          for (let i = 0; i < xy.length; i += 2) {
            if (i === 0) ctx.moveTo(xy[i] - ox, xy[i + 1] - oy);
            else ctx.lineTo(xy[i] - ox, xy[i + 1] - oy);
          }
        });
        ctx.globalAlpha = l.style.opacity;
        ctx.strokeStyle = l.style.color;
        ctx.lineWidth = l.style.weight;
        ctx.stroke();
      });
      if (coords.z >= this.options.stopsZoom) {
        ctx.globalAlpha = 1;
        ctx.lineWidth = 1.5;
        ctx.strokeStyle = "#ffffff";
        drawn.stops.forEach(function (s) {
          if (s.x < x0 || s.x > x1 || s.y < y0 || s.y > y1) return;
          ctx.beginPath();
          ctx.arc(s.x - ox, s.y - oy, s.tram ? 5 : 3.5, 0, 2 * Math.PI);
          ctx.fillStyle = s.tram ? LINE_STYLE.tram.color : LINE_STYLE.bus.color;
          ctx.fill();
          ctx.stroke();
        });
      }
      return tile;
    },
  };

  Vigie.contextLayers = function (map, layers) {
    if (!layers.length) return;
    if (!ContextTiles) ContextTiles = L.GridLayer.extend(CONTEXT_TILES);
    const pane = map.createPane("vigie-context");
    pane.style.zIndex = 350; // over the zones (300), under the overlay pane (400) of markers' vectors
    pane.style.pointerEvents = "none";
    const tiles = new ContextTiles().addTo(map);
    layers.forEach(function (spec) {
      if (spec.name === "addresses") { drawAddresses(map, spec); return; }
      fetch(spec.url)
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) return;
          if (spec.name === "transport-lines") {
            tiles.setLines(data);
            if (spec.attribution && map.attributionControl) map.attributionControl.addAttribution(spec.attribution);
          } else if (spec.name === "transport-stops") {
            tiles.setStops(data, spec.min_zoom || 15);
            stopNames(map, data);
          }
        })
        .catch(function () { /* offline: the map works without them */ });
    });
  };

  // House numbers at street level, asked for the view (a few hundred at most), dropped when zoomed out.
  function drawAddresses(map, spec) {
    const group = L.layerGroup();
    let seq = 0;
    function update() {
      const mine = (seq += 1);
      if (map.getZoom() < spec.min_zoom) { group.clearLayers(); group.remove(); return; }
      const b = map.getBounds().pad(0.2);
      const r = function (x) { return x.toFixed(3); }; // rounded: the same view is the same URL, cached
      const bbox = [r(b.getWest() - 0.0005), r(b.getSouth() - 0.0005), r(b.getEast() + 0.0005), r(b.getNorth() + 0.0005)].join(",");
      fetch(spec.url + "?bbox=" + bbox, { credentials: "omit" })
        .then(function (res) { return res.ok ? res.json() : null; })
        .then(function (data) {
          if (!data || mine !== seq) return;
          group.clearLayers();
          data.features.forEach(function (f) {
            const c = f.geometry.coordinates;
            group.addLayer(L.tooltip({ permanent: true, direction: "center", className: "map-label map-label--number", interactive: false })
              .setLatLng([c[1], c[0]]).setContent(Vigie.escape(f.properties.number)));
          });
          group.addTo(map);
        })
        .catch(function () { /* offline: no numbers */ });
    }
    map.on("moveend", update);
    update();
  }

  function stopNames(map, data) {
    // Names at street level only, and only for the stops in view: a few DOM labels, not a thousand.
    const labels = L.layerGroup();
    const features = data.features;
    function update() {
      const zoom = map.getZoom();
      labels.clearLayers();
      if (zoom < LABEL_ZOOM) { labels.remove(); return; }
      const bounds = map.getBounds().pad(0.1);
      const seen = new Set();
      features.forEach(function (f) {
        const c = f.geometry.coordinates;
        const latlng = L.latLng(c[1], c[0]);
        const name = f.properties.name;
        // Both directions' stops share a name: one label per name in view.
        if (!bounds.contains(latlng) || seen.has(name)) return;
        seen.add(name);
        const lines = f.properties.lines.length ? " · " + f.properties.lines.join(" ") : "";
        labels.addLayer(L.tooltip({ permanent: true, direction: "right", offset: [6, 0], className: "map-label", interactive: false })
          .setLatLng(latlng).setContent(Vigie.escape(name + lines)));
      });
      labels.addTo(map);
    }
    map.on("zoomend moveend", update);
    update();
  }

  // protomaps-leaflet (vendored) is loaded only on the pages of a city that has an archive.
  Vigie.pmtilesLayer = async function (map, basemap) {
    try {
      if (!window.protomapsL) await Vigie.script(basemap.script);
      window.protomapsL.leafletLayer({
        url: basemap.url,
        flavor: "light",
        lang: Vigie.lang,
        maxDataZoom: basemap.max_zoom,
        maxZoom: 19,
        attribution: basemap.attribution,
      }).addTo(map);
      return true;
    } catch (e) {
      return false; // the zones still make a map
    }
  };

  const scripts = {};
  Vigie.script = function (url) {
    if (!scripts[url]) {
      scripts[url] = new Promise(function (resolve, reject) {
        const el = document.createElement("script");
        el.src = url;
        el.onload = resolve;
        el.onerror = function () { delete scripts[url]; el.remove(); reject(new Error("cannot load " + url)); };
        document.head.appendChild(el);
      });
    }
    return scripts[url];
  };

  Vigie.escape = function (text) {
    const div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  };
})();
