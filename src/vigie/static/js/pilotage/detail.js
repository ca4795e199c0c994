// Report detail in the control room: actions in dialogs, pin move, duplicates
// and merge, live refresh, keyboard shortcuts.
(function () {
  "use strict";
  const P = window.Pilotage;
  const D = P.data;
  const $ = P.$;
  let report = D.report;
  const id = report.id;
  // Per status, the procedure's templates per team, the current team's first.
  const choices = D.template_choices || {};
  const panel = $("report-panel");
  const actionError = $("action-error");
  let ownAction = false;
  let missed = null;

  function button(action) { return document.querySelector('[data-action="' + action + '"]'); }

  function updateButtons() {
    const st = report.status;
    const allowed = (D.transitions[st] || []).filter(function (s) { return s !== "duplicate"; });
    const open = P.CLOSED.indexOf(st) < 0;
    const show = {
      acknowledge: allowed.indexOf("acknowledged") >= 0 && (st === "new" || st === "reopened"),
      assign: open,
      status: allowed.length > 0,
      resolve: allowed.indexOf("resolved") >= 0,
      reject: allowed.indexOf("rejected") >= 0,
      requalify: open,
      move: open,
      merge: (D.transitions[st] || []).indexOf("duplicate") >= 0,
    };
    Object.keys(show).forEach(function (k) { const b = button(k); if (b) b.hidden = !show[k]; });
    $("move-form").querySelector("button").disabled = !open;
  }

  async function refresh(message) {
    try {
      report = await Vigie.api("/api/v1/reports/" + id);
      const res = await fetch("/pilotage/signalements/" + id + "/panneau", { headers: { Accept: "text/html" } });
      if (res.ok) {
        panel.innerHTML = await res.text();
        P.localiseTimes(panel);
        P.tickCountdowns(panel);
      }
    } catch (err) {
      P.showError(actionError, err);
    }
    updateButtons();
    updateMarker();
    if (message) Vigie.announce(message);
  }

  // Posts an action; shows the error in the dialog (or under the toolbar) and keeps it open.
  async function act(url, body, dialog, message, submitter) {
    const errorBox = dialog ? dialog.querySelector("[data-error]") : actionError;
    P.clearError(errorBox);
    ownAction = true;
    try {
      const updated = await P.busy(submitter, function () { return Vigie.api(url, { method: "POST", json: body }); });
      if (dialog) dialog.close();
      P.clearError(actionError);
      await refresh(message ? P.t(message, { ref: updated.reference || report.reference }) : "");
      // The button used may now be hidden (e.g. acknowledge): keep the focus on the page.
      const active = document.activeElement;
      if (!active || active === document.body || active.hidden || active.offsetParent === null) $("report-title").focus();
      return updated;
    } catch (err) {
      P.showError(errorBox, err);
      return null;
    } finally {
      ownAction = false;
      if (missed && newer(missed)) refresh(P.t("updated_elsewhere", { ref: missed.reference }));
      missed = null;
    }
  }

  // --- acknowledge -------------------------------------------------------------
  function acknowledge() {
    if (button("acknowledge").hidden) return;
    act("/api/v1/reports/" + id + "/acknowledge", {}, null, "acknowledged", button("acknowledge"));
  }

  // --- assign ------------------------------------------------------------------
  const assignDialog = $("assign-dialog");
  const userSelect = $("assign-user");
  let agentsLoaded = false;
  async function loadAgents() {
    if (agentsLoaded) return;
    const agents = await Vigie.api("/api/v1/pilotage/agents");
    const groups = { field_agent: [], other: [] };
    agents.forEach(function (a) { (a.role === "field_agent" ? groups.field_agent : groups.other).push(a); });
    [["field_agent", P.t("agents_field")], ["other", P.t("agents_other")]].forEach(function (g) {
      if (!groups[g[0]].length) return;
      const og = document.createElement("optgroup");
      og.label = g[1];
      groups[g[0]].forEach(function (a) {
        const o = document.createElement("option");
        o.value = String(a.id);
        o.textContent = a.name + (a.team ? " — " + P.label("teams", a.team) : "");
        o.dataset.team = a.team || "";
        og.appendChild(o);
      });
      userSelect.appendChild(og);
    });
    agentsLoaded = true;
  }
  // Fill a template picker for a status; the chosen team's template is selected
  // (the current team's by default). Returns the selected template's text.
  function fillTemplates(select, status, team) {
    const list = choices[status] || [];
    select.replaceChildren.apply(select, list.map(function (c, i) {
      const o = document.createElement("option");
      o.value = String(i);
      o.textContent = c.teams.indexOf(report.team) >= 0 ? c.label + " (" + P.t("template_current") + ")" : c.label;
      return o;
    }));
    $(select.id + "-field").hidden = list.length < 2;
    let pick = list.findIndex(function (c) { return c.teams.indexOf(team) >= 0; });
    if (pick < 0) pick = 0;
    select.value = String(pick);
    return list[pick] ? list[pick].text : "";
  }
  function chosenTemplate(select, status) {
    const c = (choices[status] || [])[Number(select.value)];
    return c ? c.text : "";
  }
  // A template replaces the note only while the note is empty or still the last template.
  function offerTemplate(note, text, last) {
    if (!note.value.trim() || note.value === last) note.value = text;
    return text;
  }
  const assignTemplate = $("assign-template");
  const assignPublic = $("assign-public");
  let lastAssignTemplate = "";
  $("assign-team").addEventListener("change", function () {
    lastAssignTemplate = offerTemplate(assignPublic, fillTemplates(assignTemplate, "assigned", this.value), lastAssignTemplate);
  });
  assignTemplate.addEventListener("change", function () {
    lastAssignTemplate = offerTemplate(assignPublic, chosenTemplate(assignTemplate, "assigned"), lastAssignTemplate);
  });
  async function openAssign(opener) {
    if (button("assign").hidden) return;
    try { await loadAgents(); } catch (err) { P.showError(actionError, err); return; }
    $("assign-team").value = report.team;
    userSelect.value = report.assigned_user_id ? String(report.assigned_user_id) : "";
    lastAssignTemplate = fillTemplates(assignTemplate, "assigned", report.team);
    assignPublic.value = lastAssignTemplate;
    $("assign-internal").value = "";
    P.openDialog(assignDialog, opener || button("assign"), "#assign-user");
  }
  $("assign-form").addEventListener("submit", function (e) {
    e.preventDefault();
    const team = $("assign-team").value;
    const user = userSelect.value;
    const body = {
      public_note: $("assign-public").value,
      internal_note: $("assign-internal").value,
    };
    // The chosen agent's team applies unless another team is picked explicitly.
    if (team !== report.team || !user) body.team = team;
    if (user) body.user_id = Number(user);
    act("/api/v1/reports/" + id + "/assign", body, assignDialog, "assigned", e.submitter);
  });

  // --- status --------------------------------------------------------------------
  const statusDialog = $("status-dialog");
  const statusSelect = $("status-select");
  const publicNote = $("status-public");
  const statusTemplate = $("status-template");
  let lastTemplate = "";
  function applyTemplate() {
    const st = statusSelect.value;
    $("reason-field").hidden = st !== "rejected";
    $("status-reason").required = st === "rejected";
    lastTemplate = offerTemplate(publicNote, fillTemplates(statusTemplate, st, report.team), lastTemplate);
  }
  statusTemplate.addEventListener("change", function () {
    lastTemplate = offerTemplate(publicNote, chosenTemplate(statusTemplate, statusSelect.value), lastTemplate);
  });
  function openStatus(preset, opener) {
    const allowed = (D.transitions[report.status] || []).filter(function (s) { return s !== "duplicate"; });
    if (!allowed.length || (preset && allowed.indexOf(preset) < 0)) return;
    statusSelect.replaceChildren.apply(statusSelect, allowed.map(function (s) {
      const o = document.createElement("option");
      o.value = s;
      o.textContent = P.label("status", s);
      return o;
    }));
    statusSelect.value = preset || allowed[0];
    publicNote.value = "";
    lastTemplate = "";
    $("status-internal").value = "";
    $("status-reason").value = "";
    applyTemplate();
    P.openDialog(statusDialog, opener, preset === "rejected" ? "#status-reason" : "#status-select");
  }
  statusSelect.addEventListener("change", applyTemplate);
  $("status-form").addEventListener("submit", function (e) {
    e.preventDefault();
    const st = statusSelect.value;
    if (st === "rejected" && !$("status-reason").value.trim()) {
      P.fieldError(statusDialog.querySelector("[data-error]"), $("status-reason"), P.t("reason_required"));
      return;
    }
    act("/api/v1/reports/" + id + "/status", {
      status: st,
      public_note: publicNote.value,
      internal_note: $("status-internal").value,
      reason: st === "rejected" ? $("status-reason").value : "",
    }, statusDialog, "status_changed", e.submitter);
  });

  // --- requalify -------------------------------------------------------------------
  const requalifyDialog = $("requalify-dialog");
  $("requalify-form").addEventListener("submit", async function (e) {
    e.preventDefault();
    const code = $("requalify-service").value;
    if (code === report.service_code) { requalifyDialog.close(); return; }
    const done = await act("/api/v1/reports/" + id + "/requalify", {
      service_code: code,
      internal_note: $("requalify-internal").value,
    }, requalifyDialog, "", e.submitter);
    if (done) {
      // The procedure (team, SLA, message templates) may have changed: reload the page.
      P.flash(P.t("requalified", { ref: done.reference }));
      window.location.reload();
    }
  });

  // --- move --------------------------------------------------------------------------
  let map = null;
  let marker = null;
  const latInput = $("move-lat");
  const longInput = $("move-long");
  const moveAddress = $("move-address");
  const moveNear = $("move-near");
  let addressAuto = false;
  let nearSeq = 0;
  // A place being chosen and not saved yet: a live update (someone else acting on the report)
  // must not put the pin and the coordinates back under the operator's hands.
  let moveEdited = false;
  function setFields(latlng) {
    latInput.value = latlng.lat.toFixed(6);
    longInput.value = latlng.lng.toFixed(6);
    // What the new point is near; the address follows the pin unless it was typed.
    const mine = (nearSeq += 1);
    Vigie.reverseAddress(latlng.lat, latlng.lng).then(function (found) {
      if (mine !== nearSeq) return;
      moveNear.textContent = found ? found.text : "";
      if (found && (addressAuto || !moveAddress.value.trim() || moveAddress.value === report.address)) {
        moveAddress.value = found.label;
        addressAuto = true;
      }
    });
  }
  Vigie.addressCombobox(moveAddress, {
    center: function () { return report.lat != null ? [report.lat, report.long] : null; },
    onPick: function (f) {
      moveEdited = true;
      const ll = L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]);
      latInput.value = ll.lat.toFixed(6);
      longInput.value = ll.lng.toFixed(6);
      addressAuto = false;
      moveNear.textContent = "";
      placeMarker(ll);
      if (map) map.setView(ll, Math.max(map.getZoom(), 17));
      Vigie.announce(P.t("pin_moved"));
    },
  });
  moveAddress.addEventListener("input", function () { addressAuto = false; });
  function placeMarker(latlng) {
    if (!map) return;
    if (!marker) {
      marker = P.pin(latlng, "drag", P.t("drag_pin"), { draggable: true, icon: L.divIcon({ className: "pin pin--drag", iconSize: [26, 26] }) }).addTo(map);
      marker.on("dragend", function () {
        moveEdited = true;
        setFields(marker.getLatLng());
        Vigie.announce(P.t("pin_moved"));
      });
    } else {
      marker.setLatLng(latlng);
    }
  }
  function updateMarker() {
    if (moveEdited) return;
    if (report.lat != null && report.long != null) {
      placeMarker(L.latLng(report.lat, report.long));
      if (document.activeElement !== latInput && document.activeElement !== longInput) {
        latInput.value = Number(report.lat).toFixed(6);
        longInput.value = Number(report.long).toFixed(6);
      }
    }
  }
  Vigie.map($("detail-map"), { keepView: report.lat != null, maxZoom: 19 }).then(function (m) {
    map = m;
    if (report.lat != null) map.setView([report.lat, report.long], 17);
    updateMarker();
    map.on("click", function (e) {
      if (P.CLOSED.indexOf(report.status) >= 0) return;
      moveEdited = true;
      placeMarker(e.latlng);
      setFields(e.latlng);
      Vigie.announce(P.t("pin_moved"));
    });
  });
  [latInput, longInput].forEach(function (input) {
    input.addEventListener("input", function () { moveEdited = true; });
    input.addEventListener("change", function () {
      const lat = parseFloat(latInput.value);
      const lng = parseFloat(longInput.value);
      if (isFinite(lat) && isFinite(lng)) { placeMarker(L.latLng(lat, lng)); map && map.panTo([lat, lng]); }
    });
  });
  $("move-form").addEventListener("submit", function (e) {
    e.preventDefault();
    const lat = parseFloat(latInput.value);
    const lng = parseFloat(longInput.value);
    if (!isFinite(lat) || !isFinite(lng)) {
      P.fieldError(actionError, isFinite(lat) ? longInput : latInput, P.t("coordinates_required"));
      return;
    }
    P.clearError(actionError);
    // Saved, the report's place is the one shown again (a refusal keeps the operator's).
    moveEdited = false;
    act("/api/v1/reports/" + id + "/move", { lat: lat, long: lng, address: $("move-address").value }, null, "moved", e.submitter)
      .then(function (done) { if (!done) moveEdited = true; });
  });
  function focusMove() {
    $("location").scrollIntoView({ block: "start" });
    latInput.focus();
  }

  // --- duplicates and merge ---------------------------------------------------------------
  const mergeDialog = $("merge-dialog");
  let candidate = null;
  function openMerge(other, opener) {
    candidate = other;
    const otherOlder = new Date(other.requested_at) <= new Date(report.requested_at);
    $("merge-keep-other-label").textContent = P.t("merge_keep", { keep: other.reference, dup: report.reference });
    $("merge-keep-this-label").textContent = P.t("merge_keep", { keep: report.reference, dup: other.reference });
    $("merge-keep-other").checked = otherOlder;
    $("merge-keep-this").checked = !otherOlder;
    $("merge-public").value = "";
    P.openDialog(mergeDialog, opener, "#merge-keep-" + (otherOlder ? "other" : "this"));
  }
  $("merge-form").addEventListener("submit", async function (e) {
    e.preventDefault();
    const keepOther = $("merge-keep-other").checked;
    const dupId = keepOther ? id : candidate.id;
    const keepId = keepOther ? candidate.id : id;
    const done = await act("/api/v1/reports/" + dupId + "/merge", { keep_id: Number(keepId), public_note: $("merge-public").value }, mergeDialog, "merged", e.submitter);
    if (done) loadDuplicates();
  });
  async function loadDuplicates() {
    const list = $("duplicates-list");
    if (report.lat == null) { list.replaceChildren(item(P.t("duplicates_no_location"))); return; }
    let found = [];
    try {
      const params = new URLSearchParams({ service_code: report.service_code, lat: report.lat, long: report.long });
      found = (await Vigie.api("/api/v1/reports/duplicates?" + params)).filter(function (r) { return r.id !== id; });
    } catch (err) {
      list.replaceChildren(item(P.errorText(err)));
      return;
    }
    if (!found.length) { list.replaceChildren(item(P.t("duplicates_none"))); return; }
    list.replaceChildren.apply(list, found.map(function (r) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = "/pilotage/signalements/" + r.id;
      a.textContent = r.reference;
      li.appendChild(a);
      li.appendChild(document.createTextNode(" · " + P.label("status", r.status) + " · " + P.t("distance", { m: Math.round(r.distance_m) }) + " · " + P.shortDate(r.requested_at) + " "));
      const b = document.createElement("button");
      b.type = "button";
      b.className = "button button--small";
      b.textContent = P.t("merge_button");
      const which = document.createElement("span");
      which.className = "visually-hidden";
      which.textContent = " " + r.reference;
      b.appendChild(which);
      b.setAttribute("aria-haspopup", "dialog");
      b.hidden = P.CLOSED.indexOf(report.status) >= 0;
      b.addEventListener("click", function () { openMerge(r, b); });
      li.appendChild(b);
      return li;
    }));
  }
  function item(text) { const li = document.createElement("li"); li.textContent = text; return li; }
  $("merge-manual").addEventListener("submit", async function (e) {
    e.preventDefault();
    const wanted = $("merge-id").value.trim().toUpperCase();
    if (!wanted || wanted === id || wanted === report.reference) return;
    P.clearError(actionError);
    try {
      let other = null;
      if (/^\d+$/.test(wanted)) {
        other = await Vigie.api("/api/v1/reports/" + wanted);
      } else {
        const found = await Vigie.api("/api/v1/reports?" + new URLSearchParams({ q: wanted, page_size: "5" }));
        other = found.items.find(function (r) { return r.reference === wanted; });
      }
      if (!other) throw Object.assign(new Error(wanted), { status: 404 });
      openMerge(other, e.submitter);
    } catch (err) {
      P.fieldError(actionError, $("merge-id"), err);
    }
  });
  function focusMerge() {
    $("duplicates").scrollIntoView({ block: "start" });
    const first = $("duplicates-list").querySelector("button:not([hidden])");
    (first || $("merge-id")).focus();
  }

  // --- toolbar and shortcuts -------------------------------------------------------------
  const handlers = {
    acknowledge: acknowledge,
    assign: function (b) { openAssign(b); },
    status: function (b) { openStatus("", b); },
    resolve: function (b) { openStatus("resolved", b); },
    reject: function (b) { openStatus("rejected", b); },
    requalify: function (b) { if (!button("requalify").hidden) P.openDialog(requalifyDialog, b, "#requalify-service"); },
    move: focusMove,
    merge: focusMerge,
  };
  $("actions").addEventListener("click", function (e) {
    const b = e.target.closest("[data-action]");
    if (b && handlers[b.dataset.action]) handlers[b.dataset.action](b);
  });

  const order = JSON.parse(window.sessionStorage.getItem("vigie.pilotage.queue") || "[]");
  const here = order.indexOf(id);
  function neighbour(step) { return here >= 0 ? order[here + step] : undefined; }
  [["prev-link", -1], ["next-link", 1]].forEach(function (pair) {
    const target = neighbour(pair[1]);
    if (target) { $(pair[0]).href = "/pilotage/signalements/" + target; $(pair[0]).hidden = false; }
  });
  function go(step) { const target = neighbour(step); if (target) window.location.href = "/pilotage/signalements/" + target; }

  // --- a report that came by e-mail: confirm (or correct) the suggested service ------------
  // One key: the service is requalified if it is not the one suggested first, then the
  // report is acknowledged.
  async function confirmService(b) {
    if (!b || !b.isConnected) return;
    const code = b.dataset.confirmService;
    if (code !== report.service_code) {
      const done = await act("/api/v1/reports/" + id + "/requalify", { service_code: code, internal_note: "" }, null, "", b);
      if (!done) return;
    }
    if (report.status === "new" || report.status === "reopened") {
      await act("/api/v1/reports/" + id + "/acknowledge", {}, null, "email_confirmed", b);
    } else {
      Vigie.announce(P.t("email_confirmed", { ref: report.reference }));
    }
    const section = $("email-intake");
    if (section) section.querySelectorAll("[data-confirm-service]").forEach(function (x) { x.disabled = true; });
  }
  const suggested = Array.prototype.slice.call(document.querySelectorAll("[data-confirm-service]"));
  suggested.forEach(function (b) { b.addEventListener("click", function () { confirmService(b); }); });
  function pick(n) { return function () { const b = suggested[n]; if (b && !b.disabled) confirmService(b); else return false; }; }

  function visible(action) { const b = button(action); return b && !b.hidden ? b : null; }
  P.shortcuts({
    "1": pick(0),
    "2": pick(1),
    "3": pick(2),
    a: function () { if (visible("acknowledge")) acknowledge(); },
    s: function () { if (visible("assign")) openAssign(button("assign")); },
    t: function () { if (visible("status")) openStatus("", button("status")); },
    r: function () { if (visible("resolve")) openStatus("resolved", button("resolve")); },
    x: function () { if (visible("reject")) openStatus("rejected", button("reject")); },
    c: function () { if (visible("requalify")) handlers.requalify(button("requalify")); },
    d: function () { if (visible("move")) focusMove(); },
    f: focusMerge,
    j: function () { go(1); },
    k: function () { go(-1); },
    u: function () { window.location.href = "/pilotage"; },
  });

  // Changes made by someone else appear without reloading. While one of our own
  // actions is in flight its refresh shows the latest state; a later change seen
  // meanwhile is applied right after.
  function newer(r) { return r.updated_at && r.updated_at !== report.updated_at && new Date(r.updated_at) > new Date(report.updated_at); }
  P.live({
    "report.updated": function (r) {
      if (r.id !== id) return;
      if (ownAction) { missed = r; return; }
      if (newer(r)) refresh(P.t("updated_elsewhere", { ref: r.reference }));
    },
  });

  // The work order is the page itself, printed with the print stylesheet.
  const printButton = document.getElementById("print-order");
  if (printButton) printButton.addEventListener("click", function () { window.print(); });

  updateButtons();
  loadDuplicates();
  const flash = P.takeFlash();
  if (flash) Vigie.announce(flash);
})();
