// Video protection: the cameras' map (for the video-protection roles only: the API refuses
// everyone else) and the compliance check button. Opening a camera's detail is audited.
(function () {
  "use strict";
  const msg = (key, vars) => Pilotage.t(key, vars);

  async function drawMap() {
    const el = document.getElementById("vp-map");
    if (!el || !window.L) return;
    const map = await Vigie.map(el, { maxZoom: 19 });
    const data = await Vigie.api("/api/v1/videoprotection/cameras");
    const layer = L.layerGroup().addTo(map);
    const points = [];
    for (const c of data.items) {
      if (c.lat == null) continue;
      points.push([c.lat, c.long]);
      const marker = L.circleMarker([c.lat, c.long], {
        radius: 5, color: c.site_id ? "#1d4ed8" : "#b91c1c", weight: 2, fillOpacity: 0.7,
      });
      marker.bindTooltip(c.id + (c.site_code ? " — " + c.site_code : " — " + msg("outside")));
      marker.on("click", async () => {
        const d = await Vigie.api("/api/v1/videoprotection/cameras/" + encodeURIComponent(c.id));
        // Built from nodes: the names come from the registry and an import, never as HTML.
        const box = document.createElement("div");
        const line = (text, tag) => {
          const el = document.createElement(tag || "div");
          el.textContent = text;
          box.appendChild(el);
          return el;
        };
        line(d.id, "strong");
        line(d.site_name || msg("outside"));
        line(msg("signage") + " : " + (d.signage ? msg("yes") : msg("no")));
        line(msg("masks") + " : " + (d.overlooks_private ? (d.privacy_masks ? msg("yes") : msg("no")) : msg("not_needed")));
        const open = line(msg("open_camera"), "a");
        open.href = "/pilotage/videoprotection/cameras/" + encodeURIComponent(d.id);
        marker.bindPopup(box).openPopup();
      });
      marker.addTo(layer);
    }
    if (points.length) map.fitBounds(points, { animate: false });
  }

  const check = document.getElementById("vp-check");
  if (check) {
    check.addEventListener("click", async () => {
      const status = document.getElementById("vp-status");
      try {
        const r = await Vigie.api("/api/v1/videoprotection/alerts/check", { method: "POST" });
        status.textContent = msg("checked", r);
        setTimeout(() => window.location.reload(), 800);
      } catch (error) {
        status.textContent = error.message;
      }
    });
  }
  drawMap().catch((error) => console.error(error));

  // The systems' list narrowed as one types (code, name, address), its count said politely.
  const filter = document.getElementById("vp-filter");
  const rows = Array.from(document.querySelectorAll("#vp-sites tbody tr"));
  const count = document.getElementById("vp-filter-count");
  let said = null;
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  const haystacks = rows.map((row) => fold(row.textContent));
  if (filter) {
    filter.addEventListener("input", () => {
      const words = fold(filter.value).split(/\s+/).filter(Boolean);
      let shown = 0;
      rows.forEach((row, i) => {
        row.hidden = !words.every((w) => haystacks[i].indexOf(w) >= 0);
        if (!row.hidden) shown += 1;
      });
      // Announced once typing pauses, not at every key.
      window.clearTimeout(said);
      said = window.setTimeout(() => {
        count.textContent = words.length ? Pilotage.plural("filter_count", shown, { total: Pilotage.number(rows.length) }) : "";
      }, 400);
    });
  }

  // Keyboard: j / k move along the visible systems (Enter follows the focused link).
  function move(step) {
    const links = rows.filter((r) => !r.hidden).map((r) => r.querySelector("a")).filter(Boolean);
    if (!links.length) return false;
    const at = links.indexOf(document.activeElement);
    const next = links[at < 0 ? (step > 0 ? 0 : links.length - 1) : Math.max(0, Math.min(links.length - 1, at + step))];
    next.focus();
    next.scrollIntoView({ block: "nearest" });
    return true;
  }
  function focus(id) {
    const el = document.getElementById(id);
    if (!el) return false;
    el.focus();
    el.scrollIntoView({ block: "nearest" });
    return true;
  }
  function follow(id) {
    const link = document.getElementById(id);
    if (!link) return false;
    window.location.assign(link.href);
    return true;
  }
  Pilotage.shortcuts({
    "/": () => focus("vp-filter"),
    j: () => move(1),
    k: () => move(-1),
    a: () => focus("alerts-heading"),
    m: () => focus("vp-map"),
    l: () => follow("vp-log"),
    n: () => follow("vp-new"),
  });
})();
