// Data lab: runs the query through /api/v1/lab/query, shows the rows in a table and, when the
// answer has a sensible pair of columns (chart(): a category or a date, a number), a chart
// (uPlot) of them, the reader choosing the columns; saves a query
// (/api/v1/lab/queries) and shows its permalink.
(function () {
  "use strict";
  const node = document.getElementById("lab-config");
  if (!node) return;
  const cfg = JSON.parse(node.textContent);
  const form = document.getElementById("lab-form");
  const sql = document.getElementById("lab-sql");
  const status = document.getElementById("lab-status");
  const table = document.getElementById("lab-table");
  const chartEl = document.getElementById("lab-chart");
  const numberFormat = new Intl.NumberFormat(cfg.lang === "en" ? "en-GB" : "fr-FR");
  let plot = null;

  function cell(tag, text) {
    const el = document.createElement(tag);
    if (tag === "th") el.scope = "col";
    el.textContent = text === null || text === undefined ? "" : String(text);
    return el;
  }

  function show(result) {
    const head = table.tHead;
    const body = table.tBodies[0];
    head.replaceChildren();
    body.replaceChildren();
    const tr = document.createElement("tr");
    result.columns.forEach(function (c) { tr.appendChild(cell("th", c.name)); });
    head.appendChild(tr);
    result.rows.forEach(function (row) {
      const r = document.createElement("tr");
      row.forEach(function (v) { r.appendChild(cell("td", v)); });
      body.appendChild(r);
    });
    status.textContent = numberFormat.format(result.rows.length) + " " + cfg.texts.rows +
      (result.truncated ? " (" + cfg.texts.truncated + ")" : "") + " — " + numberFormat.format(result.elapsed_ms) + " ms";
    chart(result);
  }

  // A chart only where it says something: an x column with a different value on every row
  // (a category, a date, or an integer such as an hour: what a GROUP BY gives) and a number
  // for y. The first column and the first number after it are taken when the answer is that
  // narrow; otherwise, or when the x values repeat (SELECT *: one date for many car parks),
  // the page says why there is no chart, and the reader may choose the columns.
  const MAX_BARS = 60;
  const axes = document.getElementById("lab-axes");
  const xSelect = document.getElementById("lab-x");
  const ySelect = document.getElementById("lab-y");
  const note = document.getElementById("lab-chart-note");
  let current = null;

  function kind(type) {
    const t = String(type).toLowerCase();
    if (/^(u?int|double|float|halffloat|half_float|decimal)/.test(t)) return /^u?int/.test(t) ? "integer" : "number";
    if (/^(date|timestamp|time)/.test(t)) return "date";
    return "text";
  }
  function isNumber(c) { return c.kind === "integer" || c.kind === "number"; }
  function text(key, values) {
    return Object.keys(values || {}).reduce(function (out, k) { return out.split("{" + k + "}").join(values[k]); }, cfg.texts.chart[key]);
  }
  function epoch(value) {
    const iso = String(value);
    const zoned = /[zZ]|[+-]\d\d:?\d\d$/.test(iso) || iso.length === 10 ? iso : iso + "Z";
    return Date.parse(iso.length === 10 ? iso + "T00:00:00Z" : zoned) / 1000;
  }
  // Nothing chosen yet (a wide answer): a blank first option, so that any column is a change.
  function options(select, columns, chosen) {
    select.replaceChildren();
    if (chosen === null) {
      const blank = document.createElement("option");
      blank.value = "";
      blank.textContent = cfg.texts.chart.choose;
      select.appendChild(blank);
    }
    columns.forEach(function (c) {
      const o = document.createElement("option");
      o.value = String(c.index);
      o.textContent = c.name;
      o.selected = c.index === chosen;
      select.appendChild(o);
    });
  }

  // Why the pair (x, y) makes no chart, or "" when it makes one.
  function refusal(result, columns, x, y) {
    if (result.rows.length < 2) return text("few_rows");
    if (x === null || y === null) return text("no_pair");
    if (x === y) return text("same");
    const xc = columns[x];
    if (xc.kind === "number") return text("x_measure", { x: xc.name });
    const seen = new Set();
    for (const row of result.rows) {
      const v = row[x];
      if (v === null || v === undefined) return text("x_empty", { x: xc.name });
      if (seen.has(String(v))) return text("x_repeats", { x: xc.name });
      seen.add(String(v));
    }
    if (xc.kind !== "date" && result.rows.length > MAX_BARS) return text("too_many", { n: numberFormat.format(MAX_BARS) });
    return "";
  }

  function chart(result) {
    if (plot) { plot.destroy(); plot = null; }
    chartEl.hidden = true;
    current = result;
    const columns = result.columns.map(function (c, i) { return { index: i, name: c.name, kind: kind(c.type) }; });
    const numbers = columns.filter(isNumber);
    axes.hidden = result.rows.length < 2 || !numbers.length || columns.length < 2;
    let x = null;
    let y = null;
    let why = "";
    if (!numbers.length) why = text("no_number");
    else if (result.rows.length < 2) why = text("few_rows");
    else if (columns.length > 3) why = text("wide", { n: numberFormat.format(columns.length) });
    else {
      x = 0;
      const after = numbers.find(function (c) { return c.index > 0; });
      y = after ? after.index : null;
      why = refusal(result, columns, x, y);
    }
    if (!axes.hidden) {
      options(xSelect, columns, x);
      options(ySelect, numbers, y);
    }
    draw(columns, x, y, why);
  }

  function draw(columns, x, y, why) {
    if (plot) { plot.destroy(); plot = null; }
    chartEl.hidden = true;
    // Never hidden: a live region must stay in the page for its new text to be announced
    // (empty, it takes no room).
    note.textContent = why || "";
    if (why || !window.uPlot) return;
    const rows = current.rows.slice();
    const xc = columns[x];
    const label = text("alt", { x: xc.name, y: columns[y].name });
    chartEl.setAttribute("aria-label", label);
    chartEl.hidden = false;
    const common = { width: Math.max(280, chartEl.clientWidth), height: 260, legend: { show: false } };
    if (xc.kind === "date") {
      rows.sort(function (a, b) { return epoch(a[x]) - epoch(b[x]); });
      const xs = rows.map(function (r) { return epoch(r[x]); });
      const ys = rows.map(function (r) { return r[y] === null ? null : Number(r[y]); });
      plot = new uPlot(Object.assign(common, {
        tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "UTC"); },
        cursor: { drag: { x: false, y: false } },
        series: [{ label: xc.name }, { label: columns[y].name, stroke: "#1d4ed8", width: 2 }],
        axes: [{}, { size: 56 }],
      }), [xs, ys], chartEl);
      return;
    }
    const names = rows.map(function (r) { return String(r[x]); });
    const values = rows.map(function (r) { return r[y] === null ? null : Number(r[y]); });
    plot = new uPlot(Object.assign(common, {
      cursor: { show: false },
      scales: { x: { time: false, range: function () { return [-0.6, names.length - 0.4]; } } },
      series: [{}, { label: columns[y].name, stroke: "#1d4ed8", fill: "#1d4ed8", paths: uPlot.paths.bars({ size: [0.7, 60] }), points: { show: false } }],
      axes: [{ splits: function () { return names.map(function (_, i) { return i; }); }, values: function (u, s) { return s.map(function (i) { return (names[i] || "").slice(0, 14); }); }, rotate: -30, size: 70 }, { size: 56 }],
    }), [names.map(function (_, i) { return i; }), values], chartEl);
  }

  function chosen() {
    if (!current) return;
    const columns = current.columns.map(function (c, i) { return { index: i, name: c.name, kind: kind(c.type) }; });
    const x = xSelect.value === "" ? null : Number(xSelect.value);
    const y = ySelect.value === "" ? null : Number(ySelect.value);
    draw(columns, x, y, refusal(current, columns, x, y));
  }
  xSelect.addEventListener("change", chosen);
  ySelect.addEventListener("change", chosen);

  // A refusal is said in the page's language: the API's problem carries its code and ``message``
  // in the language asked (``detail`` is the API's English text, kept for its other clients).
  function message(problem) {
    return problem.message || problem.detail;
  }

  async function post(url, payload) {
    const asked = url + "?lang=" + encodeURIComponent(cfg.lang);
    const r = await fetch(asked, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload) });
    const body = await r.json();
    if (!r.ok) throw new Error(message(body) || r.statusText);
    return body;
  }

  form.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    status.textContent = cfg.texts.running;
    try { show(await post("/api/v1/lab/query", { sql: sql.value })); }
    catch (err) { status.textContent = cfg.texts.error + " " + err.message; }
  });

  document.getElementById("lab-save-form").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const out = document.getElementById("lab-permalink");
    try {
      const saved = await post("/api/v1/lab/queries", { title: document.getElementById("lab-title").value, sql: sql.value });
      const a = document.createElement("a");
      a.href = "/labo/" + saved.id;
      a.textContent = saved.url;
      out.replaceChildren(document.createTextNode(cfg.texts.saved + " "), a);
    } catch (err) { out.textContent = cfg.texts.error + " " + err.message; }
  });

  form.requestSubmit();
})();
