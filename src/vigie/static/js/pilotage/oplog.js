// The operations log page: write an entry, correct one (a new entry referencing it), and
// new entries arriving live (SSE /api/v1/events/oplog) at the top of the first page,
// announced politely. Filtering and search are a plain GET form.
(function () {
  "use strict";
  const P = window.Pilotage;

  function fail(form, error) {
    const box = form.querySelector(".form-error") || form.appendChild(document.createElement("p"));
    box.className = "form-error";
    box.setAttribute("role", "alert");
    box.hidden = false;
    box.textContent = error.message || String(error);
  }

  const write = document.getElementById("oplog-write");
  if (write) {
    write.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(write);
      try {
        await Vigie.api("/api/v1/oplog", {
          method: "POST",
          json: { service: data.get("service"), severity: data.get("severity"), text: data.get("text") },
        });
        window.location.reload();
      } catch (error) {
        fail(write, error);
      }
    });
  }

  function wireCorrection(form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await Vigie.api("/api/v1/oplog/" + form.dataset.entry + "/corrections", {
          method: "POST",
          json: { text: new FormData(form).get("text") },
        });
        window.location.reload();
      } catch (error) {
        fail(form, error);
      }
    });
  }
  document.querySelectorAll("form.oplog-correct").forEach(wireCorrection);

  // --- live -------------------------------------------------------------------------
  const live = (P.data.oplog || {});
  const template = document.getElementById("oplog-row-template");
  if (!live.live || !template) return;
  const tbody = document.querySelector("#oplog-table tbody");
  const heading = document.getElementById("timeline-heading");
  const filter = live.filter || {};
  // Accent-free, lower case: what the server's search compares (oplog.domain.fold).
  function fold(text) {
    return String(text || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  const words = fold(filter.q).split(/\s+/).filter(Boolean);
  let total = live.total || 0;
  let newest = 0;
  tbody.querySelectorAll("tr[data-entry]").forEach((tr) => { newest = Math.max(newest, Number(tr.dataset.entry)); });

  function matches(e) {
    if (filter.service && e.service !== filter.service) return false;
    if (filter.severity && e.severity !== filter.severity) return false;
    const hay = fold([e.text, e.text_en, e.actor, e.ref].join(" "));
    return words.every((w) => hay.indexOf(w) >= 0);
  }

  function shown(e) {
    return P.data.lang === "en" && e.text_en ? e.text_en : e.text;
  }

  function row(e) {
    const tr = template.content.firstElementChild.cloneNode(true);
    tr.id = "entry-" + e.id;
    tr.dataset.entry = e.id;
    tr.className = "severity--" + e.severity + " is-new";
    const time = tr.querySelector("time");
    time.setAttribute("datetime", e.at);
    time.textContent = P.shortDate(e.at);
    tr.querySelector('[data-field="service"]').textContent = live.services[e.service] || e.service;
    tr.querySelector('[data-field="severity"]').textContent = live.severities[e.severity] || e.severity;
    tr.querySelector('[data-field="text"]').textContent = shown(e);
    tr.querySelector('[data-field="actor"]').textContent = e.actor;
    if (e.corrects_id) {
      const badge = tr.querySelector('[data-field="corrects"]');
      badge.hidden = false;
      badge.textContent = P.t("corrects", { n: e.corrects_id });
    }
    const number = tr.querySelector('[data-field="number"]');
    if (number) number.textContent = " #" + e.id;
    const form = tr.querySelector("form.oplog-correct");
    if (form) {
      form.dataset.entry = e.id;
      const area = form.querySelector("textarea");
      area.id = "fix-" + e.id;
      form.querySelector("label").htmlFor = area.id;
      wireCorrection(form);
    }
    return tr;
  }

  // Several entries at once (a compliance check opens many alerts) are said as one message.
  let heard = [];
  let timer = null;
  function announce(e) {
    heard.push(e);
    window.clearTimeout(timer);
    timer = window.setTimeout(() => {
      const batch = heard;
      heard = [];
      if (batch.length === 1) {
        const one = batch[0];
        Vigie.announce(P.t("live_entry", {
          service: live.services[one.service] || one.service,
          severity: live.severities[one.severity] || one.severity,
          text: shown(one),
        }));
      } else {
        Vigie.announce(P.t("live_entries", { n: P.number(batch.length) }));
      }
    }, 700);
  }

  async function add(e) {
    if (!e || !e.id || e.id <= newest || document.getElementById("entry-" + e.id)) return;
    if (e.truncated) {
      try { e = await Vigie.api("/api/v1/oplog/" + e.id); } catch (error) { /* keep what came */ }
    }
    if (!matches(e)) return;
    newest = Math.max(newest, e.id);
    tbody.insertBefore(row(e), tbody.firstChild);
    document.getElementById("oplog-scroll").hidden = false;
    document.getElementById("oplog-empty").hidden = true;
    total += 1;
    heading.textContent = P.t("timeline", { n: P.number(total) });
    announce(e);
  }

  // What was written while the stream was (re)connecting, read back from the API.
  async function catchUp() {
    const params = new URLSearchParams({ page_size: "50" });
    ["service", "severity", "q"].forEach((k) => { if (filter[k]) params.set(k, filter[k]); });
    try {
      const page = await Vigie.api("/api/v1/oplog?" + params.toString());
      page.items.filter((e) => e.id > newest).reverse().forEach(add);
    } catch (error) { /* the stream goes on; the next reconnection tries again */ }
  }

  const box = document.getElementById("live-status");
  const text = document.getElementById("live-status-text");
  function set(state) {
    if (box) box.dataset.state = state;
    if (text) text.textContent = P.t("live_" + state);
  }
  const source = Vigie.stream("/api/v1/events/oplog", { "oplog.entry": (e) => { add(e); } });
  source.addEventListener("open", () => { set("live"); catchUp(); });
  source.addEventListener("error", () => set(source.readyState === EventSource.CLOSED ? "error" : "connecting"));
  window.addEventListener("pagehide", () => source.close());
})();
