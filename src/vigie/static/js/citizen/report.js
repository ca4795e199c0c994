// "Signaler un problème": category → place → (already reported?) → details → sent or kept on the device.
(function () {
  "use strict";
  const Vigie = window.Vigie;
  const C = window.Citizen;
  const cfg = C.config;
  const t = C.t;
  const form = document.getElementById("report-form");
  if (!form) return;
  const $ = function (id) { return document.getElementById(id); };
  const STEPS = ["category", "location", "duplicates", "details", "done", "queued"];
  const PROGRESS = { category: 0, location: 1, duplicates: 1, details: 2 };
  const state = { service: null, lat: null, long: null, photos: [], key: null, map: null, marker: null, addressAuto: false, addressId: "", checked: "" };
  let current = "category";

  function make(tag, props, children) {
    const el = document.createElement(tag);
    Object.keys(props || {}).forEach(function (k) {
      if (k === "text") el.textContent = props[k];
      else if (k === "class") el.className = props[k];
      else if (props[k] === true) el.setAttribute(k, "");
      else if (props[k] !== false && props[k] != null) el.setAttribute(k, props[k]);
    });
    (children || []).forEach(function (c) { el.append(c); });
    return el;
  }

  function show(name) {
    STEPS.forEach(function (s) { $("step-" + s).hidden = s !== name; });
    form.hidden = name === "done" || name === "queued";
    current = name;
    form.querySelectorAll(".progress li").forEach(function (li, i) {
      if (i === PROGRESS[name]) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
      li.classList.toggle("is-done", i < PROGRESS[name]);
    });
    if (name === "location") initMap();
    const title = $("step-" + name).querySelector(".step__title");
    title.focus();
    title.scrollIntoView({ block: "start" });
  }

  // --- 1. Category -----------------------------------------------------------------
  const buttons = Array.from(form.querySelectorAll(".cat"));
  const items = Array.from(form.querySelectorAll(".cat-list li"));
  const groups = Array.from(form.querySelectorAll(".cat-group"));
  buttons.forEach(function (b) { b.addEventListener("click", function () { choose(b.dataset.code); }); });

  function choose(code) {
    const svc = cfg.services[code];
    if (!svc) return;
    buttons.forEach(function (b) {
      if (b.dataset.code === code) b.setAttribute("aria-current", "true"); else b.removeAttribute("aria-current");
    });
    form.querySelectorAll("[data-chosen-name]").forEach(function (el) { el.textContent = svc.name; });
    if (state.service !== code) renderAttributes(svc);
    state.service = code;
    $("service_code").value = code;
    show("location");
  }

  function fold(text) { return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); }
  const search = $("category-search");
  let searchTimer = 0;
  search.addEventListener("input", function () { clearTimeout(searchTimer); searchTimer = setTimeout(filter, 120); });
  function visibleItems() { return items.filter(function (li) { return !li.hidden; }); }
  function filter() {
    const words = fold(search.value).split(/[^a-z0-9]+/).filter(Boolean);
    items.forEach(function (li) {
      li.hidden = !words.every(function (w) { return li.dataset.search.indexOf(w) !== -1; });
    });
    groups.forEach(function (g) {
      const n = g.querySelectorAll("li:not([hidden])").length;
      g.hidden = n === 0;
      g.open = words.length > 0 && n > 0;
    });
    const n = visibleItems().length;
    $("category-count").textContent = !words.length ? "" : n ? C.plural("js.categories_found", n) : t("js.no_category");
  }

  // --- 2. Place --------------------------------------------------------------------
  const status = $("location-status");
  const address = $("address");

  // how: gps, map, photo or address: the step says where the position came from, then
  // what it is near ("près du 12 rue de la Liberté"), which also fills an empty address.
  let reverseSeq = 0;
  function setLocation(lat, long, how, label) {
    state.lat = Math.round(lat * 1e6) / 1e6;
    state.long = Math.round(long * 1e6) / 1e6;
    const coords = state.lat.toFixed(5) + ", " + state.long.toFixed(5);
    const said = t("js.location_" + how, { coords: coords, address: label || "" });
    status.textContent = said;
    status.classList.add("is-set");
    status.dataset.source = how;
    clearErrors("address");
    placeMarker();
    if (how === "address") { state.addressAuto = false; return; }
    if (state.addressAuto) state.addressId = "";
    const mine = (reverseSeq += 1);
    Vigie.reverseAddress(state.lat, state.long).then(function (found) {
      if (!found || mine !== reverseSeq) return;
      status.textContent = said + " " + t("js.location_near", { near: found.text });
      if (!address.value.trim() || state.addressAuto) {
        address.value = found.label;
        state.addressAuto = true;
        state.addressId = found.feature.properties.kind !== "zone" ? found.feature.properties.id || "" : "";
      }
    });
  }

  $("geolocate").addEventListener("click", function () {
    if (!navigator.geolocation) { status.textContent = t("js.geo_unavailable"); return; }
    status.textContent = t("js.geo_searching");
    navigator.geolocation.getCurrentPosition(
      function (pos) { setLocation(pos.coords.latitude, pos.coords.longitude, "gps"); },
      function (err) { status.textContent = t(err.code === 1 ? "js.geo_denied" : "js.geo_failed"); },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });

  let mapReady = null;
  function initMap() {
    if (mapReady) { if (state.map) state.map.invalidateSize(); return mapReady; }
    const el = $("location-map");
    mapReady = C.leaflet()
      // No zoom animation: a pin placed while the map fits the city must not be moved back.
      .then(function () { return Vigie.map(el, { zoomAnimation: false, maxZoom: 19 }); })
      .then(function (map) {
        state.map = map;
        map.on("click", function (e) { setLocation(e.latlng.lat, e.latlng.lng, "map"); });
        placeMarker();
      })
      .catch(function () {
        mapReady = null;
        el.classList.add("map--unavailable");
        el.textContent = t("js.map_unavailable");
      });
    return mapReady;
  }

  function placeMarker() {
    if (!state.map || state.lat == null) return;
    const ll = [state.lat, state.long];
    if (!state.marker) {
      state.marker = window.L.marker(ll, { draggable: true, autoPan: true, title: t("js.marker"), alt: t("js.marker") }).addTo(state.map);
      state.marker.on("dragend", function () {
        const p = state.marker.getLatLng();
        setLocation(p.lat, p.lng, "map");
      });
    } else {
      state.marker.setLatLng(ll);
    }
    state.map.setView(ll, Math.max(state.map.getZoom(), 16));
  }

  $("pin-center").addEventListener("click", function () {
    if (!state.map) { status.textContent = t("js.map_unavailable"); return; }
    const c = state.map.getCenter();
    setLocation(c.lat, c.lng, "map");
  });

  // Address: the city's addresses as one types (Vigie's own geocoder); choosing one places the pin.
  Vigie.addressCombobox(address, {
    center: function () {
      if (state.lat != null) return [state.lat, state.long];
      if (state.map) { const c = state.map.getCenter(); return [c.lat, c.lng]; }
      return null;
    },
    onPick: function (f) {
      const c = f.geometry.coordinates;
      state.addressId = f.properties.id || "";
      setLocation(c[1], c[0], "address", f.properties.label);
    },
  });
  address.addEventListener("input", function () { state.addressAuto = false; state.addressId = ""; clearErrors("address"); });

  // A photo first (FixMyStreet's order): its own position is proposed, the resident confirms
  // it or moves the pin; the photo joins the report.
  $("location-photo").addEventListener("change", async function (e) {
    const files = Array.from(e.target.files || []);
    e.target.value = "";
    if (!files.length) return;
    const where = await Vigie.photoPosition(files[0]);
    await addPhotos(files);
    if (where) {
      await initMap();
      setLocation(where.lat, where.lon, "photo");
    } else {
      status.textContent = t("js.photo_no_position");
    }
  });

  async function afterLocation() {
    if (state.lat == null && !address.value.trim()) {
      showErrors([{ field: "address", text: t("js.err_location") }]);
      return;
    }
    const svc = cfg.services[state.service];
    const where = state.service + "@" + state.lat + "," + state.long;
    if (svc.public && state.lat != null && navigator.onLine !== false && state.checked !== where) {
      state.checked = where;
      try {
        const q = "service_code=" + encodeURIComponent(state.service) + "&lat=" + state.lat + "&long=" + state.long;
        const found = await C.get("/api/v1/reports/duplicates?" + q);
        if (found.length) { renderDuplicates(found); show("duplicates"); return; }
      } catch (e) { /* no suggestion without network */ }
    }
    show("details");
  }

  function renderDuplicates(list) {
    const ul = $("dup-list");
    ul.replaceChildren();
    list.forEach(function (r, i) {
      const id = "dup-" + i;
      const follow = make("button", { type: "button", class: "button button--primary", "aria-describedby": id, text: t("js.follow") });
      follow.addEventListener("click", function () { followReport(r, follow); });
      const photo = (r.photos || []).map(function (p) { return C.localUrl(p.thumbnail_url); }).filter(Boolean)[0];
      ul.append(make("li", {}, [
        make("p", { id: id }, [make("strong", { text: r.service_name }), " ",
          make("span", { class: "badge badge--" + r.status, text: t("status." + r.status) })]),
        make("p", { class: "small", text: [r.address, t("js.distance", { m: Math.round(r.distance_m) }),
          t("js.reported_on", { date: Vigie.formatDate(r.requested_at) })].filter(Boolean).join(" · ") }),
        photo ? make("img", { src: photo, alt: t("js.dup_photo"), width: 160, height: 120, class: "dup-photo" }) : "",
        follow,
      ]));
    });
  }

  async function followReport(r, button) {
    button.disabled = true;
    $("dup-error").hidden = true;
    try {
      const res = await Vigie.api("/api/v1/reports/" + encodeURIComponent(r.id) + "/follow", {
        method: "POST", credentials: "omit", json: { lang: cfg.lang },
      });
      C.mine.add({ id: res.id, reference: res.reference, token: res.token, service: r.service_name, created: r.requested_at });
      window.location.assign("/suivi/" + encodeURIComponent(res.token));
    } catch (e) {
      button.disabled = false;
      $("dup-error").textContent = t(e.status ? "js.follow_failed" : "js.offline_action") + (e.status ? " " + e.message : "");
      $("dup-error").hidden = false;
    }
  }

  // --- 3. Details: extra questions, photos, description, contact ---------------------
  function renderAttributes(svc) {
    const box = $("attributes");
    box.replaceChildren();
    svc.attributes.forEach(function (a) {
      const id = "attr-" + a.code;
      const req = a.required ? [" ", make("span", { class: "required", text: t("js.required") })] : [];
      if (a.variable === false) { box.append(make("p", { class: "hint", text: a.label })); return; }
      if (a.type === "multivaluelist" || (a.type === "singlevaluelist" && a.values.length <= 6)) {
        const multi = a.type === "multivaluelist";
        const options = a.values.map(function (v, i) {
          const input = make("input", { type: multi ? "checkbox" : "radio", name: id, value: v.key, id: id + "-" + i });
          return make("div", { class: "option" }, [input, make("label", { for: id + "-" + i, text: v.name })]);
        });
        const legend = make("legend", {}, [a.label].concat(req));
        box.append(make("fieldset", { id: id, "data-attr": a.code, "aria-required": a.required ? "true" : null, role: multi ? null : "radiogroup", "aria-describedby": a.public === false ? id + "-private" : null }, [legend].concat(options, privateHint(a, id))));
        return;
      }
      let input;
      if (a.type === "singlevaluelist") {
        input = make("select", { id: id }, [make("option", { value: "", text: t("js.choose") })].concat(
          a.values.map(function (v) { return make("option", { value: v.key, text: v.name }); })));
      } else if (a.type === "text") {
        input = make("textarea", { id: id, rows: 3, maxlength: 4000 });
      } else {
        const type = { number: "number", datetime: "datetime-local" }[a.type] || "text";
        input = make("input", { id: id, type: type, step: a.type === "number" ? "any" : null, inputmode: a.type === "number" ? "decimal" : null });
      }
      if (a.required) input.setAttribute("aria-required", "true");
      if (a.public === false) input.setAttribute("aria-describedby", id + "-private");
      box.append(make("div", { class: "field", "data-attr": a.code }, [make("label", { for: id }, [a.label].concat(req)), input].concat(privateHint(a, id))));
    });
  }

  // An answer the city keeps for its agents (a registration plate): the resident is told before typing it.
  function privateHint(a, id) {
    return a.public === false ? [make("p", { class: "hint", id: id + "-private", text: t("js.private_answer") })] : [];
  }

  function attributeValues(errors) {
    const out = {};
    (cfg.services[state.service].attributes || []).forEach(function (a) {
      if (a.variable === false) return;
      const id = "attr-" + a.code;
      let value;
      if (a.type === "multivaluelist") {
        value = Array.from(form.querySelectorAll("input[name='" + id + "']:checked")).map(function (i) { return i.value; });
        if (!value.length) value = "";
      } else if ($(id).tagName === "FIELDSET") {
        const checked = form.querySelector("input[name='" + id + "']:checked");
        value = checked ? checked.value : "";
      } else {
        value = $(id).value.trim();
        if (value && a.type === "datetime") value = new Date(value).toISOString();
        if (value && a.type === "number") {
          if (!isFinite(Number(value))) { errors.push({ field: "attribute[" + a.code + "]", text: t("js.err_number") }); return; }
          value = Number(value);
        }
      }
      if (value === "") {
        if (a.required) errors.push({ field: "attribute[" + a.code + "]", text: t("js.err_required") });
      } else {
        out[a.code] = value;
      }
    });
    return out;
  }

  $("photos").addEventListener("change", function (e) {
    const files = Array.from(e.target.files || []);
    e.target.value = "";
    addPhotos(files);
  });

  async function addPhotos(files) {
    clearErrors("photos");
    const problems = [];
    for (const f of files) {
      if (state.photos.length >= cfg.max_photos) { problems.push(t("js.err_too_many_photos", { n: cfg.max_photos })); break; }
      if (f.type && f.type.indexOf("image/") !== 0) { problems.push(t("js.err_not_image", { name: f.name })); continue; }
      const blob = await shrink(f);
      if (blob.size > cfg.max_photo_bytes) { problems.push(t("js.err_photo_size", { name: f.name })); continue; }
      state.photos.push({ blob: blob, name: blob === f ? f.name || "photo.jpg" : "photo.jpg", url: URL.createObjectURL(blob) });
    }
    renderPhotos();
    if (problems.length) showErrors([{ field: "photos", text: problems.join(" ") }]);
    else if (files.length) Vigie.announce(C.plural("js.photos_count", state.photos.length));
  }

  // Large pictures are reduced on the device (less data to send and to keep offline).
  async function shrink(file) {
    if (file.size <= 1500000 || !window.createImageBitmap) return file;
    try {
      const bmp = await createImageBitmap(file);
      const scale = Math.min(1, 2048 / Math.max(bmp.width, bmp.height));
      const canvas = make("canvas", { width: Math.round(bmp.width * scale), height: Math.round(bmp.height * scale) });
      canvas.getContext("2d").drawImage(bmp, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.85); });
      return blob && blob.size < file.size ? blob : file;
    } catch (e) { return file; }
  }

  function renderPhotos() {
    const ul = $("photo-previews");
    ul.replaceChildren();
    state.photos.forEach(function (p, i) {
      const remove = make("button", { type: "button", class: "link-button", text: t("js.remove_photo", { n: i + 1 }) });
      remove.addEventListener("click", function () {
        URL.revokeObjectURL(p.url);
        state.photos.splice(i, 1);
        renderPhotos();
        Vigie.announce(t("js.photo_removed"));
        $("photos").focus();
      });
      ul.append(make("li", {}, [make("img", { src: p.url, alt: t("js.photo_n", { n: i + 1 }) }), remove]));
    });
  }

  // --- Errors: next to each field, linked with aria-describedby; focus on the first -----
  function target(field) {
    if (field.indexOf("attribute[") === 0) return $("attr-" + field.slice(10, -1));
    if (field === "lat" || field === "long" || field === "address") return address;
    if (field === "service_code") return search;
    return $(field) || null;
  }
  function clearErrors(field) {
    form.querySelectorAll(".field-error[data-for" + (field ? "='" + field + "'" : "") + "]").forEach(dropError);
  }
  function dropError(p) {
    const id = p.id;
    form.querySelectorAll("[aria-describedby~='" + id + "']").forEach(function (el) {
      const rest = el.getAttribute("aria-describedby").split(" ").filter(function (x) { return x && x !== id; });
      if (rest.length) el.setAttribute("aria-describedby", rest.join(" ")); else el.removeAttribute("aria-describedby");
      el.removeAttribute("aria-invalid");
    });
    p.remove();
  }
  // An answer given clears its error message.
  form.addEventListener("change", function (e) {
    const ids = (e.target.getAttribute("aria-describedby") || "").split(" ");
    ids.filter(function (id) { return id.indexOf("err-") === 0; }).forEach(function (id) { if ($(id)) dropError($(id)); });
  });
  function showErrors(errors) {
    clearErrors();
    let first = null;
    errors.forEach(function (err, i) {
      const el = target(err.field);
      if (!el) return;
      const id = "err-" + i;
      const p = make("p", { class: "field-error", id: id, "data-for": err.field, text: err.text });
      const inputs = el.tagName === "FIELDSET" ? Array.from(el.querySelectorAll("input")) : [el];
      inputs.forEach(function (input) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + id).trim());
      });
      if (el.tagName === "FIELDSET") el.append(p); else el.after(p);
      if (!first) first = inputs[0];
    });
    if (!first) return false;
    const step = first.closest(".step").id.replace("step-", "");
    if (step !== current) show(step);
    first.focus();
    return true;
  }

  // --- Sending ---------------------------------------------------------------------
  async function submit() {
    const button = $("submit-report");
    if (button.disabled) return;
    const errors = [];
    const attributes = attributeValues(errors);
    const email = $("reporter_email").value.trim();
    if (email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) errors.push({ field: "reporter_email", text: t("js.err_email") });
    if (errors.length) { showErrors(errors); return; }
    clearErrors();
    $("submit-error").hidden = true;
    const svc = cfg.services[state.service];
    const rec = {
      key: C.uuid(),
      created: new Date().toISOString(),
      service_name: svc.name,
      fields: {
        service_code: state.service, description: $("description").value.trim(),
        lat: state.lat == null ? "" : String(state.lat), long: state.long == null ? "" : String(state.long),
        address: address.value.trim(), address_id: state.addressId || "", attributes: JSON.stringify(attributes),
        reporter_name: $("reporter_name").value.trim(), reporter_email: email, reporter_phone: $("reporter_phone").value.trim(),
        lang: cfg.lang, device_id: C.deviceId(), channel: "app",
      },
      photos: state.photos.map(function (p) { return { blob: p.blob, name: p.name }; }),
    };
    state.key = rec.key;
    button.disabled = true;
    await C.outbox.put(rec);
    const result = navigator.onLine === false ? { state: "retry" } : await C.deliver(rec.key, true);
    button.disabled = false;
    if (result.state === "retry") { await C.refreshBanner(); reset(); show("queued"); return; }
    if (result.state !== "refused") return; // sent: see "citizen:sent" below
    state.key = null;
    const err = result.error || {};
    const field = err.field && target(err.field) ? err.field : "";
    if (!field || !showErrors([{ field: field, text: t("js.err_server", { detail: err.detail || "" }) }])) {
      $("submit-error").textContent = t("js.err_server", { detail: err.detail || "" });
      $("submit-error").hidden = false;
      $("submit-error").focus();
    }
  }

  window.addEventListener("citizen:sent", function (e) {
    if (e.detail.key !== state.key) return;
    const report = e.detail.report;
    $("done-reference").textContent = report.reference;
    $("done-link").href = "/suivi/" + encodeURIComponent(report.token);
    $("done-private").hidden = !(cfg.services[report.service_code] && cfg.services[report.service_code].public === false);
    // The receipt asks a new address to confirm before anything else is sent to it.
    $("done-email").hidden = !$("reporter_email").value.trim();
    state.key = null;
    reset();
    show("done");
  });

  function reset() {
    form.reset();
    state.photos.forEach(function (p) { URL.revokeObjectURL(p.url); });
    Object.assign(state, { service: null, lat: null, long: null, photos: [], addressAuto: false, addressId: "", checked: "" });
    if (state.marker) { state.marker.remove(); state.marker = null; }
    renderPhotos();
    $("attributes").replaceChildren();
    buttons.forEach(function (b) { b.removeAttribute("aria-current"); });
    status.textContent = t("js.no_location");
    status.classList.remove("is-set");
    filter();
  }

  form.addEventListener("click", function (e) {
    const el = e.target.closest("button");
    if (!el) return;
    if (el.hasAttribute("data-next")) { if (current === "location") afterLocation(); else show("details"); }
    if (el.hasAttribute("data-back")) show(current === "details" || current === "duplicates" ? "location" : "category");
    if (el.dataset.goto) show(el.dataset.goto);
  });
  document.querySelectorAll("[data-restart]").forEach(function (b) {
    b.addEventListener("click", function () { state.key = null; show("category"); }); // a report kept offline goes on alone
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (current === "details") submit();
    else if (current === "location") afterLocation();
    else if (current === "duplicates") show("details");
    else if (current === "category" && visibleItems().length === 1 && search.value.trim()) choose(visibleItems()[0].querySelector(".cat").dataset.code);
  });
  if (window.performance && performance.mark) performance.mark("vigie-ready"); // the form answers (bench/bench_pages.py)
})();
