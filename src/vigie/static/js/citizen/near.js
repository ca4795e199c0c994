// Pages of things near a point (stops, places): the address list and "my position" fill the
// form's lat/lon and send it; the map shows the point and what the server found around it.
(function () {
  "use strict";
  const Vigie = window.Vigie;
  const C = window.Citizen;
  const cfg = C.config || {};
  const near = cfg.near || {};
  const form = document.querySelector(".near-form");
  const status = document.getElementById("near-status");
  if (form) {
    const lat = document.getElementById("near-lat");
    const lon = document.getElementById("near-lon");
    const q = document.getElementById("near-q");
    Vigie.addressCombobox(q, {
      center: function () { return near.center || null; },
      onPick: function (f) {
        lat.value = f.geometry.coordinates[1];
        lon.value = f.geometry.coordinates[0];
        q.value = f.properties.label;
        form.submit();
      },
    });
    q.addEventListener("input", function () { lat.value = ""; lon.value = ""; });
    const locate = document.getElementById("near-locate");
    if (navigator.geolocation) {
      locate.hidden = false;
      locate.addEventListener("click", function () {
        status.textContent = C.t("js.near_locating");
        navigator.geolocation.getCurrentPosition(function (pos) {
          lat.value = pos.coords.latitude.toFixed(6);
          lon.value = pos.coords.longitude.toFixed(6);
          q.value = "";
          form.submit();
        }, function () { status.textContent = C.t("js.near_no_position"); }, { timeout: 10000 });
      });
    }
  }
  const el = document.getElementById("near-map");
  if (!el || !window.L) return;
  Vigie.map(el, { maxZoom: 19, keepView: !!near.center }).then(function (map) {
    const L = window.L;
    const bounds = [];
    if (near.center) {
      L.circleMarker(near.center, { radius: 9, color: "#1d4ed8", weight: 3, fillOpacity: 0.3 })
        .bindTooltip(C.t("js.near_here")).addTo(map);
      bounds.push(near.center);
    }
    (near.points || []).forEach(function (p) {
      const m = L.circleMarker([p.lat, p.lon], { radius: 7, color: "#b91c1c", weight: 2, fillColor: "#fff", fillOpacity: 1 });
      m.bindPopup('<a href="' + C.esc(p.url) + '">' + C.esc(p.name) + "</a>");
      m.addTo(map);
      bounds.push([p.lat, p.lon]);
    });
    if (bounds.length > 1) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 17, animate: false });
    else if (bounds.length === 1) map.setView(bounds[0], 16, { animate: false });
  });
})();
