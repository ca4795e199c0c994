// Field agents' view: my assigned work (live), and on a report's page: start,
// resolve with a photo of the fix, or hand it back ("cannot fix").
(function () {
  "use strict";
  const P = window.Pilotage;
  const D = P.data;
  const $ = P.$;
  const ACTIVE = ["in_progress", "assigned", "acknowledged", "reopened", "new"];
  const flashBox = $("terrain-flash");
  const flash = P.takeFlash();
  if (flash) {
    if (flashBox) { flashBox.textContent = flash; flashBox.hidden = false; }
    Vigie.announce(flash);
  }

  function hiddenText(text) {
    const span = document.createElement("span");
    span.className = "visually-hidden";
    span.textContent = text;
    return span;
  }

  function navLinks(r) {
    const div = document.createElement("div");
    div.className = "button-row nav-links";
    const geo = document.createElement("a");
    geo.className = "button button--small";
    geo.href = "geo:" + r.lat + "," + r.long + "?q=" + r.lat + "," + r.long;
    geo.textContent = P.t("open_gps");
    geo.appendChild(hiddenText(" — " + r.reference));
    const osm = document.createElement("a");
    osm.className = "button button--small";
    osm.href = "https://www.openstreetmap.org/directions?to=" + r.lat + "%2C" + r.long;
    osm.rel = "noopener noreferrer external";
    osm.textContent = P.t("osm_directions");
    osm.appendChild(hiddenText(" — " + r.reference));
    div.appendChild(geo);
    div.appendChild(osm);
    return div;
  }

  // --- list page -------------------------------------------------------------------
  const list = $("work-list");
  if (list) {
    let map = null;
    let layer = null;
    let items = [];
    const seen = new Set();
    let first = true;

    const card = function (r) {
      const li = document.createElement("li");
      const state = P.slaState(r.expected_at, r.status);
      li.className = "work-card work-card--" + state + (!first && !seen.has(r.id) ? " is-new" : "");
      const h = document.createElement("h2");
      const a = document.createElement("a");
      a.href = "/terrain/signalements/" + r.id;
      a.textContent = r.reference + " · " + P.label("services", r.service_code);
      h.appendChild(a);
      li.appendChild(h);
      const meta = document.createElement("p");
      const badge = document.createElement("span");
      badge.className = "badge badge--" + r.status;
      badge.textContent = P.label("status", r.status);
      meta.appendChild(badge);
      meta.appendChild(document.createTextNode(" "));
      const due = document.createElement("span");
      due.dataset.countdown = r.expected_at || "";
      due.dataset.status = r.status;
      meta.appendChild(due);
      meta.appendChild(document.createTextNode(" · " + P.label("priority", r.priority)));
      li.appendChild(meta);
      const where = document.createElement("p");
      const zone = P.label("zones", r.zone);
      where.textContent = !r.address ? zone : r.address.indexOf(zone) >= 0 ? r.address : r.address + " (" + zone + ")";
      li.appendChild(where);
      if (r.description) {
        const desc = document.createElement("p");
        desc.className = "small";
        desc.textContent = r.description.length > 140 ? r.description.slice(0, 139) + "…" : r.description;
        li.appendChild(desc);
      }
      if (r.lat != null) li.appendChild(navLinks(r));
      return li;
    };

    const draw = function () {
      if (!map) return;
      if (layer) layer.remove();
      layer = L.featureGroup(items.filter(function (r) { return r.lat != null; }).map(function (r) {
        return P.pin([r.lat, r.long], P.slaState(r.expected_at, r.status), r.reference + " — " + P.label("services", r.service_code))
          .bindPopup(function () {
            const a = document.createElement("a");
            a.href = "/terrain/signalements/" + r.id;
            a.textContent = r.reference + " · " + P.label("services", r.service_code);
            return a;
          });
      })).addTo(map);
      if (items.some(function (r) { return r.lat != null; })) map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 16 });
    };

    const load = async function () {
      try {
        const res = await Vigie.api("/api/v1/reports?" + new URLSearchParams({ assigned_to_me: "true", status: ACTIVE.join(","), page_size: "200" }));
        P.clearError($("terrain-error"));
        items = res.items.sort(function (a, b) {
          return (a.status === "in_progress" ? 0 : 1) - (b.status === "in_progress" ? 0 : 1) ||
            new Date(a.expected_at || 8.64e15) - new Date(b.expected_at || 8.64e15);
        });
      } catch (err) {
        P.showError($("terrain-error"), err);
        return;
      }
      const added = items.filter(function (r) { return !seen.has(r.id); });
      list.replaceChildren.apply(list, items.map(card));
      P.tickCountdowns(list);
      if (!first && added.length) {
        P.beep();
        Vigie.announce(P.t("new_assignment", { ref: added[0].reference, service: P.label("services", added[0].service_code) }));
      }
      items.forEach(function (r) { seen.add(r.id); });
      first = false;
      $("terrain-empty").hidden = items.length > 0;
      $("terrain-count").textContent = P.plural("work_count", items.length);
      draw();
    };

    Vigie.map($("terrain-map"), { maxZoom: 19 }).then(function (m) { map = m; draw(); });
    P.live({ "report.created": load, "report.updated": load }, load);
    window.setInterval(load, 60000);
    load();
    return;
  }

  // --- one report --------------------------------------------------------------------
  const report = D.report;
  if (!report) return;
  const errorBox = $("terrain-error");
  const mapEl = $("terrain-detail-map");
  if (mapEl && report.lat != null) {
    Vigie.map(mapEl, { keepView: true, maxZoom: 19 }).then(function (m) {
      m.setView([report.lat, report.long], 17);
      P.pin([report.lat, report.long], P.slaState(report.expected_at, report.status), report.reference).addTo(m);
    });
  }

  async function post(url, options, button, message) {
    P.clearError(errorBox);
    try {
      const updated = await P.busy(button, function () { return Vigie.api(url, Object.assign({ method: "POST" }, options)); });
      return updated;
    } catch (err) {
      P.showError(errorBox, err);
      errorBox.scrollIntoView({ block: "center" });
      return null;
    }
  }

  const start = $("start-button");
  if (start) {
    start.addEventListener("click", async function () {
      const done = await post("/api/v1/reports/" + report.id + "/status", { json: { status: "in_progress" } }, start);
      if (done) { P.flash(P.t("started", { ref: done.reference })); window.location.reload(); }
    });
  }

  // Large camera photos are scaled down before upload (the server re-encodes anyway).
  async function shrink(file) {
    if (!file || file.size < 3 * 1024 * 1024 || !window.createImageBitmap) return file;
    try {
      const bitmap = await createImageBitmap(file);
      const scale = Math.min(1, 2560 / Math.max(bitmap.width, bitmap.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.85); });
      return blob ? new File([blob], "resolution.jpg", { type: "image/jpeg" }) : file;
    } catch (e) {
      return file;
    }
  }

  const photo = $("resolve-photo");
  const preview = $("resolve-preview");
  if (photo) {
    photo.addEventListener("change", function () {
      const file = photo.files && photo.files[0];
      if (preview.src) URL.revokeObjectURL(preview.src);
      if (file) { preview.src = URL.createObjectURL(file); preview.hidden = false; } else { preview.hidden = true; }
    });
  }

  const resolveForm = $("resolve-form");
  if (resolveForm) {
    resolveForm.addEventListener("submit", async function (e) {
      e.preventDefault();
      const button = $("resolve-submit");
      const file = photo.files && photo.files[0];
      let done;
      if (file) {
        const data = new FormData();
        data.append("photos", await shrink(file));
        data.append("public_note", $("resolve-note").value);
        data.append("internal_note", $("resolve-internal").value);
        done = await post("/api/v1/pilotage/reports/" + report.id + "/resolution", { body: data }, button);
      } else {
        if (!window.confirm(P.t("resolve_without_photo"))) { photo.focus(); return; }
        done = await post("/api/v1/reports/" + report.id + "/status", {
          json: { status: "resolved", public_note: $("resolve-note").value, internal_note: $("resolve-internal").value },
        }, button);
      }
      if (done) { P.flash(P.t("resolved", { ref: done.reference })); window.location.href = "/terrain"; }
    });
  }

  const handback = $("handback-form");
  if (handback) {
    handback.addEventListener("submit", async function (e) {
      e.preventDefault();
      P.clearError(errorBox);
      const reason = handback.querySelector('input[name="reason"]:checked');
      if (!reason) {
        P.fieldError(errorBox, handback.querySelectorAll('input[name="reason"]'), P.t("reason_required"));
        return;
      }
      const note = $("handback-note").value.trim();
      if (reason.value === "other" && !note) {
        P.fieldError(errorBox, $("handback-note"), P.t("note_required"));
        return;
      }
      const done = await post("/api/v1/pilotage/reports/" + report.id + "/handback", { json: { reason: reason.value, note: note } }, e.submitter);
      if (done) { P.flash(P.t("handed_back", { ref: done.reference })); window.location.href = "/terrain"; }
    });
  }
})();
