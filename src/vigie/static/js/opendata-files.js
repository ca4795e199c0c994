// Staff page of uploaded files (/donnees/gestion/fichiers): the file is sent to the API
// (Vigie.api sends the CSRF token), its preview shown (columns with their kind to check,
// first rows, points on a map), its publication rules edited (started from the rules the API
// proposes), then published: a new dataset goes to the ethics committee with its rules, a new
// file of a dataset makes a new release (and changed rules a new proposal). An error names
// its field: the field is marked invalid and described by the message.
(function () {
  "use strict";
  const cfg = window.Vigie.data("files-config") || { texts: {} };
  const T = cfg.texts;
  const uploadForm = document.getElementById("upload-form");
  const publishForm = document.getElementById("publish-form");
  const preview = document.getElementById("preview");
  const publish = document.getElementById("publish");
  const result = document.getElementById("publish-result");
  let staged = null;
  let map = null;

  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, k) { return values[k] !== undefined ? values[k] : ""; });
  }

  function clearErrors(form, box) {
    box.hidden = true;
    box.textContent = "";
    form.querySelectorAll("[aria-invalid]").forEach(function (el) {
      el.removeAttribute("aria-invalid");
      const ids = (el.getAttribute("aria-describedby") || "").split(" ").filter(function (id) { return id && id !== box.id; });
      if (ids.length) el.setAttribute("aria-describedby", ids.join(" "));
      else el.removeAttribute("aria-describedby");
    });
  }

  // The upload form's error goes to its one field; the publish form's is an error summary
  // (focused, with a link to the field), the field marked invalid and described by it.
  function showError(form, box, error, fields, summary) {
    box.textContent = error.message;
    box.hidden = false;
    const id = fields(error.field || "");
    const el = id && document.getElementById(id);
    if (el) {
      el.setAttribute("aria-invalid", "true");
      const ids = (el.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      ids.push(box.id);
      el.setAttribute("aria-describedby", ids.join(" "));
    }
    if (summary) {
      if (el) {
        const link = document.createElement("a");
        link.href = "#" + id;
        link.textContent = T.go_to_field;
        link.addEventListener("click", function (e) { e.preventDefault(); el.focus(); });
        box.append(" ", link);
      }
      box.focus();
    } else if (el) {
      el.focus();
    }
  }

  function cell(tag, text) {
    const el = document.createElement(tag);
    el.textContent = text === null || text === undefined ? "" : String(text);
    return el;
  }

  function showPreview(p) {
    staged = p;
    document.getElementById("preview-summary").textContent = format(T.summary, {
      rows: p.rows.toLocaleString(cfg.lang), format: p.format.toUpperCase(), encoding: p.encoding, delimiter: p.delimiter || "—",
    });
    const removal = document.getElementById("preview-removal");
    removal.hidden = !p.removed_after;
    removal.textContent = p.removed_after ? format(T.removal, {
      date: new Date(p.removed_after).toLocaleDateString(cfg.lang, { day: "numeric", month: "long", year: "numeric" }),
    }) : "";
    const body = document.querySelector("#preview-columns tbody");
    body.replaceChildren();
    const options = document.getElementById("kind-options");
    p.columns.forEach(function (c, i) {
      const tr = document.createElement("tr");
      const th = cell("th", c.name);
      th.scope = "row";
      tr.append(th, cell("td", c.type));
      const td = document.createElement("td");
      const select = document.createElement("select");
      select.id = "kind-" + i;
      select.dataset.column = c.name;
      select.append(options.content.cloneNode(true));
      select.value = c.kind;
      select.disabled = Boolean(p.dataset);  // an existing dataset's columns are declared
      select.setAttribute("aria-label", format(T.kind_label, { column: c.name }));
      td.append(select);
      tr.append(td);
      body.append(tr);
    });
    const head = document.querySelector("#preview-rows thead");
    const rows = document.querySelector("#preview-rows tbody");
    const tr = document.createElement("tr");
    p.columns.forEach(function (c) { const th = cell("th", c.name); th.scope = "col"; tr.append(th); });
    head.replaceChildren(tr);
    rows.replaceChildren();
    p.first_rows.forEach(function (r) {
      const line = document.createElement("tr");
      p.columns.forEach(function (c) { line.append(cell("td", r[c.name])); });
      rows.append(line);
    });
    preview.hidden = false;
    showRules(p);
    drawMap(p.points);
    document.getElementById("publish-new").hidden = Boolean(p.dataset);
    document.getElementById("publish-existing").hidden = !p.dataset;
    publish.hidden = false;
    document.getElementById("preview-heading").focus();
  }

  // The rules editor: one row per column (a sample of its values, never those of a column
  // that looks personal), then the dataset-wide rules, filled from the rules the API proposes.
  function showRules(p) {
    const rules = p.rules || {};
    document.getElementById("rules-from").textContent = T.rules_from[p.rules_from] || "";
    const body = document.querySelector("#rules-columns tbody");
    body.replaceChildren();
    const times = document.getElementById("time-options");
    p.columns.forEach(function (c, i) {
      const profile = (p.profiles || [])[i] || { sample: [], distinct: 0, personal: "" };
      const tr = document.createElement("tr");
      const th = cell("th", c.name);
      th.scope = "row";
      tr.append(th);
      const values = profile.personal
        ? format(T.personal, { why: T.why[profile.personal] || profile.personal })
        : profile.sample.join(" · ") + " (" + format(T.distinct, { n: profile.distinct.toLocaleString(cfg.lang) }) + ")";
      const td = cell("td", values);
      if (profile.personal) td.className = "personal";
      tr.append(td);
      tr.append(checkbox("rule-drop-" + i, (rules.drop || []).indexOf(c.name) >= 0, format(T.drop_label, { column: c.name })));
      tr.append(checkbox("rule-qi-" + i, (rules.quasi_identifiers || []).indexOf(c.name) >= 0, format(T.qi_label, { column: c.name })));
      const tt = document.createElement("td");
      const select = document.createElement("select");
      select.id = "rule-time-" + i;
      select.append(times.content.cloneNode(true));
      select.value = (rules.time || {})[c.name] || "";
      select.setAttribute("aria-label", format(T.time_label, { column: c.name }));
      tt.append(select);
      tr.append(tt);
      body.append(tr);
    });
    document.getElementById("rule-location").value = rules.location || "grid";
    document.getElementById("rule-location_m").value = rules.location_m !== undefined ? rules.location_m : 200;
    document.getElementById("rule-exclude_sensitive").checked = rules.exclude_sensitive !== false;
    document.getElementById("rule-min_count").value = rules.min_count || 0;
    document.getElementById("rule-k").value = rules.k || 5;
    document.getElementById("rule-suppress_share").value = Math.round((rules.suppress_share || 0) * 1000) / 10;
    syncTimes();
  }

  function checkbox(id, checked, label) {
    const td = document.createElement("td");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.id = id;
    box.checked = checked;
    box.setAttribute("aria-label", label);
    td.append(box);
    return td;
  }

  // Only a column of the "time" kind can be coarsened (the API says so too).
  function syncTimes() {
    if (!staged) return;
    staged.columns.forEach(function (c, i) {
      const kind = document.getElementById("kind-" + i);
      const select = document.getElementById("rule-time-" + i);
      const isTime = (kind ? kind.value : c.kind) === "time";
      select.disabled = !isTime;
      if (!isTime) select.value = "";
    });
  }

  document.querySelector("#preview-columns tbody").addEventListener("change", syncTimes);

  // A number field as typed: a number when it reads as one, else the text (the API names it).
  function number(id) {
    const raw = value(id);
    const n = Number(raw);
    return raw !== "" && Number.isFinite(n) ? n : raw;
  }

  function rulesPayload() {
    const rules = { drop: [], quasi_identifiers: [], time: {} };
    staged.columns.forEach(function (c, i) {
      if (document.getElementById("rule-drop-" + i).checked) rules.drop.push(c.name);
      if (document.getElementById("rule-qi-" + i).checked) rules.quasi_identifiers.push(c.name);
      const time = document.getElementById("rule-time-" + i);
      if (!time.disabled && time.value) rules.time[c.name] = time.value;
    });
    rules.location = value("rule-location");
    rules.location_m = number("rule-location_m");
    rules.exclude_sensitive = document.getElementById("rule-exclude_sensitive").checked;
    rules.min_count = number("rule-min_count");
    rules.k = number("rule-k");
    const share = number("rule-suppress_share");
    rules.suppress_share = typeof share === "number" ? Math.round(share * 10) / 1000 : share;
    return rules;
  }

  function ruleField(field) {
    const name = field.replace(/^rules\.?/, "").split(".")[0];
    const first = { drop: "rule-drop-0", quasi_identifiers: "rule-qi-0", time: firstTime() }[name];
    if (first) return first;
    return document.getElementById("rule-" + name) ? "rule-" + name : "rule-location";
  }

  function firstTime() {
    const found = document.querySelector("#rules-columns select:not([disabled])");
    return found ? found.id : "rule-location";
  }

  function drawMap(points) {
    const el = document.getElementById("preview-map");
    if (map) { map.remove(); map = null; }
    el.hidden = !points.length || !window.L;
    if (el.hidden) return;
    el.setAttribute("aria-label", format(T.map, { n: points.length.toLocaleString(cfg.lang) }));
    map = L.map(el, { preferCanvas: true });
    const renderer = L.canvas();
    points.forEach(function (p) { L.circleMarker(p, { renderer: renderer, radius: 3, weight: 1, fillOpacity: 0.6 }).addTo(map); });
    map.fitBounds(L.latLngBounds(points), { padding: [16, 16], animate: false });
  }

  uploadForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    const box = document.getElementById("upload-error");
    clearErrors(uploadForm, box);
    preview.hidden = true;
    publish.hidden = true;
    result.textContent = "";
    window.Vigie.announce(T.reading);
    try {
      const p = await window.Vigie.api("/api/v1/opendata/uploads", { method: "POST", body: new FormData(uploadForm) });
      showPreview(p);
    } catch (e) {
      showError(uploadForm, box, e, function (field) {
        return { file: "upload-file", format: "upload-format", encoding: "upload-encoding", delimiter: "upload-delimiter" }[field] || "upload-file";
      });
    }
  });

  function words(value) {
    return value.split(",").map(function (w) { return w.trim(); }).filter(Boolean);
  }

  function value(id) { return document.getElementById(id).value.trim(); }

  publishForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    if (!staged) return;
    const box = document.getElementById("publish-error");
    clearErrors(publishForm, box);
    let payload = { rules: rulesPayload(), summary: value("meta-summary") };
    if (!staged.dataset) {
      payload = {
        id: value("meta-id"),
        metadata: {
          title_fr: value("meta-title_fr"), title_en: value("meta-title_en"),
          description_fr: value("meta-description_fr"), description_en: value("meta-description_en"),
          publisher: value("meta-publisher"), contact_point: value("meta-contact_point"),
          licence: value("meta-licence"), frequency: value("meta-frequency"), spatial: value("meta-spatial"),
          keywords: words(value("meta-keywords")),
          themes: Array.from(publishForm.querySelectorAll("input[name=themes]:checked")).map(function (c) { return c.value; }),
        },
        columns: staged.columns.map(function (c, i) {
          return { name: c.name, type: c.type, kind: document.getElementById("kind-" + i).value, fr: c.fr, en: c.en };
        }),
        rules: payload.rules,
        summary: payload.summary,
      };
    }
    try {
      const out = await window.Vigie.api("/api/v1/opendata/uploads/" + staged.key + "/publish", { method: "POST", json: payload });
      let text;
      if (!out.release) text = format(staged.dataset ? T.uploaded : T.proposed, { id: out.dataset, rows: out.rows.toLocaleString(cfg.lang) });
      else if (out.release.status === "published") text = format(T.released, { id: out.dataset, version: out.release.version, rows: out.rows.toLocaleString(cfg.lang) });
      else text = format(T.blocked, { id: out.dataset, reason: out.release.message || out.release.reason });
      if (out.proposal) text += " " + format(T.proposal, { id: out.proposal });
      result.textContent = text;
      publish.hidden = true;
      staged = null;
    } catch (e) {
      showError(publishForm, box, e, function (field) {
        if (field.startsWith("columns")) {
          const at = /^columns\[(\d+)\]/.exec(field);
          return "kind-" + (at ? at[1] : "0");
        }
        if (field.startsWith("rules")) return ruleField(field);
        const name = field.replace(/^metadata\./, "");
        return document.getElementById("meta-" + name) ? "meta-" + name : "meta-id";
      }, true);
    }
  });
})();
