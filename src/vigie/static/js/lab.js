// Data lab: runs the query through /api/v1/lab/query, shows the rows in a table and, when the
// answer has a label column and a number column, a bar chart (uPlot) of them; saves a query
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

  function chart(result) {
    if (plot) { plot.destroy(); plot = null; }
    chartEl.hidden = true;
    if (!window.uPlot || result.rows.length < 2 || result.columns.length < 2) return;
    const y = result.columns.findIndex(function (c, i) { return i > 0 && /int|double|float|decimal/.test(c.type); });
    if (y < 0) return;
    const rows = result.rows.slice(0, 60);
    const names = rows.map(function (r) { return String(r[0]); });
    const values = rows.map(function (r) { return r[y] === null ? null : Number(r[y]); });
    chartEl.hidden = false;
    plot = new uPlot({
      width: Math.max(280, chartEl.clientWidth), height: 260, legend: { show: false }, cursor: { show: false },
      scales: { x: { time: false, range: function () { return [-0.6, names.length - 0.4]; } } },
      series: [{}, { label: result.columns[y].name, stroke: "#1d4ed8", fill: "#1d4ed8", paths: uPlot.paths.bars({ size: [0.7, 60] }), points: { show: false } }],
      axes: [{ splits: function () { return names.map(function (_, i) { return i; }); }, values: function (u, s) { return s.map(function (i) { return (names[i] || "").slice(0, 14); }); }, rotate: -30, size: 70 }, { size: 56 }],
    }, [names.map(function (_, i) { return i; }), values], chartEl);
  }

  // A limit the query went past (its time, memory or size) is said in the page's language.
  function message(problem) {
    const text = problem.limit && cfg.texts.limits[problem.limit];
    if (text) return text.replace("{value}", numberFormat.format(problem.value));
    return problem.detail || problem.message;
  }

  async function post(url, payload) {
    const r = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload) });
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
