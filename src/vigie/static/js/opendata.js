// Open data portal: the dataset page's map (Leaflet, through Vigie.map) and chart, the portal's KPI charts
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

  // The page's charts, for the browser tests (as Vigie.maps).
  Vigie.charts = [];
  function chartOf(plot) { Vigie.charts.push(plot); return plot; }

  function width(el) { return Math.max(280, el.clientWidth); }
  function epoch(iso) { return Date.parse(iso.length === 10 ? iso + "T00:00:00Z" : iso) / 1000; }
  function shorten(text) { return text.length > 16 ? text.slice(0, 15) + "…" : text; }

  // The last point of a monthly series still being counted (the month the release was built
  // in): its segment is dashed over a hatched background rather than drawn as a fall; the
  // page says so in words under the chart and in its table.
  function partialHook(el, colours) {
    return function (u) {
      const n = u.data[0].length;
      const ctx = u.ctx;
      const right = u.valToPos(u.data[0][n - 1], "x", true);
      const left = n > 1 ? u.valToPos(u.data[0][n - 2], "x", true) : right - 12 * devicePixelRatio;
      ctx.save();
      ctx.beginPath();
      ctx.rect(left, u.bbox.top, Math.max(right - left, 1), u.bbox.height);
      ctx.clip();
      ctx.fillStyle = "rgba(107, 114, 128, 0.08)";
      ctx.fillRect(left, u.bbox.top, right - left, u.bbox.height);
      ctx.strokeStyle = "rgba(75, 85, 99, 0.35)";
      ctx.lineWidth = devicePixelRatio;
      const step = 8 * devicePixelRatio;
      for (let x = left - u.bbox.height; x < right; x += step) {
        ctx.beginPath();
        ctx.moveTo(x, u.bbox.top + u.bbox.height);
        ctx.lineTo(x + u.bbox.height, u.bbox.top);
        ctx.stroke();
      }
      ctx.restore();
      ctx.save();
      ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
      ctx.lineWidth = 2 * devicePixelRatio;
      colours.forEach(function (colour, i) {
        const ys = u.data[i + 1];
        if (ys[n - 1] === null || ys[n - 1] === undefined) return;
        const y1 = u.valToPos(ys[n - 1], "y", true);
        ctx.strokeStyle = colour;
        ctx.beginPath();
        if (n > 1 && ys[n - 2] !== null && ys[n - 2] !== undefined) {
          ctx.moveTo(left, u.valToPos(ys[n - 2], "y", true));
          ctx.lineTo(right, y1);
          ctx.stroke();
        }
        ctx.beginPath();
        ctx.arc(right, y1, 3.5 * devicePixelRatio, 0, 2 * Math.PI);
        ctx.stroke();
      });
      ctx.restore();
      el.dataset.partialDrawn = "true"; // what the browser tests read: the canvas drew it
    };
  }

  // xLabel names the x series in the legend (uPlot's default is the English "Time"); a
  // monthly series is ticked at its own months, or uPlot's half-month splits repeat a label.
  // partial: the last point is a month still being counted (partialHook).
  function line(el, xs, series, format, xLabel, monthly, partial) {
    const when = function (ts) { return format.format(new Date(ts * 1000)); };
    const solid = uPlot.paths.linear();
    // The solid line stops at the last complete month; the hook draws the partial one.
    const paths = partial ? function (u, sidx, i0, i1) { return solid(u, sidx, i0, Math.max(i0, i1 - 1)); } : undefined;
    return chartOf(new uPlot({
      width: width(el),
      height: 260,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "UTC"); },
      legend: { show: series.length > 1 },
      cursor: { drag: { x: false, y: false } },
      series: [{ label: xLabel, value: function (u, ts) { return ts === null ? "–" : when(ts); } }].concat(series.map(function (s) {
        const opts = { label: s.label, stroke: s.colour, width: 2, points: { show: false } };
        if (paths) opts.paths = paths;
        return opts;
      })),
      hooks: partial ? { draw: [partialHook(el, series.map(function (s) { return s.colour; }))] } : {},
      axes: [
        monthly ? { splits: function () { return xs; }, values: function (u, splits) { return splits.map(when); } }
          // A tick every 90 px at least: "26 sept. 26" is some 70 px wide, and uPlot's default
          // 50 px wrote the labels of a few months over one another.
          : { space: 90, values: function (u, splits) { return splits.map(when); } },
        { size: 56 },
      ],
    }, [xs].concat(series.map(function (s) { return s.values; })), el));
  }

  function bars(el, names, values, colour, label) {
    return chartOf(new uPlot({
      width: width(el),
      height: 280,
      legend: { show: false },
      cursor: { show: false },
      // Room on the right for the last slanted label (it was cut off).
      padding: [12, 48, 0, 0],
      scales: {
        x: { time: false, range: function () { return [-0.6, names.length - 0.4]; } },
        y: { range: function (u, min, max) { return [0, Math.max(1, max * 1.1)]; } },
      },
      series: [{}, { label: label, stroke: colour, fill: colour, paths: uPlot.paths.bars({ size: [0.7, 60] }), points: { show: false } }],
      axes: [
        { splits: function () { return names.map(function (_, i) { return i; }); }, values: function (u, splits) { return splits.map(function (i) { return shorten(names[i] || ""); }); }, rotate: -30, size: 70 },
        { size: 56 },
      ],
    }, [names.map(function (_, i) { return i; }), values], el));
  }

  function charts() {
    if (!window.uPlot) return;
    const k = cfg.kpis;
    const perMonth = document.getElementById("kpi-per-month");
    if (k && perMonth && k.months.length) {
      line(perMonth, k.months.map(epoch), [
        { label: cfg.texts.received, colour: BLUE, values: k.received },
        { label: cfg.texts.handled, colour: GREEN, values: k.handled },
      ], monthFormat, cfg.texts.month, true, k.partial !== "" && k.months[k.months.length - 1] === k.partial);
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

  // Over the map every other page draws (Vigie.map: the city's own basemap, or its communes
  // and context layers), served by Vigie itself.
  async function map() {
    const el = document.getElementById("dataset-map");
    if (!el || !cfg.points || !window.L) return;
    const m = await Vigie.map(el, { preferCanvas: true, keepView: true });
    const renderer = L.canvas();
    const latlngs = [];
    cfg.points.points.forEach(function (p) {
      latlngs.push([p[0], p[1]]);
      // Not the bus lines' blue under them: a darker orange ringed in white.
      const marker = L.circleMarker([p[0], p[1]], { renderer: renderer, radius: 4, color: "#ffffff", weight: 1.5, fillColor: "#c2410c", fillOpacity: 0.9 });
      if (p[2]) marker.bindTooltip(p[2]);
      marker.addTo(m);
    });
    // A single feature (an OGC item) would otherwise zoom to the maps' unbounded maximum.
    if (latlngs.length) m.fitBounds(L.latLngBounds(latlngs), { padding: [16, 16], maxZoom: 17, animate: false });
  }

  function start() { charts(); map(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
