// Open data portal: the dataset page's map (Leaflet) and chart, the portal's KPI charts
// (uPlot). Every chart has its data in a table next to it, rendered by the server.
(function () {
  "use strict";
  const node = document.getElementById("opendata-config");
  if (!node) return;
  const cfg = JSON.parse(node.textContent);
  const BLUE = "#1d4ed8";
  const GREEN = "#15803d";
  const locale = cfg.lang === "en" ? "en-GB" : "fr-FR";
  const monthFormat = new Intl.DateTimeFormat(locale, { timeZone: "UTC", month: "short", year: "2-digit" });
  const dayFormat = new Intl.DateTimeFormat(locale, { timeZone: "UTC", day: "numeric", month: "short", year: "2-digit" });

  function width(el) { return Math.max(280, el.clientWidth); }
  function epoch(iso) { return Date.parse(iso.length === 10 ? iso + "T00:00:00Z" : iso) / 1000; }
  function shorten(text) { return text.length > 16 ? text.slice(0, 15) + "…" : text; }

  // xLabel names the x series in the legend (uPlot's default is the English "Time"); a
  // monthly series is ticked at its own months, or uPlot's half-month splits repeat a label.
  function line(el, xs, series, format, xLabel, monthly) {
    const when = function (ts) { return format.format(new Date(ts * 1000)); };
    return new uPlot({
      width: width(el),
      height: 260,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "UTC"); },
      legend: { show: series.length > 1 },
      cursor: { drag: { x: false, y: false } },
      series: [{ label: xLabel, value: function (u, ts) { return ts === null ? "–" : when(ts); } }].concat(series.map(function (s) {
        return { label: s.label, stroke: s.colour, width: 2, points: { show: false } };
      })),
      axes: [
        monthly ? { splits: function () { return xs; }, values: function (u, splits) { return splits.map(when); } }
          : { values: function (u, splits) { return splits.map(when); } },
        { size: 56 },
      ],
    }, [xs].concat(series.map(function (s) { return s.values; })), el);
  }

  function bars(el, names, values, colour, label) {
    return new uPlot({
      width: width(el),
      height: 280,
      legend: { show: false },
      cursor: { show: false },
      scales: {
        x: { time: false, range: function () { return [-0.6, names.length - 0.4]; } },
        y: { range: function (u, min, max) { return [0, Math.max(1, max * 1.1)]; } },
      },
      series: [{}, { label: label, stroke: colour, fill: colour, paths: uPlot.paths.bars({ size: [0.7, 60] }), points: { show: false } }],
      axes: [
        { splits: function () { return names.map(function (_, i) { return i; }); }, values: function (u, splits) { return splits.map(function (i) { return shorten(names[i] || ""); }); }, rotate: -30, size: 70 },
        { size: 56 },
      ],
    }, [names.map(function (_, i) { return i; }), values], el);
  }

  function charts() {
    if (!window.uPlot) return;
    const k = cfg.kpis;
    const perMonth = document.getElementById("kpi-per-month");
    if (k && perMonth && k.months.length) {
      line(perMonth, k.months.map(epoch), [
        { label: cfg.texts.received, colour: BLUE, values: k.received },
        { label: cfg.texts.handled, colour: GREEN, values: k.handled },
      ], monthFormat, cfg.texts.month, true);
    }
    const delays = document.getElementById("kpi-delays");
    if (k && delays && k.delays.length) {
      bars(delays, k.delays.map(function (d) { return d[0]; }), k.delays.map(function (d) { return d[1]; }), BLUE, cfg.texts.days);
    }
    const c = cfg.chart;
    const el = document.getElementById("dataset-chart");
    if (c && el) {
      if (c.kind === "line") {
        const keep = c.x.map(function (x, i) { return x !== null ? i : -1; }).filter(function (i) { return i >= 0; });
        line(el, keep.map(function (i) { return epoch(c.x[i]); }), [{ label: c.y_column, colour: BLUE, values: keep.map(function (i) { return c.y[i]; }) }], dayFormat, c.x_column, false);
      } else {
        bars(el, c.x, c.y, BLUE, c.x_column);
      }
    }
  }

  function map() {
    const el = document.getElementById("dataset-map");
    if (!el || !cfg.points || !window.L) return;
    const m = L.map(el, { preferCanvas: true, attributionControl: true });
    const renderer = L.canvas();
    const latlngs = [];
    cfg.points.points.forEach(function (p) {
      latlngs.push([p[0], p[1]]);
      const marker = L.circleMarker([p[0], p[1]], { renderer: renderer, radius: 3, color: BLUE, weight: 1, fillOpacity: 0.6 });
      if (p[2]) marker.bindTooltip(p[2]);
      marker.addTo(m);
    });
    if (latlngs.length) m.fitBounds(L.latLngBounds(latlngs), { padding: [16, 16], animate: false });
  }

  function start() { charts(); map(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
