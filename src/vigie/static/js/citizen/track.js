// Following reports: the tracking page (/suivi/{token}) and "Mes signalements", updated live.
(function () {
  "use strict";
  const Vigie = window.Vigie;
  const C = window.Citizen;
  const cfg = C.config;
  const t = C.t;
  const esc = C.esc;
  const $ = function (id) { return document.getElementById(id); };
  const CLOSED = ["resolved", "rejected", "duplicate"];

  function label(e) {
    const key = e.kind === "status" ? "history.status_" + e.status : "history." + e.kind;
    const text = t(key);
    return text === key ? t("history.other") : text;
  }

  function mediaHtml(list) {
    const items = (list || []).map(function (m) {
      const url = typeof m === "string" ? m : m.href;
      const src = C.localUrl(url);
      if (src) return '<li><a href="' + esc(src) + '"><img src="' + esc(src) + '" alt="' + esc(t("js.attached_photo")) + '" loading="lazy" width="160" height="120"></a></li>';
      if (/^https?:\/\//.test(url || "")) return '<li><a href="' + esc(url) + '" rel="noopener noreferrer nofollow">' + esc(t("js.external_photo")) + "</a></li>";
      return "";
    }).join("");
    return items ? '<ul class="photo-grid">' + items + "</ul>" : "";
  }

  // Same markup as the server's citizen/_timeline.html.
  C.timelineHtml = function (history) {
    return (history || []).map(function (e) {
      return '<li class="timeline__item timeline__item--' + esc(e.status) + '">' +
        '<p class="timeline__head"><strong>' + esc(label(e)) + '</strong> <time datetime="' + esc(e.at) + '">' + esc(Vigie.formatDate(e.at)) + "</time></p>" +
        (e.public_note ? '<p class="timeline__note">' + esc(e.public_note) + "</p>" : "") + mediaHtml(e.media) + "</li>";
    }).join("");
  };

  function photosHtml(photos, kind) {
    let n = 0;
    return photos.filter(function (p) { return (p.kind === "resolution") === (kind === "resolution"); }).map(function (p) {
      n += 1;
      const full = C.localUrl(p.url);
      const thumb = C.localUrl(p.thumbnail_url) || full;
      const alt = t(kind === "resolution" ? "js.resolution_photo" : "js.report_photo", { n: n });
      return thumb ? '<li><a href="' + esc(full) + '"><img src="' + esc(thumb) + '" alt="' + esc(alt) + '" loading="lazy" width="160" height="120"></a></li>' : "";
    }).join("");
  }

  function setBadge(el, status) {
    el.className = "badge badge--" + status;
    el.textContent = t("status." + status);
  }

  // --- The tracking page ------------------------------------------------------------
  function trackingPage() {
    const token = cfg.token;
    const timeline = $("timeline");
    const live = $("live-state");
    let known = cfg.report.history.length;
    let timer = 0;

    const save = $("save-report");
    if (!C.mine.has(token)) {
      save.hidden = false;
      save.addEventListener("click", function () {
        C.mine.add({ id: cfg.report.id, reference: cfg.report.reference, token: token, service: cfg.report.service_name, created: cfg.report.requested_at });
        save.hidden = true;
        Vigie.announce(t("js.saved"));
      });
    }

    function render(data) {
      setBadge($("track-status"), data.status);
      const open = data.expected_at && !data.closed_at;
      $("expected-term").hidden = $("expected-value").hidden = !open;
      timeline.innerHTML = C.timelineHtml(data.history);
      Array.from(timeline.children).slice(known).forEach(function (li) { li.classList.add("is-new"); });
      ["report", "resolution"].forEach(function (kind) {
        const html = photosHtml(data.photos || [], kind);
        const section = $(kind === "resolution" ? "resolution-photos" : "report-photos");
        section.querySelector(".photo-grid").innerHTML = html;
        section.hidden = !html;
      });
      if (data.history.length > known) {
        const last = data.history[data.history.length - 1];
        Vigie.announce(t("js.new_step", { step: label(last) }) + (last.public_note ? " " + last.public_note : ""));
      }
      known = data.history.length;
    }

    async function load() {
      try { render(await C.get("/api/v1/track/" + encodeURIComponent(token))); } catch (e) { /* next event will retry */ }
    }
    function soon() { clearTimeout(timer); timer = setTimeout(load, 150); }

    let dropped = false;
    const source = Vigie.stream("/api/v1/events/track/" + encodeURIComponent(token), {
      "report.updated": soon,
      "report.created": soon,
    });
    source.addEventListener("open", function () {
      live.textContent = t("js.live_on");
      live.classList.add("is-live");
      if (dropped) soon(); // catch up with what happened while disconnected
    });
    source.addEventListener("error", function () {
      dropped = true;
      live.textContent = t("js.live_reconnecting");
      live.classList.remove("is-live");
    });
  }

  // --- "Mes signalements" -------------------------------------------------------------
  function minePage() {
    const list = $("my-list");
    const streams = {};

    function card(e) {
      const li = document.createElement("li");
      li.className = "card my-item";
      li.entry = e;
      li.innerHTML =
        '<h2><a href="/suivi/' + encodeURIComponent(e.token) + '">' + esc(e.service || "") + ' — <span class="reference">' + esc(e.reference || "") + "</span></a></h2>" +
        '<p class="my-item__meta"><span class="badge" data-status>' + esc(t("js.loading")) + "</span> <span>" +
        esc(t("js.reported_on", { date: Vigie.formatDate(e.created) })) + "</span></p>" +
        '<ol class="timeline" data-timeline></ol>' +
        '<button type="button" class="link-button" data-forget>' + esc(t("js.forget", { reference: e.reference || "" })) + "</button>";
      li.querySelector("[data-forget]").addEventListener("click", function () {
        C.mine.remove(e.token);
        if (streams[e.token]) streams[e.token].close();
        li.remove();
        Vigie.announce(t("js.forgotten"));
        empty();
      });
      return li;
    }

    async function refresh(e, li) {
      try {
        const data = await C.get("/api/v1/track/" + encodeURIComponent(e.token));
        const before = li.querySelectorAll("[data-timeline] li").length;
        setBadge(li.querySelector("[data-status]"), data.status);
        li.querySelector("[data-timeline]").innerHTML = C.timelineHtml(data.history);
        if (before && data.history.length > before) {
          Vigie.announce(t("js.update_of", { reference: data.reference, step: label(data.history[data.history.length - 1]) }));
        }
        const open = CLOSED.indexOf(data.status) === -1;
        // Live updates for open reports (a few streams; the others are refreshed from time to time).
        if (open && !streams[e.token] && Object.keys(streams).length < 4) {
          streams[e.token] = Vigie.stream("/api/v1/events/track/" + encodeURIComponent(e.token), {
            "report.updated": function () { refresh(e, li); },
          });
        }
      } catch (err) {
        if (err.status === 404) li.querySelector("[data-status]").textContent = t("js.not_found");
      }
    }

    function empty() {
      const pending = $("pending-list").children.length;
      $("my-empty").hidden = list.children.length + pending > 0;
    }

    function renderAll() {
      list.replaceChildren();
      C.mine.list().forEach(function (e) {
        const li = card(e);
        list.append(li);
        refresh(e, li);
      });
      empty();
    }

    function renderPending(records) {
      const ul = $("pending-list");
      ul.replaceChildren();
      records.forEach(function (r) {
        const li = document.createElement("li");
        li.className = "card my-item";
        li.innerHTML = "<h3>" + esc(r.service_name) + "</h3><p>" + esc(t(r.failed ? "js.pending_failed" : "js.pending_since", { date: Vigie.formatDate(r.created) })) + "</p>" +
          (r.error ? '<p class="field-error">' + esc(r.error) + "</p>" : "") +
          '<button type="button" class="button button--small button--danger">' + esc(t("js.discard")) + "</button>";
        li.querySelector("button").addEventListener("click", async function () {
          if (!window.confirm(t("js.discard_confirm"))) return;
          await C.outbox.remove(r.key);
          C.refreshBanner();
        });
        ul.append(li);
      });
      $("pending-section").hidden = records.length === 0;
      empty();
    }

    window.addEventListener("citizen:outbox", function (e) { renderPending(e.detail); });
    window.addEventListener("citizen:sent", renderAll);
    window.addEventListener("citizen:account", renderAll); // the account's reports from other devices
    renderAll();
    C.refreshBanner();
    window.setInterval(function () {
      Array.from(list.children).forEach(function (li) { refresh(li.entry, li); });
    }, 120000);
  }

  if (cfg.token && $("timeline")) trackingPage();
  if ($("my-list")) minePage();
})();
