// Control room queue: live list of reports (SSE), filters, sort, countdowns,
// clustered map, and keyboard navigation.
(function () {
  "use strict";
  const P = window.Pilotage;
  const D = P.data;
  const $ = P.$;
  const OPEN = D.open_statuses || [];
  const RANK = { urgent: 3, high: 2, normal: 1, low: 0 };
  const STATUS_ORDER = ["new", "reopened", "acknowledged", "assigned", "in_progress", "resolved", "rejected", "duplicate"];
  const ORDER_KEY = "vigie.pilotage.queue";
  const form = $("queue-filters");
  const body = $("queue-body");
  const items = new Map();
  const fresh = new Set();
  let current = null;
  let shown = [];
  let map = null;
  let cluster = null;
  const baseTitle = document.title;

  function filters() {
    const f = {};
    new FormData(form).forEach(function (value, key) { f[key] = String(value); });
    return f;
  }

  function serverQuery(f) {
    const params = new URLSearchParams({ page_size: "500" });
    if (f.status === "open") params.set("status", OPEN.join(","));
    else if (f.status !== "all") params.set("status", f.status);
    if (f.group) params.set("group", f.group);
    if (f.zone) params.set("zone", f.zone);
    return params;
  }

  let loading = 0;
  async function load() {
    const ticket = ++loading;
    const params = serverQuery(filters());
    const list = [];
    try {
      for (let page = 1; page <= 4; page++) {
        params.set("page", String(page));
        const res = await Vigie.api("/api/v1/reports?" + params.toString());
        list.push.apply(list, res.items);
        if (!res.next_page) break;
      }
      P.clearError($("queue-error"));
    } catch (err) {
      P.showError($("queue-error"), err);
      return;
    }
    if (ticket !== loading) return;
    items.clear();
    list.forEach(function (r) { items.set(r.id, r); });
    render();
  }

  function fold(text) {
    return String(text || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function matches(r, f) {
    if (f.status === "open" && OPEN.indexOf(r.status) < 0) return false;
    if (f.status !== "open" && f.status !== "all" && r.status !== f.status) return false;
    if (f.group && r.group !== f.group) return false;
    if (f.zone && r.zone !== f.zone) return false;
    if (f.priority && r.priority !== f.priority) return false;
    if (f.sla && P.slaState(r.expected_at, r.status) !== f.sla) return false;
    if (f.q) {
      const hay = fold([r.reference, r.description, r.address, P.label("services", r.service_code), P.label("zones", r.zone)].join(" "));
      if (hay.indexOf(fold(f.q)) < 0) return false;
    }
    return true;
  }

  function time(iso) { return iso ? new Date(iso).getTime() : Infinity; }
  function compare(sort) {
    const byReceived = function (a, b) { return time(b.requested_at) - time(a.requested_at) || Number(b.id) - Number(a.id); };
    if (sort === "due") return function (a, b) { return time(a.expected_at) - time(b.expected_at) || byReceived(a, b); };
    if (sort === "priority") return function (a, b) { return (RANK[b.priority] || 0) - (RANK[a.priority] || 0) || time(a.expected_at) - time(b.expected_at); };
    if (sort === "status") return function (a, b) { return STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) || byReceived(a, b); };
    return byReceived;
  }

  function cell(tr, content, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    if (content instanceof Node) td.appendChild(content); else td.textContent = content == null ? "" : content;
    tr.appendChild(td);
    return td;
  }
  function badge(cls, text) {
    const span = document.createElement("span");
    span.className = "badge badge--" + cls;
    span.textContent = text;
    return span;
  }

  // The report's address (street and number, without the postcode and commune) and its commune.
  function place(r) {
    const zone = P.label("zones", r.zone) || "";
    if (!r.address) return zone;
    const span = document.createElement("span");
    let street = r.address;
    const cut = street.search(/\s\d{5}\s/);
    if (cut > 0) street = street.slice(0, cut);
    span.textContent = street;
    if (zone) {
      const small = document.createElement("span");
      small.className = "small";
      small.textContent = " — " + zone;
      span.appendChild(small);
    }
    return span;
  }

  function row(r) {
    const tr = document.createElement("tr");
    tr.dataset.id = r.id;
    if (fresh.has(r.id)) tr.classList.add("is-new");
    if (r.id === current) tr.classList.add("is-current");
    const th = document.createElement("th");
    th.scope = "row";
    const a = document.createElement("a");
    a.href = "/pilotage/signalements/" + r.id;
    a.textContent = r.reference || "#" + r.id;
    th.appendChild(a);
    if (fresh.has(r.id)) {
      const flag = document.createElement("span");
      flag.className = "new-flag";
      flag.textContent = P.t("new_flag");
      th.appendChild(flag);
    }
    tr.appendChild(th);
    cell(tr, P.label("services", r.service_code) || r.service_name);
    cell(tr, place(r));
    cell(tr, badge(r.status, P.label("status", r.status)));
    cell(tr, P.label("priority", r.priority), "priority priority--" + r.priority);
    const due = document.createElement("span");
    due.dataset.countdown = r.expected_at || "";
    due.dataset.status = r.status;
    cell(tr, due);
    const when = document.createElement("time");
    when.dateTime = r.requested_at;
    when.textContent = P.shortDate(r.requested_at);
    cell(tr, when);
    cell(tr, P.label("channel", r.channel));
    return tr;
  }

  function render() {
    const f = filters();
    const focusedId = document.activeElement && document.activeElement.closest && document.activeElement.closest("#queue-body tr");
    const refocus = focusedId ? focusedId.dataset.id : null;
    shown = Array.from(items.values()).filter(function (r) { return matches(r, f); }).sort(compare(f.sort));
    const frag = document.createDocumentFragment();
    shown.forEach(function (r) { frag.appendChild(row(r)); });
    body.replaceChildren(frag);
    P.tickCountdowns(body);
    $("queue-empty").hidden = shown.length > 0;
    $("queue-count").textContent = P.t("queue_count", { n: shown.length });
    window.sessionStorage.setItem(ORDER_KEY, JSON.stringify(shown.map(function (r) { return r.id; })));
    if (refocus) focusRow(refocus);
    drawMap();
    document.title = (fresh.size ? "(" + fresh.size + ") " : "") + baseTitle;
  }

  function focusRow(id) {
    const tr = body.querySelector('tr[data-id="' + id + '"]');
    if (!tr) return;
    setCurrent(id);
    tr.querySelector("a").focus();
    tr.scrollIntoView({ block: "nearest" });
  }
  function setCurrent(id) {
    current = id;
    body.querySelectorAll("tr.is-current").forEach(function (tr) { tr.classList.remove("is-current"); });
    const tr = body.querySelector('tr[data-id="' + id + '"]');
    if (tr) tr.classList.add("is-current");
    if (fresh.delete(id)) {
      if (tr) { tr.classList.remove("is-new"); const flag = tr.querySelector(".new-flag"); if (flag) flag.remove(); }
      document.title = (fresh.size ? "(" + fresh.size + ") " : "") + baseTitle;
    }
  }
  function move(step) {
    if (!shown.length) return;
    let i = shown.findIndex(function (r) { return r.id === current; });
    i = i < 0 ? (step > 0 ? 0 : shown.length - 1) : Math.min(shown.length - 1, Math.max(0, i + step));
    focusRow(shown[i].id);
  }

  body.addEventListener("focusin", function (e) {
    const tr = e.target.closest("tr");
    if (tr) setCurrent(tr.dataset.id);
  });
  body.addEventListener("click", function (e) {
    const tr = e.target.closest("tr");
    if (tr && !e.target.closest("a")) window.location.href = "/pilotage/signalements/" + tr.dataset.id;
  });
  body.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") { e.preventDefault(); move(e.key === "ArrowDown" ? 1 : -1); }
  });

  // Server-side filters reload; client-side ones (priority, SLA, text, sort) only re-render.
  form.addEventListener("change", function (e) {
    if (["status", "group", "zone"].indexOf(e.target.name) >= 0) load(); else render();
  });
  form.addEventListener("input", function (e) { if (e.target.name === "q") render(); });
  form.addEventListener("submit", function (e) { e.preventDefault(); });

  async function acknowledgeCurrent() {
    const r = items.get(current);
    if (!r) return;
    if (r.status !== "new" && r.status !== "reopened") { Vigie.announce(P.t("cannot_acknowledge", { ref: r.reference })); return; }
    try {
      const updated = await Vigie.api("/api/v1/reports/" + r.id + "/acknowledge", { method: "POST", json: {} });
      items.set(updated.id, updated);
      render();
      focusRow(updated.id);
      Vigie.announce(P.t("acknowledged", { ref: updated.reference }));
    } catch (err) {
      P.showError($("queue-error"), err);
    }
  }

  // --- mute ------------------------------------------------------------------
  const mute = $("mute-toggle");
  function showMute() {
    const muted = P.isMuted();
    mute.setAttribute("aria-pressed", muted ? "true" : "false");
    mute.textContent = muted ? P.t("sound_off") : P.t("sound_on");
  }
  mute.addEventListener("click", function () { P.setMuted(!P.isMuted()); showMute(); });
  showMute();

  // --- map -------------------------------------------------------------------
  const legend = $("map-legend");
  function colourOf(r) { return $("map-colour").value === "status" ? r.status : P.slaState(r.expected_at, r.status); }
  function drawLegend() {
    const byStatus = $("map-colour").value === "status";
    const keys = byStatus ? OPEN : ["overdue", "due_soon", "on_time", "none"];
    legend.replaceChildren.apply(legend, keys.map(function (k) {
      const li = document.createElement("li");
      const sw = document.createElement("span");
      sw.className = "swatch swatch--" + k;
      sw.setAttribute("aria-hidden", "true");
      li.appendChild(sw);
      li.appendChild(document.createTextNode(byStatus ? P.label("status", k) : P.label("sla", k)));
      return li;
    }));
  }
  function popup(r) {
    const div = document.createElement("div");
    const a = document.createElement("a");
    a.href = "/pilotage/signalements/" + r.id;
    a.textContent = r.reference;
    div.appendChild(a);
    div.appendChild(document.createElement("br"));
    div.appendChild(document.createTextNode(P.label("services", r.service_code) + " · " + P.label("status", r.status)));
    return div;
  }
  function drawMap() {
    if (!cluster) return;
    cluster.clearLayers();
    const markers = shown.filter(function (r) { return r.lat != null && r.long != null; }).map(function (r) {
      const title = r.reference + " — " + P.label("services", r.service_code) + " (" + P.label("status", r.status) + ")";
      return P.pin([r.lat, r.long], colourOf(r), title).bindPopup(function () { return popup(r); });
    });
    cluster.addLayers(markers);
  }
  $("map-colour").addEventListener("change", function () { drawLegend(); drawMap(); });
  drawLegend();
  Vigie.map($("queue-map"), { maxZoom: 19 }).then(function (m) {
    map = m;
    cluster = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50, disableClusteringAtZoom: 17, chunkedLoading: true });
    map.addLayer(cluster);
    drawMap();
  });

  // --- live ------------------------------------------------------------------
  function onCreated(r) {
    items.set(r.id, r);
    if (!matches(r, filters())) return;
    fresh.add(r.id);
    render();
    P.beep();
    Vigie.announce(P.t("new_report", { ref: r.reference, service: P.label("services", r.service_code), zone: P.label("zones", r.zone) }));
  }
  function onUpdated(r) {
    const known = items.get(r.id);
    items.set(r.id, Object.assign({}, known || {}, r));
    if (known || matches(r, filters())) render();
  }
  // An import publishes one summary event, not one per report: reload the list once.
  P.live({ "report.created": onCreated, "report.updated": onUpdated, "reports.imported": function () { load(); } }, load);

  // Re-render every half minute so the SLA filter follows the clock.
  window.setInterval(function () { if (filters().sla) render(); }, 30000);

  P.shortcuts({
    j: function () { move(1); },
    k: function () { move(-1); },
    o: function () { if (current) window.location.href = "/pilotage/signalements/" + current; },
    a: acknowledgeCurrent,
    "/": function () { $("f-q").focus(); },
    m: function () { mute.click(); },
    g: function () { $("queue-map").focus(); },
  });

  load();
})();
