// Live alarm panel (equipment map, alarms page, asset page): list from the API,
// new alarms from the agents' stream (SSE) with the queue's visual and sound
// cue, filters, and acknowledge / assign / comment / clear in a dialog.
// Other scripts follow alarm changes through the "vigie:alarm" document event.
(function () {
  "use strict";
  const P = window.Pilotage;
  const D = P.data;
  const $ = P.$;
  const root = $("alarm-panel");
  if (!root) return;
  const panel = D.panel || {};
  const labels = D.labels || {};
  const form = $("alarm-filters");
  const body = $("alarm-body");
  const dialog = $("alarm-dialog");
  const items = new Map();
  const fresh = new Set();
  const SEVERITY = { critical: 0, major: 1, minor: 2, warning: 3 };
  const baseTitle = document.title;
  let opened = null;
  let agents = null;
  let beyond = 0;  // alarms matching the filters but not loaded (more than a page)

  function label(kind, code) { return ((labels[kind] || {})[code]) || code || ""; }
  function title(a) { return label("rules", a.type) || a.title || a.type; }

  function filters() {
    const f = { state: panel.asset_filter ? "all" : "active" };
    if (form) new FormData(form).forEach(function (value, key) { f[key] = String(value); });
    return f;
  }

  function matches(a, f) {
    if (panel.asset_filter && a.asset_id !== panel.asset_filter) return false;
    if (f.state === "active" && !a.active) return false;
    if (f.state === "cleared" && a.active) return false;
    if (["active", "cleared", "all"].indexOf(f.state) < 0 && a.state !== f.state) return false;
    if (f.severity && a.severity !== f.severity) return false;
    if (f.type && a.type !== f.type) return false;
    if (f.zone && a.zone !== f.zone) return false;
    return true;
  }

  let loading = 0;
  async function load() {
    const ticket = ++loading;
    const f = filters();
    const params = new URLSearchParams({ page_size: "500" });
    if (f.state !== "all") params.set("state", f.state);
    ["severity", "type", "zone"].forEach(function (k) { if (f[k]) params.set(k, f[k]); });
    if (panel.asset_filter) params.set("asset_id", panel.asset_filter);
    try {
      const res = await Vigie.api("/api/v1/alarms?" + params.toString());
      if (ticket !== loading) return;
      items.clear();
      res.items.forEach(function (a) { items.set(a.id, a); });
      beyond = Math.max(0, res.total - res.items.length);
      P.clearError($("alarm-error"));
      render();
    } catch (err) {
      P.showError($("alarm-error"), err);
    }
  }

  function compare(a, b) {
    return (b.active - a.active) || (b.escalated - a.escalated) ||
      ((SEVERITY[a.severity] || 9) - (SEVERITY[b.severity] || 9)) ||
      String(b.last_seen).localeCompare(String(a.last_seen)) || b.id - a.id;
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }
  function badge(cls, text) { return el("span", "badge badge--" + cls, text); }
  function hidden(text) { return el("span", "visually-hidden", text); }

  function row(a) {
    const tr = el("tr");
    tr.dataset.id = a.id;
    if (a.escalated && a.active) tr.classList.add("is-escalated");
    if (!a.active) tr.classList.add("is-cleared");
    if (fresh.has(a.id)) tr.classList.add("is-new");
    const sev = el("td");
    sev.appendChild(badge("sev-" + a.severity, label("severity", a.severity)));
    tr.appendChild(sev);
    const what = el("td");
    what.appendChild(el("strong", null, title(a)));
    if (fresh.has(a.id)) what.appendChild(el("span", "new-flag", P.t("new_flag")));
    if (a.escalated && a.active) what.appendChild(badge("escalated", P.t("escalated")));
    const asset = el("span", "alarm-meta");
    const link = el("a", null, a.asset_id);
    link.href = "/pilotage/equipements/" + encodeURIComponent(a.asset_id);
    asset.appendChild(document.createTextNode(label("asset_types", a.asset_type) + " "));
    asset.appendChild(link);
    if (a.zone) asset.appendChild(document.createTextNode(" · " + label("zones", a.zone)));
    what.appendChild(asset);
    const extra = [];
    if (a.assignee) extra.push(P.t("assigned_to", { name: a.assignee }));
    if (a.count > 1) extra.push(P.t("occurrences", { n: a.count }));
    if ((a.report_ids || []).length) extra.push(P.plural("linked_reports", a.report_ids.length));
    if (a.details && a.details.area && a.details.area !== label("zones", a.zone)) extra.push(a.details.area);
    if (extra.length) what.appendChild(el("span", "alarm-meta", extra.join(" · ")));
    tr.appendChild(what);
    const state = el("td");
    state.appendChild(badge("astate-" + a.state, label("alarm_state", a.state)));
    const seen = el("span", "alarm-meta", P.t("seen_at") + " ");
    const when = el("time", null, P.shortDate(a.last_seen));
    when.dateTime = a.last_seen || "";
    seen.appendChild(when);
    state.appendChild(seen);
    tr.appendChild(state);
    const cell = el("td");
    const actions = el("div", "alarm-actions");
    cell.appendChild(actions);
    if (panel.can_triage && !a.acknowledged) {
      const ack = el("button", "button button--small button--primary", P.t("acknowledge"));
      ack.type = "button";
      ack.dataset.act = "acknowledge";
      ack.appendChild(hidden(" " + title(a) + " " + a.asset_id));
      actions.appendChild(ack);
    }
    const more = el("button", "button button--small", P.t("manage"));
    more.type = "button";
    more.dataset.act = "open";
    more.setAttribute("aria-haspopup", "dialog");
    more.appendChild(hidden(" " + title(a) + " " + a.asset_id));
    actions.appendChild(more);
    tr.appendChild(cell);
    return tr;
  }

  function render() {
    const f = filters();
    const shown = Array.from(items.values()).filter(function (a) { return matches(a, f); }).sort(compare);
    const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("#alarm-body tr");
    const refocus = focused ? [focused.dataset.id, document.activeElement.dataset.act] : null;
    const frag = document.createDocumentFragment();
    shown.forEach(function (a) { frag.appendChild(row(a)); });
    body.replaceChildren(frag);
    $("alarm-empty").hidden = shown.length > 0;
    $("alarm-count").textContent = beyond
      ? P.t("alarm_count_partial", { n: shown.length, total: shown.length + beyond })
      : P.plural("alarm_count", shown.length);
    if (refocus) {
      const tr = body.querySelector('tr[data-id="' + refocus[0] + '"]');
      const target = tr && (tr.querySelector('[data-act="' + refocus[1] + '"]') || tr.querySelector('[data-act="open"]'));
      if (target) target.focus();
    }
    document.title = (fresh.size ? "(" + fresh.size + ") " : "") + baseTitle;
  }

  // Live changes are drawn once per frame, and the cue sounds at most every 2 s:
  // an alarm storm (hundreds of lights silent at once) must not freeze the page.
  let renderPending = false;
  function renderSoon() {
    if (renderPending) return;
    renderPending = true;
    requestAnimationFrame(function () { renderPending = false; render(); });
  }
  let lastCue = 0;
  let missedCues = 0;
  let cueTimer = null;
  function cue(text) {
    const now = Date.now();
    if (now - lastCue >= 2000) {
      lastCue = now;
      P.beep();
      Vigie.announce(text);
      return;
    }
    missedCues += 1;
    if (cueTimer) return;
    cueTimer = window.setTimeout(function () {
      cueTimer = null;
      lastCue = Date.now();
      P.beep();
      Vigie.announce(P.plural("more_alarms", missedCues));
      missedCues = 0;
    }, 2000 - (now - lastCue));
  }

  function seen(id) {
    if (fresh.delete(id)) render();
  }

  function notify(type, a) {
    document.dispatchEvent(new CustomEvent("vigie:alarm", { detail: { type: type, alarm: a } }));
  }

  async function acknowledge(id, button) {
    const a = items.get(id);
    try {
      const updated = await P.busy(button, function () {
        return Vigie.api("/api/v1/alarms/" + id + "/acknowledge", { method: "POST", json: {} });
      });
      fresh.delete(id);
      store(updated);
      render();
      if (opened === id) fill(updated);
      Vigie.announce(P.t("alarm_acknowledged", { title: title(a || updated), asset: updated.asset_id }));
      if (dialog.open) {
        $("alarm-dialog-title").focus();
      } else {
        const tr = body.querySelector('tr[data-id="' + id + '"]');
        const next = tr && tr.querySelector('[data-act="open"]');
        if (next) next.focus();
      }
    } catch (err) {
      P.showError(dialog.open ? dialog.querySelector("[data-error]") : $("alarm-error"), err);
    }
  }

  function store(a) {
    const known = items.get(a.id);
    const merged = Object.assign({}, known || {}, a);
    if (!merged.report_ids && known) merged.report_ids = known.report_ids;
    items.set(a.id, merged);
    notify("alarm.updated", merged);
    return merged;
  }

  body.addEventListener("click", function (e) {
    const button = e.target.closest("button[data-act]");
    if (!button) return;
    const id = Number(button.closest("tr").dataset.id);
    seen(id);
    if (button.dataset.act === "acknowledge") acknowledge(id, button);
    else openDialog(id, button);
  });
  body.addEventListener("focusin", function (e) {
    const tr = e.target.closest("tr");
    if (tr && fresh.has(Number(tr.dataset.id))) {
      fresh.delete(Number(tr.dataset.id));
      document.title = (fresh.size ? "(" + fresh.size + ") " : "") + baseTitle;
    }
  });

  // --- dialog ----------------------------------------------------------------
  function fact(dl, term, value) {
    if (value == null || value === "") return;
    const div = el("div");
    div.appendChild(el("dt", null, term));
    const dd = el("dd");
    if (value instanceof Node) dd.appendChild(value); else dd.textContent = value;
    div.appendChild(dd);
    dl.appendChild(div);
  }

  function detailText(key, value) {
    const shown = typeof value === "string" ? label("values", value) : typeof value === "boolean" ? P.t(value ? "yes" : "no") : JSON.stringify(value);
    return label("metrics", key) + " : " + shown;
  }

  function fill(a, initial) {
    $("alarm-dialog-title").textContent = title(a) + " — " + a.asset_id;
    const dl = $("alarm-facts");
    dl.replaceChildren();
    fact(dl, P.t("severity"), label("severity", a.severity));
    fact(dl, P.t("state"), label("alarm_state", a.state) + (a.escalated && a.active ? " · " + P.t("escalated") : ""));
    const assetLink = el("a", null, a.asset_id);
    assetLink.href = "/pilotage/equipements/" + encodeURIComponent(a.asset_id);
    fact(dl, P.t("asset"), assetLink);
    fact(dl, P.t("zone"), label("zones", a.zone));
    fact(dl, P.t("first_seen"), P.longDate(a.first_seen));
    fact(dl, P.t("last_seen"), P.longDate(a.last_seen) + (a.count > 1 ? " (" + P.t("occurrences", { n: a.count }) + ")" : ""));
    fact(dl, P.t("assignee"), a.assignee || P.t("nobody"));
    if (a.acknowledged_at) fact(dl, P.t("acknowledged_by"), a.acknowledged_by + " · " + P.longDate(a.acknowledged_at));
    if (a.cleared_at) fact(dl, P.t("cleared_by"), a.cleared_by + " · " + P.longDate(a.cleared_at));
    const details = Object.keys(a.details || {}).map(function (k) { return detailText(k, a.details[k]); });
    fact(dl, P.t("details"), details.join(" · "));
    const ack = $("alarm-ack");
    if (ack) ack.hidden = !!a.acknowledged;
    const clear = $("alarm-clear-form");
    if (clear) clear.hidden = !a.active;
    const user = $("alarm-assign-user");
    // Only when the dialog opens: a live refresh must not undo what the agent is choosing.
    if (user && initial) user.value = a.assigned_user_id ? String(a.assigned_user_id) : "";
    reports(a);
    const history = $("alarm-history");
    history.replaceChildren.apply(history, (a.history || []).slice().reverse().map(function (h) {
      const li = el("li");
      const head = el("p", "timeline__head");
      head.appendChild(el("strong", null, label("alarm_kind", h.kind)));
      head.appendChild(document.createTextNode(" · " + P.longDate(h.at) + " · " + (h.actor || "")));
      li.appendChild(head);
      if (h.note) li.appendChild(el("p", "note note--internal", h.note));
      return li;
    }));
  }

  async function reports(a) {
    const list = $("alarm-reports");
    const ids = a.report_ids || [];
    list.replaceChildren();
    if (!ids.length) { list.appendChild(el("li", "small", P.t("no_reports"))); return; }
    ids.forEach(function (rid) {
      const li = el("li");
      const link = el("a", null, "#" + rid);
      link.href = "/pilotage/signalements/" + rid;
      li.appendChild(link);
      list.appendChild(li);
      Vigie.api("/api/v1/reports/" + rid).then(function (r) {
        link.textContent = r.reference || "#" + rid;
        li.appendChild(document.createTextNode(" — " + (r.service_name || "") + " · " + P.label("status", r.status)));
      }).catch(function () { /* the link still works */ });
    });
  }

  async function loadAgents() {
    const select = $("alarm-assign-user");
    if (!select || agents) return;
    agents = await Vigie.api("/api/v1/pilotage/agents");
    agents.forEach(function (ag) {
      const option = el("option", null, ag.name + (ag.team ? " (" + ag.team + ")" : ""));
      option.value = String(ag.id);
      select.appendChild(option);
    });
  }

  async function openDialog(id, opener) {
    opened = id;
    P.openDialog(dialog, opener, "[data-close]");
    try {
      const [detail] = await Promise.all([Vigie.api("/api/v1/alarms/" + id), loadAgents()]);
      fill(store(detail), true);
    } catch (err) {
      P.showError(dialog.querySelector("[data-error]"), err);
    }
  }
  dialog.addEventListener("close", function () { opened = null; });

  async function act(path, payload, message, submitter) {
    const errorBox = dialog.querySelector("[data-error]");
    P.clearError(errorBox);
    try {
      const updated = await P.busy(submitter, function () {
        return Vigie.api("/api/v1/alarms/" + opened + "/" + path, { method: "POST", json: payload });
      });
      fill(store(updated));
      render();
      Vigie.announce(message);
      return true;
    } catch (err) {
      P.showError(errorBox, err);
      return false;
    }
  }
  const ackButton = $("alarm-ack");
  if (ackButton) ackButton.addEventListener("click", function () { acknowledge(opened, ackButton); });
  const assignForm = $("alarm-assign-form");
  if (assignForm) assignForm.addEventListener("submit", async function (e) {
    e.preventDefault();
    const value = $("alarm-assign-user").value;
    const ok = await act("assign", { user_id: value ? Number(value) : null, note: $("alarm-assign-note").value }, P.t("alarm_assigned"), e.submitter);
    if (ok) $("alarm-assign-note").value = "";
  });
  const commentForm = $("alarm-comment-form");
  if (commentForm) commentForm.addEventListener("submit", async function (e) {
    e.preventDefault();
    const note = $("alarm-comment").value.trim();
    if (!note) { P.showError(dialog.querySelector("[data-error]"), P.t("comment_required")); return; }
    if (await act("comment", { note: note }, P.t("alarm_commented"), e.submitter)) $("alarm-comment").value = "";
  });
  const clearForm = $("alarm-clear-form");
  if (clearForm) clearForm.addEventListener("submit", function (e) {
    e.preventDefault();
    act("clear", { note: $("alarm-clear-note").value }, P.t("alarm_cleared"), e.submitter);
  });

  // --- filters, mute, live -------------------------------------------------------
  if (form) {
    form.addEventListener("change", load);
    form.addEventListener("submit", function (e) { e.preventDefault(); });
  }
  const mute = $("mute-toggle");
  function showMute() {
    const muted = P.isMuted();
    mute.setAttribute("aria-pressed", muted ? "true" : "false");
    mute.textContent = muted ? P.t("sound_off") : P.t("sound_on");
  }
  if (mute) {
    mute.addEventListener("click", function () { P.setMuted(!P.isMuted()); showMute(); });
    showMute();
  }

  function onRaised(a) {
    items.set(a.id, a);
    notify("alarm.raised", a);
    if (!matches(a, filters())) return;
    fresh.add(a.id);
    renderSoon();
    cue(P.t("new_alarm", { title: title(a), asset: a.asset_id, zone: label("zones", a.zone) }));
  }
  function onChanged(type) {
    return function (a) {
      const known = items.get(a.id);
      const merged = store(a);
      if (opened === a.id) Vigie.api("/api/v1/alarms/" + a.id).then(function (d) { fill(store(d)); }).catch(function () {});
      if (!known && !matches(merged, filters())) return;
      renderSoon();
      if (type === "alarm.escalated" && matches(merged, filters())) {
        cue(P.t("alarm_escalated", { title: title(merged), asset: merged.asset_id }));
      }
    };
  }
  function onAsset(data) {
    if (data && data.asset) document.dispatchEvent(new CustomEvent("vigie:asset", { detail: data.asset }));
  }
  P.live({
    "alarm.raised": onRaised,
    "alarm.updated": onChanged("alarm.updated"),
    "alarm.escalated": onChanged("alarm.escalated"),
    "alarm.cleared": onChanged("alarm.cleared"),
    "asset.created": onAsset,
    "asset.updated": onAsset,
  }, function () { load(); document.dispatchEvent(new CustomEvent("vigie:reconnect")); });

  P.shortcuts({
    m: function () { if (mute) mute.click(); else return false; },
    g: function () { const m = $("equipment-map"); if (m) m.focus(); else return false; },
    l: function () {
      const first = body.querySelector("button[data-act]");
      if (first) first.focus(); else $("alarm-heading").focus();
    },
  });

  window.AlarmPanel = { items: items, reload: load };
  load();
})();
