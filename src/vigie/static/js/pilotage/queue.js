// Control room queue: one page of the reports the server filters, searches,
// sorts and counts over all of them; live updates (SSE), countdowns, a map of
// what is in view clustered by the server, bulk actions, CSV export, keyboard.
(function () {
  "use strict";
  const P = window.Pilotage;
  const D = P.data;
  const $ = P.$;
  const OPEN = D.open_statuses || [];
  const ORDER_KEY = "vigie.pilotage.queue";
  const form = $("queue-filters");
  const body = $("queue-body");
  const items = new Map();
  const fresh = new Set();
  // Reports a live event announced, by id, with the last load started before the event: whichever
  // load shows them first flags them (a search typed meanwhile may supersede the event's own reload).
  const arriving = new Map();
  let current = null;
  let shown = [];
  let map = null;
  const baseTitle = document.title;

  function filters() {
    const f = {};
    new FormData(form).forEach(function (value, key) { f[key] = String(value); });
    return f;
  }

  // Every filter, the search and the sort run on the server over all reports;
  // the page shows one page of them and the count of all.
  const PAGE_SIZE = 50;
  let page = 1;
  let total = 0;
  let pages = 1;
  const selected = new Set();

  function serverQuery(f, withPage) {
    const params = new URLSearchParams();
    ["status", "group", "zone", "priority", "sla", "q", "sort"].forEach(function (k) { if (f[k]) params.set(k, f[k]); });
    if (withPage) { params.set("page", String(page)); params.set("page_size", String(PAGE_SIZE)); }
    return params;
  }

  let loading = 0;
  async function load() {
    const ticket = ++loading;
    let res;
    try {
      res = await Vigie.api("/api/v1/pilotage/queue?" + serverQuery(filters(), true).toString());
      P.clearError($("queue-error"));
    } catch (err) {
      P.showError($("queue-error"), err);
      return null;
    }
    if (ticket !== loading) return null;
    items.clear();
    res.items.forEach(function (r) { items.set(r.id, r); });
    total = res.total;
    pages = res.pages;
    if (page > pages) { page = pages; return load(); }
    welcome(ticket);
    render();
    return res;
  }

  function welcome(ticket) {
    arriving.forEach(function (since, id) {
      const r = items.get(id);
      if (r) {
        fresh.add(id);
        P.beep();
        Vigie.announce(P.t("new_report", { ref: r.reference, service: P.label("services", r.service_code), zone: P.label("zones", r.zone) }));
      }
      // Shown now, or asked for after the event and not in this view: either way, done.
      if (r || ticket > since) arriving.delete(id);
    });
  }

  function fold(text) {
    return String(text || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  // Only to decide whether a live event concerns this view (the server decides what is shown).
  function matches(r, f) {
    if (f.status === "open" && OPEN.indexOf(r.status) < 0) return false;
    if (f.status !== "open" && f.status !== "all" && r.status !== f.status) return false;
    if (f.group && r.group !== f.group) return false;
    if (f.zone && r.zone !== f.zone) return false;
    if (f.priority && r.priority !== f.priority) return false;
    if (f.q) {
      const hay = fold([r.reference, r.description, r.address].join(" "));
      if (hay.indexOf(fold(f.q)) < 0) return false;
    }
    return true;
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

  // The report's address (street and number, without the postcode and commune) and its commune;
  // without one, that it has none, its commune and coordinates (the commune alone read as an
  // address), as the report page, the work order and the CSV export write it.
  function place(r) {
    const zone = P.label("zones", r.zone) || r.zone || "";
    if (!r.address) {
      const at = r.lat == null || r.long == null ? "—" : r.lat.toFixed(5) + ", " + r.long.toFixed(5);
      return P.t("address_unknown", { area: zone, coordinates: at });
    }
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
    const pick = document.createElement("input");
    pick.type = "checkbox";
    pick.className = "queue-pick";
    pick.checked = selected.has(r.id);
    pick.setAttribute("aria-label", P.t("select_report", { ref: r.reference || "#" + r.id }));
    cell(tr, pick, "queue-table__pick");
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
    cell(tr, place(r), "queue-table__address");
    cell(tr, badge(r.status, P.label("status", r.status)));
    cell(tr, P.label("priority", r.priority), "priority priority--" + r.priority);
    const due = document.createElement("span");
    due.dataset.countdown = r.expected_at || "";
    due.dataset.status = r.status;
    cell(tr, due, "queue-table__wrap");
    const when = document.createElement("time");
    when.dateTime = r.requested_at;
    when.textContent = P.shortDate(r.requested_at);
    cell(tr, when, "queue-table__wrap");
    return tr;
  }

  function render() {
    // Rows are rebuilt (live updates, pages): a keyboard user keeps their place, on the same
    // control of the same row (its selection box or its link), or of the row now in its place.
    const active = document.activeElement;
    const focusedRow = active && active.closest && active.closest("#queue-body tr");
    const refocus = focusedRow ? focusedRow.dataset.id : null;
    const onPick = !!(focusedRow && active.classList.contains("queue-pick"));
    const at = focusedRow ? Array.prototype.indexOf.call(body.children, focusedRow) : -1;
    shown = Array.from(items.values());
    const frag = document.createDocumentFragment();
    shown.forEach(function (r) { frag.appendChild(row(r)); });
    body.replaceChildren(frag);
    P.tickCountdowns(body);
    $("queue-empty").hidden = shown.length > 0;
    $("queue-count").textContent = P.plural("queue_count", total);
    $("queue-page").textContent = P.t("queue_page", { page: P.number(page), pages: P.number(pages) });
    $("queue-prev").disabled = page <= 1;
    $("queue-next").disabled = page >= pages;
    $("queue-export").href = "/api/v1/pilotage/queue.csv?" + serverQuery(filters(), false).toString();
    showSelection();
    window.sessionStorage.setItem(ORDER_KEY, JSON.stringify(shown.map(function (r) { return r.id; })));
    if (refocus) {
      const still = items.has(refocus) ? refocus : (shown[Math.min(at, shown.length - 1)] || {}).id;
      if (still) focusRow(still, onPick); else $("queue-heading").focus();
    }
    document.title = (fresh.size ? "(" + fresh.size + ") " : "") + baseTitle;
  }

  function focusRow(id, onPick) {
    const tr = body.querySelector('tr[data-id="' + id + '"]');
    if (!tr) return;
    setCurrent(id);
    tr.querySelector(onPick ? ".queue-pick" : "a").focus();
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
    if (e.target.classList.contains("queue-pick")) {
      if (e.target.checked) selected.add(tr.dataset.id); else selected.delete(tr.dataset.id);
      showSelection();
      return;
    }
    if (tr && !e.target.closest("a") && !e.target.closest(".queue-table__pick")) window.location.href = "/pilotage/signalements/" + tr.dataset.id;
  });
  body.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") { e.preventDefault(); move(e.key === "ArrowDown" ? 1 : -1); }
  });

  // Every filter goes to the server: back to the first page, list and map again.
  function refilter() { page = 1; selected.clear(); load(); loadMap(); }
  let typing = null;
  form.addEventListener("change", function (e) { if (e.target.name !== "q") refilter(); });
  form.addEventListener("input", function (e) {
    if (e.target.name !== "q") return;
    window.clearTimeout(typing);
    typing = window.setTimeout(refilter, 250);
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); window.clearTimeout(typing); refilter(); });
  $("queue-prev").addEventListener("click", function () { if (page > 1) { page--; load(); } });
  $("queue-next").addEventListener("click", function () { if (page < pages) { page++; load(); } });

  // --- bulk actions ------------------------------------------------------------
  function showSelection() {
    const n = selected.size;
    $("bulk-count").textContent = P.plural("selected_count", n);
    $("bulk-acknowledge").disabled = n === 0;
    $("bulk-assign").disabled = n === 0 || !$("bulk-team").value;
    const all = $("queue-pick-all");
    const onPage = shown.filter(function (r) { return selected.has(r.id); }).length;
    all.checked = shown.length > 0 && onPage === shown.length;
    all.indeterminate = onPage > 0 && onPage < shown.length;
  }
  $("queue-pick-all").addEventListener("change", function (e) {
    shown.forEach(function (r) { if (e.target.checked) selected.add(r.id); else selected.delete(r.id); });
    body.querySelectorAll(".queue-pick").forEach(function (box) { box.checked = e.target.checked; });
    showSelection();
  });
  $("bulk-team").addEventListener("change", showSelection);
  async function bulk(action) {
    const payload = { action: action, ids: Array.from(selected) };
    if (action === "assign") payload.team = $("bulk-team").value;
    try {
      const res = await Vigie.api("/api/v1/pilotage/queue/bulk", { method: "POST", json: payload });
      selected.clear();
      res.failed.forEach(function (f) { selected.add(f.id); });
      const text = P.plural(action === "assign" ? "bulk_assigned" : "bulk_acknowledged", res.done.length) +
        (res.failed.length ? " " + P.plural("bulk_failed", res.failed.length) : "");
      $("bulk-result").textContent = text;
      showRefused(res.failed);
      await load();
      loadMap();
    } catch (err) {
      P.showError($("queue-error"), err);
    }
  }
  // Which reports were refused and why, the first few by name (they stay selected).
  const REFUSED_SHOWN = 10;
  function refusal(f) {
    const ref = f.reference || "#" + f.id;
    if (f.status === 409 && f.report_status) return P.t("bulk_refused_status", { ref: ref, status: P.label("status", f.report_status) });
    if (f.status === 404) return P.t("bulk_refused_missing", { ref: ref });
    return P.t("bulk_refused_other", { ref: ref, reason: P.errorText({ status: f.status, message: f.detail }) });
  }
  function showRefused(failed) {
    const list = $("bulk-refused");
    const lines = failed.slice(0, REFUSED_SHOWN).map(refusal);
    if (failed.length > REFUSED_SHOWN) lines.push(P.plural("bulk_refused_more", failed.length - REFUSED_SHOWN));
    list.replaceChildren.apply(list, lines.map(function (text) {
      const li = document.createElement("li");
      li.textContent = text;
      return li;
    }));
    list.hidden = lines.length === 0;
  }
  $("bulk-acknowledge").addEventListener("click", function () { bulk("acknowledge"); });
  $("bulk-assign").addEventListener("click", function () { bulk("assign"); });

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
  // The map asks the server for what is in view: clusters counted by the database,
  // single reports as pins (every report of the filter, not only this page's).
  let layer = null;
  let mapTicket = 0;
  function clusterIcon(n) {
    const size = n < 100 ? 34 : n < 1000 ? 42 : 50;
    return L.divIcon({ html: "<span>" + P.number(n) + "</span>", className: "server-cluster", iconSize: [size, size] });
  }
  async function loadMap() {
    if (!map) return;
    const ticket = ++mapTicket;
    const b = map.getBounds();
    const params = serverQuery(filters(), false);
    params.set("bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (x) { return x.toFixed(5); }).join(","));
    params.set("zoom", String(map.getZoom()));
    let view;
    try {
      view = await Vigie.api("/api/v1/pilotage/queue/map?" + params.toString());
    } catch (err) {
      P.showError($("queue-error"), err);
      return;
    }
    if (ticket !== mapTicket) return;
    layer.clearLayers();
    view.clusters.forEach(function (c) {
      const label = P.t("map_cluster", { n: P.number(c.count) });
      L.marker([c.lat, c.long], { icon: clusterIcon(c.count), title: label, alt: label, keyboard: true })
        .on("click", function () { map.setView([c.lat, c.long], Math.min(map.getZoom() + 2, 19)); })
        .addTo(layer);
    });
    view.points.forEach(function (r) {
      const title = r.reference + " — " + P.label("services", r.service_code) + " (" + P.label("status", r.status) + ")";
      P.pin([r.lat, r.long], colourOf(r), title).bindPopup(function () { return popup(r); }).addTo(layer);
    });
  }
  let moving = null;
  $("map-colour").addEventListener("change", function () { drawLegend(); loadMap(); });
  drawLegend();
  Vigie.map($("queue-map"), { maxZoom: 19 }).then(function (m) {
    map = m;
    layer = L.layerGroup().addTo(map);
    map.on("moveend", function () { window.clearTimeout(moving); moving = window.setTimeout(loadMap, 150); });
    loadMap();
  });

  // --- live ------------------------------------------------------------------
  // An event says something changed; the server says what this view shows now.
  let reloading = null;
  function reloadSoon() {
    window.clearTimeout(reloading);
    reloading = window.setTimeout(function () { load(); loadMap(); }, 200);
  }
  function onCreated(r) { arriving.set(r.id, loading); reloadSoon(); }
  function onUpdated(r) { if (items.has(r.id) || matches(r, filters())) reloadSoon(); }
  // An import publishes one summary event, not one per report: reload the list once.
  P.live({ "report.created": onCreated, "report.updated": onUpdated, "reports.imported": function () { load(); loadMap(); } },
    function () { load(); loadMap(); });

  // The SLA filter follows the clock: ask again every half minute.
  window.setInterval(function () { if (filters().sla) { load(); loadMap(); } }, 30000);

  P.shortcuts({
    j: function () { move(1); },
    k: function () { move(-1); },
    o: function () { if (current) window.location.href = "/pilotage/signalements/" + current; },
    a: acknowledgeCurrent,
    x: function () {
      const tr = current && body.querySelector('tr[data-id="' + current + '"]');
      if (tr) tr.querySelector(".queue-pick").click();
    },
    "/": function () { $("f-q").focus(); },
    m: function () { mute.click(); },
    g: function () { $("queue-map").focus(); },
  });

  load();
})();
