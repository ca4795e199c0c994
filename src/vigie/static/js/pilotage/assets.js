// Asset page: telemetry chart (uPlot) with its data table, period choice,
// status change, and a small map. The alarm panel is alarms.js.
(function () {
  "use strict";
  const P = window.Pilotage;
  const D = P.data;
  const $ = P.$;
  const asset = D.asset;
  const metrics = D.metrics || [];
  const COLOURS = ["#1d4ed8", "#c2410c"];
  const locale = D.lang === "en" ? "en-GB" : "fr-FR";
  const tz = D.timezone || "Europe/Paris";
  const RANGES = { "24h": 1, "7d": 7, "30d": 30 };
  const numberFormat = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
  const timeFormat = new Intl.DateTimeFormat(locale, { timeZone: tz, day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit" });
  const hourTick = new Intl.DateTimeFormat(locale, { timeZone: tz, hour: "2-digit", minute: "2-digit" });
  const dayTick = new Intl.DateTimeFormat(locale, { timeZone: tz, day: "numeric", month: "short" });
  const BOOLEAN = { online: true, fault: true, doorOpen: true };

  function scaleRange(m) {
    if (!m) return undefined;
    if (m.ratio) return function () { return [0, 100]; };
    if (BOOLEAN[m.name]) return function () { return [0, 1]; };
    return undefined;
  }
  function ticks(u, splits) {
    const span = (u.scales.x.max || 0) - (u.scales.x.min || 0);
    const fmt = span > 2 * 86400 ? dayTick : hourTick;
    return splits.map(function (ts) { return fmt.format(new Date(ts * 1000)); });
  }
  let chart = null;

  function values(series, m) {
    const col = (series.metrics || {})[m.name] || {};
    const raw = col.avg || col.last || [];
    return (series.t || []).map(function (_, i) {
      const x = raw[i];
      if (x == null || typeof x !== "number") return x === true ? 1 : x === false ? 0 : null;
      return m.ratio ? Math.round(x * 1000) / 10 : x;
    });
  }
  function show(x, m) {
    if (x == null) return "—";
    return numberFormat.format(x) + (m.unit ? "\u00a0" + m.unit : "");
  }

  function table(series) {
    const rows = [];
    const cols = metrics.map(function (m) { return values(series, m); });
    (series.t || []).forEach(function (t, i) {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = timeFormat.format(new Date(t * 1000));
      tr.appendChild(th);
      metrics.forEach(function (m, j) {
        const td = document.createElement("td");
        td.textContent = show(cols[j][i], m);
        tr.appendChild(td);
      });
      rows.push(tr);
    });
    rows.reverse();
    $("series-body").replaceChildren.apply($("series-body"), rows);
  }

  function draw(series) {
    const el = $("asset-chart");
    if (!el || !window.uPlot) return;
    const empty = !(series.t || []).length;
    $("chart-empty").hidden = !empty;
    const data = [series.t || []].concat(metrics.map(function (m) { return values(series, m); }));
    const right = metrics.filter(function (m) { return m.axis === "right"; })[0];
    const left = metrics.filter(function (m) { return m.axis !== "right"; })[0];
    const opts = {
      width: Math.max(280, el.clientWidth),
      height: 280,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), tz); },
      legend: { show: false },
      cursor: { drag: { x: true, y: false } },
      scales: { y: scaleRange(left) ? { range: scaleRange(left) } : {}, y2: scaleRange(right) ? { range: scaleRange(right) } : {} },
      series: [{}].concat(metrics.map(function (m, i) {
        return {
          label: m.label + (m.unit ? " (" + m.unit + ")" : ""),
          stroke: COLOURS[i % COLOURS.length],
          width: 2,
          scale: m.axis === "right" ? "y2" : "y",
          spanGaps: false,
          points: { show: false },
        };
      })),
      axes: [
        { values: ticks },
        { scale: "y", size: 56, label: left ? left.label + (left.unit ? " (" + left.unit + ")" : "") : "" },
      ].concat(right ? [{ scale: "y2", side: 1, size: 56, grid: { show: false }, label: right.label + (right.unit ? " (" + right.unit + ")" : "") }] : []),
    };
    if (chart) chart.destroy();
    el.replaceChildren();
    chart = new uPlot(opts, data, el);
  }

  draw(D.series || {});
  let resizeTimer = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(function () {
      if (chart) chart.setSize({ width: Math.max(280, $("asset-chart").clientWidth), height: 280 });
    }, 150);
  });

  const range = $("chart-range");
  if (range) {
    range.addEventListener("change", async function () {
      const days = RANGES[range.value] || 1;
      const end = new Date();
      const start = new Date(end.getTime() - days * 86400 * 1000);
      const params = new URLSearchParams({ start: start.toISOString(), end: end.toISOString() });
      if (metrics.length) params.set("metric", metrics.map(function (m) { return m.name; }).join(","));
      try {
        const series = await Vigie.api("/api/v1/telemetry/" + encodeURIComponent(asset.id) + "?" + params.toString());
        draw(series);
        table(series);
        const url = new URL(window.location.href);
        url.searchParams.set("periode", range.value);
        window.history.replaceState(null, "", url.toString());
        Vigie.announce(P.t("chart_updated", { n: (series.t || []).length }));
      } catch (err) {
        Vigie.announce(P.errorText(err));
      }
    });
    $("range-form").addEventListener("submit", function (e) { e.preventDefault(); });
  }

  // --- status ---------------------------------------------------------------------
  const statusForm = $("status-form");
  if (statusForm) {
    statusForm.addEventListener("submit", async function (e) {
      e.preventDefault();
      const status = $("status-select").value;
      const note = $("status-note").value;
      P.clearError($("status-error"));
      try {
        const updated = await P.busy(e.submitter, function () {
          return Vigie.api("/api/v1/assets/" + encodeURIComponent(asset.id) + "/status", { method: "POST", json: { status: status, note: note } });
        });
        const badge = $("asset-status");
        const text = P.label("asset_status", updated.status);
        badge.className = "badge badge--asset-" + updated.status;
        badge.textContent = text;
        if (updated.status !== asset.status) {
          const li = document.createElement("li");
          const head = document.createElement("p");
          head.className = "timeline__head";
          const strong = document.createElement("strong");
          strong.textContent = P.t("status_history", { from: P.label("asset_status", asset.status), to: text });
          head.appendChild(strong);
          li.appendChild(head);
          const when = document.createElement("p");
          when.className = "small";
          when.textContent = P.longDate(new Date().toISOString()) + " · " + D.agent.name;
          li.appendChild(when);
          if (note) { const n = document.createElement("p"); n.className = "note note--internal"; n.textContent = note; li.appendChild(n); }
          $("asset-history").prepend(li);
        }
        asset.status = updated.status;
        $("status-note").value = "";
        Vigie.announce(P.t("status_saved", { status: text }));
      } catch (err) {
        P.showError($("status-error"), err);
      }
    });
  }
  // --- map -----------------------------------------------------------------------------
  const mapEl = $("asset-map");
  if (mapEl && asset.lat != null) {
    Vigie.map(mapEl, { keepView: true, maxZoom: 19 }).then(function (map) {
      map.setView([asset.lat, asset.long], 17);
      P.pin([asset.lat, asset.long], "asset", asset.id).addTo(map);
    });
  }
})();
