// The LED retrofit plan page: asks /api/v1/lighting/plan with the form's values, draws the
// years (chart + table), the financing, the map of conversions by year, and keeps scenarios
// side by side. Every chart has a table with the same figures.
(function () {
  "use strict";
  const P = window.Pilotage;
  const $ = P.$;
  const form = $("plan-form");
  if (!form) return;
  const currency = P.data.currency || "EUR";
  const money = new Intl.NumberFormat(P.data.lang === "en" ? "en-GB" : "fr-FR", { style: "currency", currency: currency, maximumFractionDigits: 0 });
  const YEAR_COLOURS = ["#1d4ed8", "#15803d", "#b45309", "#7c3aed", "#be123c", "#0e7490", "#4d7c0f", "#a21caf"];
  const SCENARIO_COLOURS = ["#1d4ed8", "#b45309", "#15803d", "#7c3aed"];
  const MAX_SCENARIOS = 4;
  const charts = {};
  const scenarios = [];
  let current = null;
  let map = null;
  let mapLayer = null;
  let points = null;

  function num(n, digits) {
    return P.number(Math.round(n * Math.pow(10, digits || 0)) / Math.pow(10, digits || 0));
  }

  function query() {
    const data = new FormData(form);
    const params = new URLSearchParams();
    ["mode", "budget", "crew", "years", "start_year", "objective", "target_kwh", "target", "together", "tariff", "dim_level"].forEach(function (k) {
      const v = (data.get(k) || "").toString().trim();
      if (v !== "") params.set(k, v);
    });
    params.set("priorities", data.getAll("priorities").join(","));
    params.set("lang", P.data.lang === "en" ? "en" : "fr");
    return params;
  }

  // A gap as a percentage, small ones said as such rather than rounded to 0.
  function pct(gap) { return gap * 100 < 0.001 ? (gap === 0 ? "0" : "< " + P.number(0.001)) : num(gap * 100, 3); }

  function summary(params) {
    const parts = [];
    if (params.get("target")) {
      parts.push(P.t("scenario_city_target", { id: params.get("target") }));
    } else if (params.get("mode") === "target") {
      parts.push(P.t("scenario_target", { kwh: num(Number(params.get("target_kwh") || 0)) }));
    }
    if (params.get("budget")) parts.push(money.format(Number(params.get("budget"))) + P.t("per_year"));
    if (params.get("crew")) parts.push(P.t("scenario_crew", { n: num(Number(params.get("crew"))) }));
    parts.push(P.t("scenario_years", { n: params.get("years") }));
    if (params.get("tariff")) parts.push(P.t("scenario_tariff", { tariff: params.get("tariff") }));
    if (params.get("dim_level")) parts.push(P.t("scenario_dim", { level: Math.round(Number(params.get("dim_level")) * 100) }));
    if (params.get("together")) parts.push(P.t("together_" + params.get("together")));
    return parts.join(" · ");
  }

  function width(el) { return Math.max(280, el.clientWidth); }

  function draw(id, opts, data) {
    const el = $(id);
    if (!el || !window.uPlot) return;
    if (charts[id]) charts[id].destroy();
    el.textContent = "";
    charts[id] = new uPlot(Object.assign({ width: width(el), height: 260, legend: { show: true }, cursor: { drag: { x: false, y: false } } }, opts), data, el);
  }

  function yearAxis() { return { values: function (u, splits) { return splits.map(function (v) { return Number.isInteger(v) ? String(v) : ""; }); } }; }

  function kpi(value, label, cls) {
    const li = document.createElement("li");
    li.className = "kpi" + (cls ? " " + cls : "");
    const v = document.createElement("span");
    v.className = "kpi__value";
    v.textContent = value;
    const l = document.createElement("span");
    l.className = "kpi__label";
    l.textContent = label;
    li.appendChild(v);
    li.appendChild(l);
    return li;
  }

  function row(cells, header) {
    const tr = document.createElement("tr");
    cells.forEach(function (c, i) {
      const cell = document.createElement(i === 0 && header ? "th" : "td");
      if (i === 0 && header) cell.scope = "row";
      cell.textContent = c;
      tr.appendChild(cell);
    });
    return tr;
  }

  function showPlan(plan) {
    current = plan;
    $("plan-result").hidden = false;
    $("plan-finance").hidden = false;
    const last = plan.years[plan.years.length - 1];
    const saved = plan.fleet_kwh_now ? 1 - last.fleet_kwh / plan.fleet_kwh_now : 0;
    const kpis = $("plan-kpis");
    kpis.textContent = "";
    kpis.appendChild(kpi(num(plan.conversions), P.t("kpi_conversions")));
    kpis.appendChild(kpi(money.format(plan.investment), P.t("kpi_investment")));
    kpis.appendChild(kpi(num(saved * 100, 1) + " %", P.t("kpi_saved", { year: last.year })));
    kpis.appendChild(kpi(money.format(plan.finance.npv), P.t("kpi_npv"), plan.finance.npv < 0 ? "kpi--bad" : ""));
    kpis.appendChild(kpi(plan.finance.payback_year ? String(plan.finance.payback_year) : P.t("kpi_no_payback"), P.t("kpi_payback")));
    if (plan.finance.cee_luminaires) kpis.appendChild(kpi(money.format(plan.finance.cee), P.t("kpi_cee")));
    const why = [P.t(plan.method === "exact" ? "why_exact" : "why_fast", { gap: pct(plan.gap) })];
    Object.keys(plan.deadlines).forEach(function (k) {
      why.push(P.t("why_deadline", { what: P.t("priority_" + k), n: num(plan.priorities[k] || 0), year: plan.deadlines[k] }));
    });
    if (plan.target) why.push(P.t("why_target", { reduction: Math.round(plan.target.reduction * 100), year: plan.target.year, ref: plan.target.reference_year, kwh: num(plan.target.target_kwh) }));
    if (plan.heritage_kept) why.push(P.t("why_heritage", { n: num(plan.heritage_kept) }));
    $("plan-why").textContent = why.join(" ");

    const body = $("plan-years-table").querySelector("tbody");
    body.textContent = "";
    plan.years.forEach(function (y) {
      body.appendChild(row([String(y.year), num(y.conversions), money.format(y.investment), num(y.kwh_saved), num(y.fleet_kwh), money.format(y.fleet_money)], true));
    });
    const xs = [plan.years[0].year - 1].concat(plan.years.map(function (y) { return y.year; }));
    draw("chart-plan-years", {
      scales: { x: { time: false }, y: { range: function (u, min, max) { return [0, max * 1.05]; } } },
      axes: [yearAxis(), { size: 90 }],
      series: [{ label: P.t("chart_year") }, { label: P.t("chart_fleet_kwh"), stroke: "#1d4ed8", width: 2, fill: "rgba(29,78,216,0.08)" }],
    }, [xs, [plan.fleet_kwh_now].concat(plan.years.map(function (y) { return y.fleet_kwh; }))]);
    $("chart-plan-years").setAttribute("aria-label", P.t("chart_years_alt", { from: num(plan.fleet_kwh_now), to: num(last.fleet_kwh), year: last.year }));

    const fin = $("plan-finance-table").querySelector("tbody");
    fin.textContent = "";
    const cee = $("plan-finance-table").querySelectorAll("thead th").length === 7;
    plan.finance.years.forEach(function (y) {
      const cells = [String(y.year), money.format(y.investment), money.format(y.savings)];
      if (cee) cells.push(money.format(y.cee));
      fin.appendChild(row(cells.concat([money.format(y.cumulative_investment), money.format(y.cumulative_savings), money.format(y.cumulative_net)]), true));
    });
    draw("chart-plan-finance", {
      scales: { x: { time: false } },
      axes: [yearAxis(), { size: 90, values: function (u, splits) { return splits.map(function (v) { return money.format(v); }); } }],
      series: [
        { label: P.t("chart_year") },
        { label: P.t("chart_cumulative_investment"), stroke: "#be123c", width: 2 },
        { label: P.t("chart_cumulative_savings"), stroke: "#15803d", width: 2 },
      ],
    }, [plan.finance.years.map(function (y) { return y.year; }), plan.finance.years.map(function (y) { return y.cumulative_investment; }), plan.finance.years.map(function (y) { return y.cumulative_savings; })]);
    $("chart-plan-finance").setAttribute("aria-label", P.t("chart_finance_alt", { payback: plan.finance.payback_year || P.t("kpi_no_payback") }));
  }

  function colour(year) { return YEAR_COLOURS[(year - (current ? current.years[0].year : year)) % YEAR_COLOURS.length]; }

  function drawPoints() {
    if (!map || !points) return;
    if (mapLayer) map.removeLayer(mapLayer);
    const only = $("plan-map-year").value;
    mapLayer = L.geoJSON(points, {
      filter: function (f) { return !only || String(f.properties.year) === only; },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { radius: 3, weight: 0, fillOpacity: 0.85, fillColor: colour(f.properties.year) });
      },
      onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.id + " — " + f.properties.year); },
    }).addTo(map);
  }

  async function showMap(params) {
    $("plan-map-card").hidden = false;
    const select = $("plan-map-year");
    const keep = select.value;
    while (select.options.length > 1) select.remove(1);
    const legend = $("plan-map-legend");
    legend.textContent = "";
    current.years.forEach(function (y) {
      const o = document.createElement("option");
      o.value = String(y.year);
      o.textContent = String(y.year);
      select.appendChild(o);
      const li = document.createElement("li");
      const sw = document.createElement("span");
      sw.className = "swatch";
      sw.style.background = colour(y.year);
      li.appendChild(sw);
      li.appendChild(document.createTextNode(" " + y.year + " — " + P.plural("conversions", y.conversions)));
      legend.appendChild(li);
    });
    if (keep && Array.from(select.options).some(function (o) { return o.value === keep; })) select.value = keep;
    if (!map) map = await Vigie.map($("plan-map"), { preferCanvas: true, maxZoom: 19 });
    points = await Vigie.api("/api/v1/lighting/plan.geojson?" + params.toString());
    drawPoints();
  }

  function showScenarios() {
    const card = $("plan-scenarios");
    card.hidden = scenarios.length === 0;
    if (!scenarios.length) return;
    const head = card.querySelector("thead");
    const body = card.querySelector("tbody");
    head.textContent = "";
    body.textContent = "";
    const hr = document.createElement("tr");
    [P.t("scenario")].concat(scenarios.map(function (s, i) { return P.t("scenario_n", { n: i + 1 }); })).forEach(function (text, i) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = text;
      if (i > 0) th.title = scenarios[i - 1].summary;
      hr.appendChild(th);
    });
    head.appendChild(hr);
    function line(label, f) { body.appendChild(row([label].concat(scenarios.map(function (s) { return f(s.plan); })), true)); }
    line(P.t("scenario_what"), function (p) { return scenarios.find(function (s) { return s.plan === p; }).summary; });
    line(P.t("kpi_conversions"), function (p) { return num(p.conversions); });
    line(P.t("kpi_investment"), function (p) { return money.format(p.investment); });
    line(P.t("scenario_fleet_end"), function (p) { return num(p.years[p.years.length - 1].fleet_kwh) + " kWh"; });
    line(P.t("kpi_npv"), function (p) { return money.format(p.finance.npv); });
    line(P.t("kpi_payback"), function (p) { return p.finance.payback_year ? String(p.finance.payback_year) : P.t("kpi_no_payback"); });
    line(P.t("scenario_gap"), function (p) { return pct(p.gap) + " %"; });
    // Trajectories on the union of the scenarios' years.
    const years = Array.from(new Set([].concat.apply([], scenarios.map(function (s) { return s.plan.years.map(function (y) { return y.year; }); })))).sort();
    const data = [years].concat(scenarios.map(function (s) {
      const by = {};
      s.plan.years.forEach(function (y) { by[y.year] = y.fleet_kwh; });
      return years.map(function (y) { return by[y] === undefined ? null : by[y]; });
    }));
    draw("chart-plan-scenarios", {
      scales: { x: { time: false } },
      axes: [yearAxis(), { size: 90 }],
      series: [{ label: P.t("chart_year") }].concat(scenarios.map(function (s, i) {
        return { label: P.t("scenario_n", { n: i + 1 }), stroke: SCENARIO_COLOURS[i], width: 2 };
      })),
    }, data);
    $("chart-plan-scenarios").setAttribute("aria-label", P.t("chart_scenarios_alt", { n: scenarios.length }));
  }

  async function run(event) {
    if (event) event.preventDefault();
    const status = $("plan-status");
    if (!form.checkValidity()) {
      // Named before anything is asked of the server (which names it too).
      const bad = form.querySelector(":invalid");
      const label = bad.labels && bad.labels[0] ? bad.labels[0].firstChild.textContent.trim() : bad.name;
      status.textContent = P.t("invalid", { field: label, message: bad.validationMessage });
      bad.focus();
      return;
    }
    const params = query();
    status.textContent = P.t("computing");
    form.setAttribute("aria-busy", "true");
    ["plan-csv", "plan-xlsx"].forEach(function (id) {
      $(id).href = "/api/v1/lighting/" + (id === "plan-csv" ? "plan.csv?" : "plan.xlsx?") + params.toString();
    });
    try {
      const plan = await Vigie.api("/api/v1/lighting/plan?" + params.toString());
      current = plan;
      current.summary = summary(params);
      current.params = params;
      showPlan(plan);
      status.textContent = P.t("done", { n: num(plan.conversions), s: num(plan.seconds, 2) });
      await showMap(params);
    } catch (err) {
      status.textContent = P.t("error", { message: err.message });
    } finally {
      form.removeAttribute("aria-busy");
    }
  }

  form.addEventListener("submit", run);
  $("plan-map-year").addEventListener("change", drawPoints);
  $("plan-compare").addEventListener("click", function () {
    if (!current) return;
    if (scenarios.length >= MAX_SCENARIOS) scenarios.shift();
    scenarios.push({ plan: current, summary: current.summary });
    showScenarios();
    Vigie.announce(P.t("scenario_added", { n: scenarios.length }));
  });
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (id) { const el = $(id); if (el) charts[id].setSize({ width: width(el), height: 260 }); });
  });
  run();
})();
