// Phone intake ("Allo mairie"): an operator files a report for a caller in a
// few keystrokes: caller, category search (Enter picks the first match),
// required attributes, address or pin, submit (Ctrl+Enter).
(function () {
  "use strict";
  const P = window.Pilotage;
  const D = P.data;
  const $ = P.$;
  const services = D.services || [];
  const form = $("intake-form");
  const search = $("service-search");
  const results = $("service-results");
  const attributes = $("attributes");
  const errorBox = $("intake-error");
  const MAX_RESULTS = 8;
  let chosen = null;
  let idempotencyKey = newKey();
  let map = null;
  let marker = null;

  function newKey() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
  }
  function fold(text) {
    return String(text || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/-/g, " ");
  }
  services.forEach(function (s) {
    s._name = fold(s.name);
    s._keys = fold(s.keywords.join(" ") + " " + (D.groups[s.group] || ""));
    s._desc = fold(s.description);
  });

  function score(s, words) {
    let total = 0;
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      if (s._name.startsWith(w)) total += 6;
      else if (s._name.indexOf(w) >= 0) total += 4;
      else if (s._keys.indexOf(w) >= 0) total += 3;
      else if (s._desc.indexOf(w) >= 0) total += 1;
      else return 0;
    }
    return total;
  }
  // What the model trained on the city's history suggests for the words typed, when the
  // catalogue's own words find nothing ("the light outside no. 12 stays off at night").
  let suggested = { text: "", list: [] };
  let suggestTimer = null;
  function askSuggestions(text, then) {
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(async function () {
      try {
        const found = await Vigie.api("/api/v1/pilotage/suggest?text=" + encodeURIComponent(text));
        const list = found.map(function (f) { return services.find(function (s) { return s.code === f.service_code; }); }).filter(Boolean);
        then(list);
      } catch (err) { /* suggestions are a help: the search still works without them */ }
    }, 250);
  }
  function matches() {
    const words = fold(search.value).split(/\s+/).filter(Boolean);
    if (!words.length) return [];
    const local = services
      .map(function (s) { return [score(s, words), s]; })
      .filter(function (p) { return p[0] > 0; })
      .sort(function (a, b) { return b[0] - a[0] || a[1].name.localeCompare(b[1].name); })
      .slice(0, MAX_RESULTS)
      .map(function (p) { return p[1]; });
    return local.length || suggested.text !== search.value ? local : suggested.list;
  }

  function renderResults() {
    const list = matches();
    if (chosen && list.indexOf(chosen) < 0) list.unshift(chosen);
    results.replaceChildren.apply(results, list.map(function (s) {
      const div = document.createElement("div");
      div.className = "choice";
      const input = document.createElement("input");
      input.type = "radio";
      input.name = "service_code";
      input.id = "svc-" + s.code;
      input.value = s.code;
      input.checked = chosen === s;
      const label = document.createElement("label");
      label.htmlFor = input.id;
      label.textContent = s.name + " ";
      const group = document.createElement("span");
      group.className = "group-name";
      group.textContent = "— " + (D.groups[s.group] || s.group) + (s.public ? "" : " · " + P.t("sensitive"));
      label.appendChild(group);
      div.appendChild(input);
      div.appendChild(label);
      return div;
    }));
    if (search.value.trim() && !list.length) {
      const p = document.createElement("p");
      p.className = "small";
      p.textContent = P.t("no_service");
      results.appendChild(p);
    }
  }

  function choose(s) {
    chosen = s;
    renderResults();
    renderAttributes();
    $("service-chosen").textContent = s ? P.t("service_chosen", { name: s.name }) : "";
    checkDuplicates();
  }
  search.addEventListener("input", function () {
    renderResults();
    const text = search.value;
    if (text.trim().split(/\s+/).length >= 2 && !matches().length) {
      askSuggestions(text, function (list) { suggested = { text: text, list: list }; if (search.value === text) renderResults(); });
    }
  });
  // Words of the description suggest services too, while none is chosen.
  const described = $("description-suggestions");
  $("intake-description").addEventListener("input", function () {
    const text = $("intake-description").value;
    if (chosen || text.trim().length < 8) { described.hidden = true; return; }
    askSuggestions(text, function (list) {
      if (chosen || !list.length) { described.hidden = true; return; }
      described.replaceChildren(document.createTextNode(P.t("suggested_services") + " "));
      list.forEach(function (s) {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "button";
        b.textContent = s.name;
        b.addEventListener("click", function () { choose(s); described.hidden = true; });
        described.appendChild(b);
        described.appendChild(document.createTextNode(" "));
      });
      described.hidden = false;
    });
  });
  search.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.ctrlKey) {
      e.preventDefault();
      const first = matches()[0];
      if (!first) return;
      choose(first);
      const next = attributes.querySelector("input, select, textarea");
      (next || $("intake-address")).focus();
    } else if (e.key === "ArrowDown") {
      const radio = results.querySelector("input:checked") || results.querySelector("input");
      if (radio) { e.preventDefault(); radio.focus(); }
    }
  });
  results.addEventListener("change", function (e) {
    const s = services.find(function (x) { return x.code === e.target.value; });
    if (s) { chosen = s; renderAttributes(); $("service-chosen").textContent = P.t("service_chosen", { name: s.name }); checkDuplicates(); }
  });

  // --- attributes ------------------------------------------------------------------
  function field(a) {
    const id = "attr-" + a.code;
    const wrap = document.createElement(a.datatype.endsWith("valuelist") && a.values.length <= 4 ? "fieldset" : "div");
    wrap.className = "field";
    wrap.dataset.attribute = a.code;
    const title = a.description + (a.required ? " " + P.t("required_mark") : "");
    if (wrap.tagName === "FIELDSET") {
      const legend = document.createElement("legend");
      legend.textContent = title;
      wrap.appendChild(legend);
      a.values.forEach(function (v, i) {
        const div = document.createElement("div");
        div.className = "choice";
        const input = document.createElement("input");
        input.type = a.datatype === "multivaluelist" ? "checkbox" : "radio";
        input.name = id;
        input.id = id + "-" + i;
        input.value = v.key;
        if (a.required && input.type === "radio" && i === 0) input.required = true;
        const label = document.createElement("label");
        label.htmlFor = input.id;
        label.textContent = v.name;
        div.appendChild(input);
        div.appendChild(label);
        wrap.appendChild(div);
      });
      return wrap;
    }
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = title;
    wrap.appendChild(label);
    let input;
    if (a.datatype.endsWith("valuelist")) {
      input = document.createElement("select");
      if (a.datatype === "multivaluelist") input.multiple = true;
      else input.appendChild(new Option("—", ""));
      a.values.forEach(function (v) { input.appendChild(new Option(v.name, v.key)); });
    } else if (a.datatype === "text") {
      input = document.createElement("textarea");
    } else {
      input = document.createElement("input");
      input.type = a.datatype === "number" ? "number" : a.datatype === "datetime" ? "datetime-local" : "text";
      if (a.datatype === "number") input.step = "any";
    }
    input.id = id;
    input.name = id;
    if (a.required) input.required = true;
    wrap.appendChild(input);
    return wrap;
  }
  function renderAttributes() {
    attributes.replaceChildren();
    if (!chosen) return;
    const required = chosen.attributes.filter(function (a) { return a.required; });
    const optional = chosen.attributes.filter(function (a) { return !a.required; });
    required.forEach(function (a) { attributes.appendChild(field(a)); });
    if (optional.length) {
      const details = document.createElement("details");
      const summary = document.createElement("summary");
      summary.textContent = P.t("optional_details", { n: optional.length });
      details.appendChild(summary);
      const inner = document.createElement("div");
      inner.className = "form";
      optional.forEach(function (a) { inner.appendChild(field(a)); });
      details.appendChild(inner);
      attributes.appendChild(details);
    }
  }
  function attributeValues() {
    const out = {};
    if (!chosen) return out;
    chosen.attributes.forEach(function (a) {
      const id = "attr-" + a.code;
      const inputs = Array.from(form.querySelectorAll('[name="' + id + '"]'));
      let value = null;
      if (!inputs.length) return;
      if (inputs[0].type === "radio") {
        const c = inputs.find(function (i) { return i.checked; });
        value = c ? c.value : null;
      } else if (inputs[0].type === "checkbox") {
        value = inputs.filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
        if (!value.length) value = null;
      } else if (inputs[0].multiple) {
        value = Array.from(inputs[0].selectedOptions).map(function (o) { return o.value; });
        if (!value.length) value = null;
      } else if (inputs[0].type === "datetime-local") {
        value = inputs[0].value ? new Date(inputs[0].value).toISOString() : null;
      } else {
        value = inputs[0].value.trim() || null;
        if (value !== null && a.datatype === "number") value = Number(value);
      }
      if (value !== null) out[a.code] = value;
    });
    return out;
  }

  // --- location ---------------------------------------------------------------------
  const lat = $("intake-lat");
  const lng = $("intake-long");
  function setPin(latlng, announce) {
    if (!map) return;
    if (!marker) marker = P.pin(latlng, "drag", P.t("drag_pin"), { draggable: true, icon: L.divIcon({ className: "pin pin--drag", iconSize: [26, 26] }) }).addTo(map);
    else marker.setLatLng(latlng);
    marker.off("dragend").on("dragend", function () { fill(marker.getLatLng()); checkDuplicates(); });
    if (announce) Vigie.announce(P.t("pin_set"));
  }
  function fill(latlng) {
    lat.value = latlng.lat.toFixed(6);
    lng.value = latlng.lng.toFixed(6);
    showNear(latlng);
  }
  // Under the pin: what it is near; an empty (or still automatic) address takes it.
  const addressInput = $("intake-address");
  const near = $("intake-near");
  let addressAuto = false;
  let addressId = ""; // the gazetteer's id of the address chosen or found under the pin
  let nearSeq = 0;
  function showNear(latlng) {
    const mine = (nearSeq += 1);
    Vigie.reverseAddress(latlng.lat, latlng.lng).then(function (found) {
      if (mine !== nearSeq) return;
      near.textContent = found ? found.text : "";
      if (found && (!addressInput.value.trim() || addressAuto)) {
        addressInput.value = found.label;
        addressAuto = true;
        addressId = found.feature.properties.kind !== "zone" ? found.feature.properties.id || "" : "";
      }
    });
  }
  // The operator types the caller's address: the first suggestion is one arrow key away.
  Vigie.addressCombobox(addressInput, {
    center: function () {
      if (!map) return null;
      const c = map.getCenter();
      return [c.lat, c.lng];
    },
    onPick: function (f) {
      const ll = L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]);
      setPin(ll, false);
      lat.value = ll.lat.toFixed(6);
      lng.value = ll.lng.toFixed(6);
      addressAuto = false;
      addressId = f.properties.id || "";
      near.textContent = "";
      if (map) map.setView(ll, Math.max(map.getZoom(), 17));
      checkDuplicates();
    },
  });
  addressInput.addEventListener("input", function () { addressAuto = false; addressId = ""; });
  // The map is for the mouse: keyboard users have the address box and the coordinates.
  Vigie.map($("intake-map"), { maxZoom: 19, tabbable: false }).then(function (m) {
    map = m;
    map.on("click", function (e) { setPin(e.latlng, true); fill(e.latlng); checkDuplicates(); });
  });
  [lat, lng].forEach(function (input) {
    input.addEventListener("change", function () {
      const a = parseFloat(lat.value);
      const b = parseFloat(lng.value);
      if (isFinite(a) && isFinite(b)) { setPin(L.latLng(a, b), false); map.panTo([a, b]); showNear(L.latLng(a, b)); checkDuplicates(); }
    });
  });

  async function checkDuplicates() {
    const box = $("intake-duplicates");
    const a = parseFloat(lat.value);
    const b = parseFloat(lng.value);
    if (!chosen || !isFinite(a) || !isFinite(b)) { box.hidden = true; return; }
    try {
      const found = await Vigie.api("/api/v1/reports/duplicates?" + new URLSearchParams({ service_code: chosen.code, lat: a, long: b }));
      if (!found.length) { box.hidden = true; return; }
      box.replaceChildren(document.createTextNode(P.t("intake_duplicates") + " "));
      found.slice(0, 3).forEach(function (r, i) {
        const link = document.createElement("a");
        link.href = "/pilotage/signalements/" + r.id;
        link.textContent = r.reference + " (" + P.t("distance", { m: Math.round(r.distance_m) }) + ")";
        if (i) box.appendChild(document.createTextNode(", "));
        box.appendChild(link);
      });
      box.hidden = false;
    } catch (err) {
      box.hidden = true;
    }
  }

  // --- submit -----------------------------------------------------------------------
  function invalid(el, message) {
    if (el) P.fieldError(errorBox, el, message); else P.showError(errorBox, message);
  }
  function fieldFor(name) {
    if (!name) return null;
    if (name === "service_code") return search;
    if (name === "lat" || name === "long") return lat;
    if (name === "address_string" || name === "address") return $("intake-address");
    if (name === "email" || name === "reporter_email") return $("caller-email");
    if (name === "reporter_phone") return $("caller-phone");
    if (name === "reporter_name") return $("caller-name");
    const m = /^attribute\[(.+)\]$/.exec(name);
    if (m) return form.querySelector('[name="attr-' + m[1] + '"]');
    return null;
  }
  form.addEventListener("submit", async function (e) {
    e.preventDefault();
    P.clearError(errorBox);
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    if (!chosen) return invalid(search, P.t("choose_service"));
    const values = attributeValues();
    const missing = chosen.attributes.find(function (a) { return a.required && values[a.code] == null; });
    if (missing) return invalid(form.querySelector('[name="attr-' + missing.code + '"]'), P.t("attribute_required", { name: missing.description }));
    const a = parseFloat(lat.value);
    const b = parseFloat(lng.value);
    let address = $("intake-address").value.trim();
    const zone = $("intake-zone").value;
    if (zone && fold(address).indexOf(fold(zone)) < 0) address = (address ? address + ", " : "") + zone;
    const pinned = isFinite(a) && isFinite(b);
    if (!pinned && !address) return invalid($("intake-address"), P.t("location_required"));
    const body = {
      channel: "phone",
      service_code: chosen.code,
      description: $("intake-description").value,
      address: address,
      address_id: addressId,
      attributes: values,
      reporter_name: $("caller-name").value.trim(),
      reporter_phone: $("caller-phone").value.trim(),
      reporter_email: $("caller-email").value.trim(),
      lang: $("caller-lang").value,
    };
    if (pinned) { body.lat = a; body.long = b; }
    try {
      const created = await P.busy($("intake-submit"), function () {
        return Vigie.api("/api/v1/reports", { method: "POST", json: body, headers: { "Idempotency-Key": idempotencyKey } });
      });
      done(created);
    } catch (err) {
      invalid(fieldFor(err.field), P.errorText(err));
    }
  });
  form.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
  });
  form.addEventListener("reset", function () {
    window.setTimeout(function () {
      chosen = null;
      renderResults();
      renderAttributes();
      $("service-chosen").textContent = "";
      $("intake-duplicates").hidden = true;
      if (marker) { marker.remove(); marker = null; }
      near.textContent = "";
      addressAuto = false;
      addressId = "";
      P.clearError(errorBox);
      idempotencyKey = newKey();
    }, 0);
  });

  function done(report) {
    $("intake-done-title").textContent = P.t("intake_done", { ref: report.reference });
    $("intake-done-text").textContent = P.t("intake_done_text", { ref: report.reference, service: chosen.name });
    $("intake-done-link").href = "/pilotage/signalements/" + report.id;
    $("intake-done").hidden = false;
    form.hidden = true;
    $("intake-done").focus();
  }
  $("intake-again").addEventListener("click", function () {
    form.reset();
    form.hidden = false;
    $("intake-done").hidden = true;
    $("caller-name").focus();
  });

  P.shortcuts({ "/": function () { search.focus(); } });
  $("caller-name").focus();
})();
