// Staff page of uploaded files (/donnees/gestion/fichiers): the file is sent to the API
// (Vigie.api sends the CSRF token), its preview shown (columns with their kind to check,
// first rows, points on a map), then published: a new dataset goes to the ethics
// committee, a new file of a dataset makes a new release. An error names its field:
// the field is marked invalid and described by the message.
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

  function showError(form, box, error, fields) {
    box.textContent = error.message;
    box.hidden = false;
    const id = fields(error.field || "");
    const el = id && document.getElementById(id);
    if (el) {
      el.setAttribute("aria-invalid", "true");
      const ids = (el.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      ids.push(box.id);
      el.setAttribute("aria-describedby", ids.join(" "));
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
    drawMap(p.points);
    document.getElementById("publish-new").hidden = Boolean(p.dataset);
    document.getElementById("publish-existing").hidden = !p.dataset;
    publish.hidden = false;
    document.getElementById("preview-heading").focus();
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
    let payload = {};
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
        rules: {},
        summary: value("meta-summary"),
      };
    }
    try {
      const out = await window.Vigie.api("/api/v1/opendata/uploads/" + staged.key + "/publish", { method: "POST", json: payload });
      let text;
      if (!out.release) text = format(staged.dataset ? T.uploaded : T.proposed, { id: out.dataset, rows: out.rows.toLocaleString(cfg.lang) });
      else if (out.release.status === "published") text = format(T.released, { id: out.dataset, version: out.release.version, rows: out.rows.toLocaleString(cfg.lang) });
      else text = format(T.blocked, { id: out.dataset, reason: out.release.reason });
      result.textContent = text;
      publish.hidden = true;
      staged = null;
    } catch (e) {
      showError(publishForm, box, e, function (field) {
        if (field.startsWith("columns")) return "kind-0";
        const name = field.replace(/^metadata\./, "");
        return document.getElementById("meta-" + name) ? "meta-" + name : "meta-id";
      });
    }
  });
})();
