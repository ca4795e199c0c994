// Supervisor dashboard charts (uPlot). Every chart has a data table in a
// <details> next to it, rendered by the server.
(function () {
  "use strict";
  const P = window.Pilotage;
  const stats = P.data.stats;
  if (!stats || !window.uPlot) return;
  const BLUE = "#1d4ed8";
  const COUNTS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];
  const GREEN = "#15803d";
  const charts = [];
  const dayFormat = new Intl.DateTimeFormat(P.data.lang === "en" ? "en-GB" : "fr-FR", { timeZone: "UTC", day: "numeric", month: "short" });

  function width(el) { return Math.max(280, el.clientWidth); }

  function legend(el, series) {
    const ul = document.createElement("ul");
    ul.className = "chart-legend";
    ul.setAttribute("aria-hidden", "true");
    series.forEach(function (s) {
      const li = document.createElement("li");
      const sw = document.createElement("span");
      sw.className = "swatch " + s[1];
      li.appendChild(sw);
      li.appendChild(document.createTextNode(" " + s[0]));
      ul.appendChild(li);
    });
    el.parentNode.insertBefore(ul, el.nextSibling);
  }

  function perDay() {
    const el = document.getElementById("chart-per-day");
    if (!el) return;
    const xs = stats.per_day.map(function (d) { return Date.parse(d.date + "T00:00:00Z") / 1000; });
    const data = [xs, stats.per_day.map(function (d) { return d.created; }), stats.per_day.map(function (d) { return d.resolved; })];
    const chart = new uPlot({
      width: width(el),
      height: 260,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "UTC"); },
      legend: { show: false },
      cursor: { show: true, drag: { x: false, y: false } },
      scales: { y: { range: function (u, min, max) { return [0, Math.max(4, Math.ceil(max * 1.1))]; } } },
      series: [
        {},
        { label: P.t("chart_created"), stroke: BLUE, width: 2, fill: "rgba(29,78,216,0.08)", points: { show: false } },
        { label: P.t("chart_resolved"), stroke: GREEN, width: 2, points: { show: false } },
      ],
      axes: [
        { values: function (u, splits) { return splits.map(function (ts) { return dayFormat.format(new Date(ts * 1000)); }); } },
        { size: 48, incrs: COUNTS },
      ],
    }, data, el);
    legend(el, [[P.t("chart_created"), "swatch--created"], [P.t("chart_resolved"), "swatch--resolved-series"]]);
    charts.push([chart, el]);
  }

  function shorten(text) { return text.length > 18 ? text.slice(0, 17) + "…" : text; }

  function bars(id, rows, colour) {
    const el = document.getElementById(id);
    if (!el || !rows.length) return;
    const names = rows.map(function (r) { return r.name; });
    const data = [rows.map(function (_, i) { return i; }), rows.map(function (r) { return r.count; })];
    const chart = new uPlot({
      width: width(el),
      height: 300,
      legend: { show: false },
      cursor: { show: false },
      scales: {
        x: { time: false, range: function () { return [-0.6, rows.length - 0.4]; } },
        y: { range: function (u, min, max) { return [0, Math.max(4, Math.ceil(max * 1.1))]; } },
      },
      series: [
        {},
        { label: P.t("chart_open"), stroke: colour, fill: colour, paths: uPlot.paths.bars({ size: [0.7, 60] }), points: { show: false } },
      ],
      axes: [
        {
          splits: function () { return data[0]; },
          values: function (u, splits) { return splits.map(function (i) { return shorten(names[i] || ""); }); },
          rotate: -45,
          size: 110,
          gap: 4,
        },
        { size: 48, incrs: COUNTS },
      ],
    }, data, el);
    charts.push([chart, el]);
  }

  perDay();
  bars("chart-by-group", stats.open_by_group, BLUE);
  bars("chart-by-zone", stats.open_by_zone, "#7c3aed");

  let timer = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      charts.forEach(function (c) { c[0].setSize({ width: width(c[1]), height: c[0].height }); });
    }, 150);
  });
})();
