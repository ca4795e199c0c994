// Traffic regulation page: map of junctions and road events, a detector's counts
// beside its usual profile (uPlot, with the data table), road events declared and ended.
(function () {
  "use strict";
  const P = window.Pilotage;
  const $ = function (id) { return document.getElementById(id); };
  const RED = "#b91c1c", GREY = "#475569", ORANGE = "#c2410c", BLUE = "#1d4ed8";
  const error = $("event-error");
  let map = null;
  let eventsLayer = null;
  let drawn = [];
  let draft = null;

  async function loadEvents() {
    if (!map) return;
    const geo = await Vigie.api("/api/v1/traffic/events.geojson");
    if (eventsLayer) map.removeLayer(eventsLayer);
    eventsLayer = L.geoJSON(geo, {
      style: function () { return { color: ORANGE, weight: 6, opacity: 0.85 }; },
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, { radius: 8, color: ORANGE }); },
      onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.title); },
    }).addTo(map);
  }

  async function startMap() {
    const el = $("traffic-map");
    if (!el || !window.L) return;
    map = await Vigie.map(el, { maxZoom: 19 });
    (P.data.controllers || []).forEach(function (c) {
      if (c.lat == null) return;
      const bad = c.fault || (c.mode && c.mode !== "normal");
      L.circleMarker([c.lat, c.long], { radius: bad ? 7 : 4, color: bad ? RED : GREY, fillOpacity: 0.8, keyboard: false })
        .bindTooltip(c.id + " — " + c.name).addTo(map);
    });
    if (P.data.can_manage) {
      map.on("click", function (e) {
        const box = $("ev-coords");
        if (!box) return;
        $("event-form-box").open = true;
        const line = e.latlng.lng.toFixed(6) + ", " + e.latlng.lat.toFixed(6);
        box.value = (box.value.trim() ? box.value.trim() + "\n" : "") + line;
        drawn.push([e.latlng.lat, e.latlng.lng]);
        if (draft) map.removeLayer(draft);
        draft = L.polyline(drawn, { color: BLUE, dashArray: "4 4" }).addTo(map);
        Vigie.announce(P.t("point_added", { n: drawn.length }));
      });
    }
    await loadEvents();
  }

  // --- a detector's counts ------------------------------------------------------------
  let chart = null;
  const FLOW_REFRESH_MS = 60000;
  const time = new Intl.DateTimeFormat(P.data.lang === "en" ? "en-GB" : "fr-FR", { timeZone: P.data.timezone, hour: "2-digit", minute: "2-digit" });
  const pct = new Intl.NumberFormat(P.data.lang === "en" ? "en-GB" : "fr-FR", { style: "percent", maximumFractionDigits: 0 });

  async function loadFlow() {
    const pick = $("detector-pick");
    if (!pick || !pick.value) return;
    const flow = await Vigie.api("/api/v1/traffic/detectors/" + encodeURIComponent(pick.value) + "/flow");
    const occ = (flow.series.metrics.occupancy || {}).avg || [];
    const measured = {};
    (flow.series.t || []).forEach(function (t, i) { measured[t] = occ[i]; });
    const xs = flow.usual.map(function (u) { return u.t; });
    const today = xs.map(function (t) { return measured[t] == null ? null : measured[t]; });
    const usual = flow.usual.map(function (u) { return u.occupancy; });
    const rows = xs.map(function (t, i) {
      return "<tr><th scope=\"row\">" + time.format(new Date(t * 1000)) + "</th><td>" +
        (today[i] == null ? "—" : pct.format(today[i])) + "</td><td>" + (usual[i] == null ? "—" : pct.format(usual[i])) + "</td></tr>";
    });
    $("flow-table").tBodies[0].innerHTML = rows.join("");
    const el = $("flow-chart");
    if (!window.uPlot || !el) return;
    if (chart) chart.destroy();
    chart = new uPlot({
      width: Math.max(280, el.clientWidth), height: 240, legend: { show: true },
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), P.data.timezone); },
      scales: { y: { range: [0, 1] } },
      series: [{}, { label: P.t("occupancy"), stroke: RED, width: 2 }, { label: P.t("usual"), stroke: GREY, dash: [6, 4], width: 2 }],
      axes: [{}, { values: function (u, vals) { return vals.map(function (v) { return pct.format(v); }); } }],
    }, [xs, today, usual], el);
  }

  // --- road events ----------------------------------------------------------------
  function coordinates(text) {
    const pts = text.split(/\n+/).map(function (l) { return l.trim(); }).filter(Boolean).map(function (l) {
      const p = l.split(/[\s,;]+/).map(Number);
      return p.length === 2 && p.every(function (x) { return isFinite(x); }) ? p : null;
    });
    if (!pts.length || pts.some(function (p) { return p === null; })) return null;
    return pts.length === 1 ? { type: "Point", coordinates: pts[0] } : { type: "LineString", coordinates: pts };
  }

  function isoLocal(value) { return value ? new Date(value).toISOString() : ""; }

  const form = $("event-form");
  if (form) {
    form.addEventListener("submit", async function (e) {
      e.preventDefault();
      P.clearError(error);
      const geometry = coordinates($("ev-coords").value);
      if (!geometry) { P.showError(error, new Error(P.t("bad_coords"))); $("ev-coords").focus(); return; }
      try {
        await Vigie.api("/api/v1/traffic/events", { method: "POST", json: {
          kind: $("ev-kind").value, title: $("ev-title").value, restriction: $("ev-restriction").value,
          starts_at: isoLocal($("ev-start").value), ends_at: isoLocal($("ev-end").value), geometry: geometry,
        } });
        P.flash(P.t("saved"));
        window.location.reload();
      } catch (err) { P.showError(error, err); }
    });
  }
  document.addEventListener("click", async function (e) {
    const b = e.target.closest("[data-end-event]");
    if (!b) return;
    await P.busy(b, async function () {
      await Vigie.api("/api/v1/traffic/events/" + b.dataset.endEvent + "/end", { method: "POST" });
      P.flash(P.t("ended"));
      window.location.reload();
    });
  });

  P.shortcuts({
    d: function () { const box = $("event-form-box"); if (box) { box.open = true; $("ev-kind").focus(); } },
    f: function () { $("detector-pick").focus(); },
  });
  const pick = $("detector-pick");
  if (pick) pick.addEventListener("change", loadFlow);
  P.live({ "traffic.event": function () { loadEvents(); } });
  const flash = P.takeFlash();
  if (flash) Vigie.announce(flash);
  P.localiseTimes(document);
  startMap();
  loadFlow();
  // Detectors count every few minutes: the chart follows them while the page is in view.
  window.setInterval(function () { if (!document.hidden) loadFlow(); }, FLOW_REFRESH_MS);
})();
