// Lighting pages (control room and residents): the fleet's energy by year with the
// targets as dashed lines, and the LED share by year (uPlot). The data tables next
// to the charts are rendered by the server; the charts are images for screen readers
// (role="img" with a summary) and their legends are hidden from them.
(function () {
  "use strict";
  const node = document.getElementById("lighting-data");
  if (!node || !window.uPlot) return;
  const data = JSON.parse(node.textContent);
  const tr = data.trajectory || [];
  if (!tr.length) return;
  const BLUE = "#1d4ed8";
  const GREEN = "#15803d";
  const TARGETS = ["#b91c1c", "#7c2d12"];
  const DASHES = [[6, 4], [3, 3]];
  const charts = [];
  const locale = data.lang === "en" ? "en-GB" : "fr-FR";
  const fmt = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const fmt1 = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });

  function width(el) { return Math.max(280, el.clientWidth); }

  function legend(el, items) {
    const ul = document.createElement("ul");
    ul.className = "lighting-legend";
    ul.setAttribute("aria-hidden", "true");
    items.forEach(function (item) {
      const li = document.createElement("li");
      const sw = document.createElement("span");
      sw.className = "swatch " + item[1];
      li.appendChild(sw);
      li.appendChild(document.createTextNode(" " + item[0]));
      ul.appendChild(li);
    });
    el.parentNode.insertBefore(ul, el.nextSibling);
  }

  function energy() {
    const el = document.getElementById("chart-lighting-energy");
    if (!el) return;
    const targets = (data.targets || []).filter(function (t) { return t.target_kwh !== null; });
    const last = Math.max(tr[tr.length - 1].year, ...targets.map(function (t) { return t.year; }));
    const years = [];
    for (let y = tr[0].year; y <= last; y++) years.push(y);
    const byYear = {};
    tr.forEach(function (t) { byYear[t.year] = t.kwh / 1000; });
    const series = [years, years.map(function (y) { return y in byYear ? byYear[y] : null; })];
    const opts = [{}, { label: data.labels.energy, stroke: BLUE, width: 2, fill: "rgba(29,78,216,0.08)", points: { show: true, size: 5 } }];
    const items = [[data.labels.energy, "swatch--energy"]];
    targets.forEach(function (t, i) {
      // From the reference year's energy straight down to the target in its year.
      const ref = t.reference_kwh / 1000, aim = t.target_kwh / 1000;
      series.push(years.map(function (y) {
        if (y < t.reference_year || y > t.year) return null;
        return ref + (aim - ref) * (y - t.reference_year) / Math.max(1, t.year - t.reference_year);
      }));
      opts.push({ label: t.name, stroke: TARGETS[i % 2], width: 2, dash: DASHES[i % 2], points: { show: false } });
      items.push([t.name, "swatch--target-" + (i % 2)]);
    });
    const chart = new uPlot({
      width: width(el),
      height: 280,
      legend: { show: false },
      cursor: { show: true, drag: { x: false, y: false } },
      scales: { x: { time: false }, y: { range: function (u, min, max) { return [0, Math.ceil((max || 1) * 1.1)]; } } },
      series: opts,
      axes: [
        { values: function (u, splits) { return splits.map(function (v) { return Number.isInteger(v) ? String(v) : ""; }); } },
        { size: 64, values: function (u, splits) { return splits.map(function (v) { return (v < 20 ? fmt1 : fmt).format(v); }); } },
      ],
    }, series, el);
    legend(el, items);
    charts.push([chart, el]);
  }

  function led() {
    const el = document.getElementById("chart-lighting-led");
    if (!el) return;
    const years = tr.map(function (t) { return t.year; });
    const share = tr.map(function (t) { return t.led_share === null ? null : Math.round(t.led_share * 1000) / 10; });
    const chart = new uPlot({
      width: width(el),
      height: 260,
      legend: { show: false },
      cursor: { show: true, drag: { x: false, y: false } },
      scales: { x: { time: false, range: function () { return [years[0] - 0.6, years[years.length - 1] + 0.6]; } }, y: { range: [0, 100] } },
      series: [{}, { label: data.labels.led, stroke: GREEN, fill: GREEN, paths: uPlot.paths.bars({ size: [0.7, 40] }), points: { show: false } }],
      axes: [
        { splits: function () { return years; }, values: function (u, splits) { return splits.map(String); } },
        { size: 60, values: function (u, splits) { return splits.map(function (v) { return v + " %"; }); } },
      ],
    }, [years, share], el);
    legend(el, [[data.labels.led, "swatch--led"]]);
    charts.push([chart, el]);
  }

  energy();
  led();
  let timer = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      charts.forEach(function (c) { c[0].setSize({ width: width(c[1]), height: c[0].height }); });
    }, 150);
  });
})();
