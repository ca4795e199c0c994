// Equipment map: one toggleable layer per asset type from /api/v1/assets.geojson,
// active alarms on top in red. Assets in service are drawn by their live state
// from /api/v1/assets/states (telemetry: ok, fault, offline, unknown), the others
// by their registry status. States come apart from the layers (telemetry never
// invalidates a layer): they are merged here, refreshed every 30 s and shortly
// after each alarm event. Each state has its own shape too (ring, size,
// hollow dot), not a colour alone; the legend and the counts table say it in words.
// Large layers (34,000 street lights) are drawn on a canvas (L.canvas +
// L.circleMarker, no DOM node per point) and built in slices of about 12 ms
// so that the page keeps answering while they load. Load times are kept in
// window.Equipment.timings for the browser tests and shown in the status line.
(function () {
  "use strict";
  const P = window.Pilotage;
  const D = P.data;
  const $ = P.$;
  const COLOURS = { in_service: "#15803d", out_of_service: "#374151", maintenance: "#b45309", planned: "#1d4ed8", removed: "#9ca3af" };
  // Live states of the assets in service: fill, ring and size differ, not the colour only.
  // The legend's swatches (.swatch--state-* in equipment.css) are drawn the same way.
  const STATES = {
    ok: { fillColor: "#15803d", fillOpacity: 0.85 },
    fault: { fillColor: "#ea580c", fillOpacity: 1, stroke: true, color: "#431407", weight: 2.5, grow: 2 },
    offline: { fillColor: "#ffffff", fillOpacity: 1, stroke: true, color: "#6d28d9", weight: 3, grow: 1 },
    unknown: { fillColor: "#e5e7eb", fillOpacity: 0.9, stroke: true, color: "#6b7280", weight: 1 },
  };
  const STATE_NAMES = Object.keys(STATES);
  const STATE_REFRESH_MS = 30000;
  const STATE_AFTER_ALARM_MS = [1500, 6500];  // the server recomputes states at most every 5 s
  const SLICE_MS = 12;
  const MAX_PINS = 500;
  const statuses = D.statuses || Object.keys(COLOURS);
  const E = (window.Equipment = {
    timings: {}, layers: {}, pending: {}, counts: {}, stateCounts: {}, alarms: new Map(),
    markers: new Map(), states: new Map(), statesLoaded: false,
  });
  E.visible = function (type) { return !!E.layers[type] && !E.layers[type].hidden; };
  const number = new Intl.NumberFormat(D.lang === "en" ? "en-GB" : "fr-FR");
  const seconds = new Intl.NumberFormat(D.lang === "en" ? "en-GB" : "fr-FR", { maximumFractionDigits: 2 });
  const clock = new Intl.DateTimeFormat(D.lang === "en" ? "en-GB" : "fr-FR", {
    timeZone: D.timezone || "Europe/Paris", hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
  let map = null;
  let renderer = null;
  let alarmLayer = null;
  const alarmMarkers = new Map();

  function label(kind, code) { return ((D.labels || {})[kind] || {})[code] || code || ""; }
  // Street lights are the small dots; the other types are larger, outlined in white.
  function radius(type) {
    const z = map ? map.getZoom() : 12;
    const base = z >= 16 ? 6 : z >= 14 ? 4 : 2.5;
    return type === "street_light" ? base : base + 1;
  }
  function yieldToBrowser() {
    return new Promise(function (resolve) {
      const channel = new MessageChannel();
      channel.port1.onmessage = function () { resolve(); };
      channel.port2.postMessage(null);
    });
  }
  // One canvas for every asset layer (a canvas above another would take its
  // clicks). While a layer is being built, each new dot is painted at once
  // instead of repainting the whole canvas on the next frame (O(n²) over a
  // 34,000-dot build). Dots of a hidden layer stay in memory but are neither
  // painted nor clickable, so showing the layer again costs one paint.
  const BuildingCanvas = L.Canvas.extend({
    _updateCircle: function (layer) {
      if (!layer._hiddenDot) L.Canvas.prototype._updateCircle.call(this, layer);
    },
    _requestRedraw: function (layer) {
      if (this._building) { this._missed = true; return; }
      L.Canvas.prototype._requestRedraw.call(this, layer);
    },
    startBuild: function () { this._building = (this._building || 0) + 1; },
    paintNew: function (layers) {
      if (!this._map || !this._ctx) return;
      this._drawing = true;
      for (let i = 0; i < layers.length; i++) layers[i]._updatePath();
      this._drawing = false;
    },
    endBuild: function (repaint) {
      this._building -= 1;
      if (!this._building && (this._missed || repaint) && this._map) {
        this._missed = false;
        this._redrawBounds = null;
        this._redraw();
      }
    },
  });
  function painted() {
    return new Promise(function (resolve) { requestAnimationFrame(function () { requestAnimationFrame(resolve); }); });
  }

  function popupFor(p, latlng) {
    const div = document.createElement("div");
    const a = document.createElement("a");
    a.href = "/pilotage/equipements/" + encodeURIComponent(p.id);
    a.className = "popup-title";
    a.textContent = p.name && p.name !== p.id ? p.id + " — " + p.name : p.id;
    div.appendChild(a);
    div.appendChild(document.createElement("br"));
    div.appendChild(document.createTextNode(label("asset_types", p.type) + (p.status ? " · " + label("asset_status", p.status) : "")));
    if (E.statesLoaded) {
      div.appendChild(document.createElement("br"));
      div.appendChild(document.createTextNode(P.t("state_popup", { state: label("asset_state", stateOf(p.id)) })));
    }
    const alarms = Array.from(E.alarms.values()).filter(function (x) { return x.asset_id === p.id && x.active; });
    alarms.forEach(function (x) {
      div.appendChild(document.createElement("br"));
      div.appendChild(document.createTextNode(P.t("in_alarm_popup", { title: label("rules", x.type) || x.title, severity: label("severity", x.severity) })));
    });
    return L.popup().setLatLng(latlng).setContent(div);
  }

  function setStatus(text) { $("map-status").textContent = text; }

  // --- look of a dot: live state when in service, registry status otherwise ------------
  function stateOf(id) { return E.states.get(id) || "ok"; }
  function shownState(p) { return p.status === "in_service" && E.statesLoaded ? stateOf(p.id) : null; }
  function look(p, type) {
    const outlined = type !== "street_light";
    const base = { stroke: outlined, color: "#ffffff", weight: 1, fillOpacity: 0.85, grow: 0 };
    const state = shownState(p);
    if (state) return Object.assign(base, STATES[state]);
    return Object.assign(base, { fillColor: COLOURS[p.status] || "#6b7280" });
  }
  function restyle(m, type) {
    const style = look(m.feature.properties, type);
    m._grow = style.grow;
    m.setStyle(style);
    m.setRadius(radius(type) + style.grow);
  }

  // --- asset layers ------------------------------------------------------------
  async function build(type) {
    const t0 = performance.now();
    const response = await fetch("/api/v1/assets.geojson?type=" + encodeURIComponent(type), { headers: { Accept: "application/geo+json" } });
    if (!response.ok) throw new Error(response.statusText);
    const data = await response.json();
    const t1 = performance.now();
    const group = L.featureGroup();
    group.on("click", function (e) { popupFor(e.layer.feature.properties, e.latlng).openOn(map); });
    group.addTo(map);
    const counts = {};
    const features = data.features;
    const r = radius(type);
    let i = 0;
    let longest = 0;
    renderer.startBuild();
    try {
      while (i < features.length) {
        const start = performance.now();
        const added = [];
        while (i < features.length && performance.now() - start < SLICE_MS) {
          const end = Math.min(i + 250, features.length);
          for (; i < end; i++) {
            const f = features[i];
            const p = f.properties;
            const c = f.geometry.coordinates;
            counts[p.status] = (counts[p.status] || 0) + 1;
            const style = look(p, type);
            const m = L.circleMarker([c[1], c[0]], Object.assign({ renderer: renderer, radius: r + style.grow }, style));
            m._grow = style.grow;
            m.feature = f;
            E.markers.set(p.id, { marker: m, type: type });
            group.addLayer(m);
            added.push(m);
          }
        }
        renderer.paintNew(added);
        longest = Math.max(longest, performance.now() - start);
        if (i < features.length) await yieldToBrowser();
      }
    } finally {
      renderer.endBuild();
    }
    await painted();
    const t2 = performance.now();
    E.layers[type] = { type: type, group: group, radius: r, hidden: false };
    resize(E.layers[type]);  // the map may have been zoomed meanwhile
    E.counts[type] = counts;
    countStates(type);
    E.timings[type] = {
      features: features.length, fetch_ms: Math.round(t1 - t0), build_ms: Math.round(t2 - t1),
      total_ms: Math.round(t2 - t0), longest_slice_ms: Math.round(longest), done: true,
    };
    return E.timings[type];
  }

  async function show(type, checkbox) {
    const known = E.layers[type];
    if (known) {
      const t0 = performance.now();
      setHidden(known, false);
      await painted();
      E.timings[type + ":again"] = { total_ms: Math.round(performance.now() - t0), done: true };
      return;
    }
    if (E.pending[type]) return;
    E.pending[type] = true;
    checkbox.setAttribute("aria-busy", "true");
    setStatus(P.t("layer_loading", { layer: label("asset_types", type) }));
    try {
      const t = await build(type);
      setStatus(P.t("layer_loaded", { layer: label("asset_types", type), n: number.format(t.features), s: seconds.format(t.total_ms / 1000) }));
    } catch (err) {
      setStatus(P.t("layer_error", { layer: label("asset_types", type) }));
      checkbox.checked = false;
    } finally {
      checkbox.removeAttribute("aria-busy");
      E.pending[type] = false;
    }
    if (E.layers[type] && !checkbox.checked) setHidden(E.layers[type], true);  // unticked while loading
    counts();
  }

  function setHidden(layer, hidden) {
    layer.hidden = hidden;
    const r = radius(layer.type);
    const resized = !hidden && layer.radius !== r;
    layer.radius = hidden ? layer.radius : r;
    renderer.startBuild();
    layer.group.eachLayer(function (m) {
      m._hiddenDot = hidden;
      m.options.interactive = !hidden;
      if (resized) m.setRadius(r + (m._grow || 0));
    });
    renderer.endBuild(true);
  }

  function resize(layer) {
    const r = radius(layer.type);
    if (layer.radius === r) return;
    layer.radius = r;
    renderer.startBuild();
    layer.group.eachLayer(function (m) { m.setRadius(r + (m._grow || 0)); });
    renderer.endBuild();
  }

  // --- counts: the layer list, the legend and the table -----------------------------
  // Assets in service per live state, for one layer (the table and the legend).
  function countStates(type) {
    const layer = E.layers[type];
    if (!layer) return;
    const c = {};
    STATE_NAMES.forEach(function (s) { c[s] = 0; });
    layer.group.eachLayer(function (m) {
      const s = shownState(m.feature.properties);
      if (s) c[s] += 1;
    });
    E.stateCounts[type] = E.statesLoaded ? c : null;
  }

  function counts() {
    const visible = {};
    const visibleStates = {};
    const alarmByType = {};
    E.alarms.forEach(function (a) { if (a.active) alarmByType[a.asset_type] = (alarmByType[a.asset_type] || 0) + 1; });
    document.querySelectorAll("#equipment-counts tbody tr").forEach(function (tr) {
      const type = tr.dataset.type;
      const c = E.counts[type];
      let total = 0;
      statuses.forEach(function (s) {
        const n = c ? c[s] || 0 : null;
        if (n != null) total += n;
        tr.querySelector('[data-status="' + s + '"]').textContent = n == null ? "—" : number.format(n);
        const box = $("layer-" + type);
        if (c && box && box.checked) visible[s] = (visible[s] || 0) + n;
      });
      const sc = E.stateCounts[type];
      STATE_NAMES.forEach(function (s) {
        const cell = tr.querySelector('[data-state="' + s + '"]');
        if (cell) cell.textContent = sc ? number.format(sc[s]) : "—";
        const box = $("layer-" + type);
        if (sc && box && box.checked) visibleStates[s] = (visibleStates[s] || 0) + sc[s];
      });
      tr.querySelector('[data-status="total"]').textContent = c ? number.format(total) : "—";
      tr.querySelector('[data-status="alarm"]').textContent = number.format(alarmByType[type] || 0);
      const count = $("layer-count-" + type);
      if (count) count.textContent = c ? "(" + number.format(total) + ")" : "";
    });
    document.querySelectorAll("#equipment-legend [data-status]").forEach(function (span) {
      const s = span.dataset.status;
      const n = s === "alarm" ? activeAlarms() : visible[s];
      span.textContent = n == null ? "" : "(" + number.format(n) + ")";
    });
    document.querySelectorAll("#equipment-legend .legend-count[data-state]").forEach(function (span) {
      const n = visibleStates[span.dataset.state];
      span.textContent = n == null ? "" : "(" + number.format(n) + ")";
    });
    $("layer-count-alarms").textContent = "(" + number.format(activeAlarms()) + ")";
  }
  let countsPending = false;
  function countsSoon() {
    if (countsPending) return;
    countsPending = true;
    requestAnimationFrame(function () { countsPending = false; counts(); });
  }
  function activeAlarms() {
    let n = 0;
    E.alarms.forEach(function (a) { if (a.active) n += 1; });
    return n;
  }

  // --- alarms overlay ----------------------------------------------------------------
  function drawAlarm(a) {
    const old = alarmMarkers.get(a.id);
    if (old) { alarmLayer.removeLayer(old); alarmMarkers.delete(a.id); }
    if (!a.active || a.lat == null || a.long == null) return;
    // Alarms are usually few: DOM pins above the canvas, reachable with the keyboard.
    // In a storm (a broker down: every light silent) the extra ones go on the canvas.
    const name = (label("rules", a.type) || a.title) + " — " + a.asset_id + " (" + label("severity", a.severity) + ")";
    const m = alarmMarkers.size < MAX_PINS
      ? P.pin([a.lat, a.long], "alarm" + (a.escalated ? " pin--escalated" : ""), name)
      : L.circleMarker([a.lat, a.long], { renderer: renderer, radius: 6, color: "#7f1d1d", weight: 2, fillColor: "#dc2626", fillOpacity: 0.95 });
    m.bindPopup(function () { return popupFor({ id: a.asset_id, type: a.asset_type }, m.getLatLng()).getContent(); });
    alarmMarkers.set(a.id, m);
    alarmLayer.addLayer(m);
  }
  async function loadAlarms() {
    E.alarms.clear();
    alarmMarkers.clear();
    alarmLayer.clearLayers();
    try {
      for (let page = 1; page <= 20; page++) {
        const res = await Vigie.api("/api/v1/alarms?state=active&page_size=500&page=" + page);
        res.items.forEach(function (a) { E.alarms.set(a.id, a); drawAlarm(a); });
        if (page * 500 >= res.total) break;
      }
    } catch (err) {
      setStatus(P.errorText(err));
    }
    counts();
  }
  document.addEventListener("vigie:alarm", function (e) {
    const a = e.detail.alarm;
    if (!alarmLayer) return;
    if (a.active) E.alarms.set(a.id, a); else E.alarms.delete(a.id);
    drawAlarm(a);
    countsSoon();
  });
  document.addEventListener("vigie:reconnect", function () { if (alarmLayer) loadAlarms(); });
  document.addEventListener("vigie:asset", function (e) {
    const asset = e.detail;
    const x = E.markers.get(asset.id);
    if (!x) return;
    const p = x.marker.feature.properties;
    if (p.status === asset.status) return;
    const c = E.counts[x.type];
    c[p.status] = (c[p.status] || 1) - 1;
    c[asset.status] = (c[asset.status] || 0) + 1;
    p.status = asset.status;
    restyle(x.marker, x.type);
    countStates(x.type);
    counts();
  });

  // --- live states ----------------------------------------------------------------------
  let statesSignature = null;
  let statesAsked = 0;
  async function loadStates() {
    const asked = ++statesAsked;
    let res;
    try {
      res = await Vigie.api("/api/v1/assets/states");
    } catch (err) {
      if (!E.statesLoaded) $("state-as-of").textContent = P.t("states_error");
      return false;
    }
    if (asked !== statesAsked) return false;  // a later request is on its way: its answer wins
    const signature = JSON.stringify(res.ids);
    const first = !E.statesLoaded;
    E.statesLoaded = true;
    E.statesAsOf = res.as_of;
    $("state-as-of").textContent = P.t("states_as_of", { time: clock.format(new Date(res.as_of)) });
    if (signature === statesSignature && !first) return true;
    statesSignature = signature;
    const next = new Map();
    Object.keys(res.ids).forEach(function (s) { res.ids[s].forEach(function (id) { next.set(id, s); }); });
    const changed = new Set();
    next.forEach(function (s, id) { if (E.states.get(id) !== s) changed.add(id); });
    E.states.forEach(function (s, id) { if (!next.has(id)) changed.add(id); });
    E.states = next;
    applyStates(first ? null : changed);
    return true;
  }
  // Restyles the dots whose state changed (all of them the first time), in one repaint.
  function applyStates(ids) {
    const types = new Set();
    renderer.startBuild();
    try {
      if (ids === null) {
        E.markers.forEach(function (x) { restyle(x.marker, x.type); types.add(x.type); });
      } else {
        ids.forEach(function (id) {
          const x = E.markers.get(id);
          if (x) { restyle(x.marker, x.type); types.add(x.type); }
        });
      }
    } finally {
      renderer.endBuild(true);
    }
    types.forEach(countStates);
    if (ids === null) Object.keys(E.layers).forEach(countStates);
    counts();
  }
  // Shortly after an alarm event, then once more past the server's 5 s cache; an alarm
  // storm (a broker down: every light silent) asks no more often than that.
  let statesSoon = false;
  function refreshStatesSoon() {
    if (statesSoon) return;
    statesSoon = true;
    window.setTimeout(loadStates, STATE_AFTER_ALARM_MS[0]);
    window.setTimeout(function () { statesSoon = false; loadStates(); }, STATE_AFTER_ALARM_MS[1]);
  }
  document.addEventListener("vigie:alarm", function () { if (renderer) refreshStatesSoon(); });
  document.addEventListener("vigie:reconnect", function () { if (renderer) loadStates(); });

  // --- start ---------------------------------------------------------------------------
  async function start() {
    map = await Vigie.map($("equipment-map"), { preferCanvas: true, maxZoom: 19 });
    E.map = map;
    renderer = new BuildingCanvas({ padding: 0.3, tolerance: 3 });
    alarmLayer = L.featureGroup();
    if ($("layer-alarms").checked) alarmLayer.addTo(map);
    map.on("zoomend", function () {
      Object.keys(E.layers).forEach(function (type) { if (!E.layers[type].hidden) resize(E.layers[type]); });
    });
    $("layer-list").addEventListener("change", function (e) {
      const box = e.target;
      const type = box.dataset.layer;
      if (type === "alarms") {
        if (box.checked) alarmLayer.addTo(map); else map.removeLayer(alarmLayer);
        return;
      }
      if (box.checked) show(type, box);
      else if (E.layers[type]) { setHidden(E.layers[type], true); counts(); }
    });
    await Promise.all([loadAlarms(), loadStates()]);
    window.setInterval(function () { if (!document.hidden) loadStates(); }, STATE_REFRESH_MS);
    const boxes = Array.from(document.querySelectorAll("#layer-list input[data-layer]")).filter(function (b) {
      return b.dataset.layer !== "alarms" && b.checked;
    });
    // The lights first (the others are drawn above them), then the small layers.
    for (const box of boxes) await show(box.dataset.layer, box);
    const lights = E.timings.street_light;
    let total = 0;
    Object.keys(E.layers).forEach(function (t) { total += E.timings[t].features; });
    if (lights) setStatus(P.t("layers_loaded", { n: number.format(total), s: seconds.format(lights.total_ms / 1000) }));
    E.ready = true;
    document.documentElement.dataset.equipmentReady = "true";
  }
  start();
})();
