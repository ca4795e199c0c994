// Public map: the reports of the list (same filters), clustered. Public fields only.
(function () {
  "use strict";
  const Vigie = window.Vigie;
  const C = window.Citizen;
  const cfg = C.config;
  const t = C.t;
  const esc = C.esc;
  const el = document.getElementById("reports-map");
  const state = document.getElementById("map-state");
  if (!el) return;
  if (!window.L || !window.L.markerClusterGroup) { state.textContent = t("js.map_failed"); return; }

  function popup(r) {
    return '<div class="popup"><p><strong>' + esc(r.service_name) + "</strong></p>" +
      '<p><span class="badge badge--' + esc(r.status) + '">' + esc(t("status." + r.status)) + "</span></p>" +
      (r.address ? "<p>" + esc(r.address) + "</p>" : "") +
      "<p>" + esc(r.reference) + " · " + esc(Vigie.formatDate(r.requested_at)) + "</p></div>";
  }

  Vigie.map(el, { maxZoom: 19 }) // the clusters need a maximum zoom, even without tiles
    .then(async function (map) {
      // Going to an address: the map shows the street and rings the spot.
      let spot = null;
      Vigie.addressCombobox(document.getElementById("map-search"), {
        center: function () { const c = map.getCenter(); return [c.lat, c.lng]; },
        onPick: function (f) {
          const ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
          if (spot) spot.remove();
          spot = window.L.circleMarker(ll, { radius: 14, color: "#b91c1c", weight: 3, fill: false, interactive: false }).addTo(map);
          map.setView(ll, 18);
        },
      });
      const cluster = window.L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50 });
      map.addLayer(cluster);
      const query = (cfg.api_query ? cfg.api_query + "&" : "") + "page_size=" + cfg.max_markers;
      const data = await C.get("/api/v1/reports?" + query);
      const markers = data.items
        .filter(function (r) { return r.lat != null && r.long != null; })
        .map(function (r) {
          const name = r.service_name + " — " + t("status." + r.status);
          return window.L.marker([r.lat, r.long], { title: name, alt: name }).bindPopup(popup(r));
        });
      cluster.addLayers(markers);
      if (markers.length) map.fitBounds(cluster.getBounds(), { padding: [24, 24], maxZoom: 16 });
      if (window.performance && performance.mark) performance.mark("vigie-ready"); // markers shown (bench/bench_pages.py)
      state.textContent = C.plural("js.markers", markers.length) + (data.next_page ? " " + t("js.markers_more", { n: cfg.max_markers }) : "");
    })
    .catch(function (e) { state.textContent = t("js.map_failed"); window.console.error(e); });
})();
