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
})();
