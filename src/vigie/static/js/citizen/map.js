// Public map: the reports of the list's filters in view, clustered by the server. Public fields only.
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
  if (!window.L) { state.textContent = t("js.map_failed"); return; }

  function popup(r) {
    return '<div class="popup"><p><strong>' + esc(r.service_name) + "</strong></p>" +
      '<p><span class="badge badge--' + esc(r.status) + '">' + esc(t("status." + r.status)) + "</span></p>" +
      (r.address ? "<p>" + esc(r.address) + "</p>" : "") +
      "<p>" + esc(r.reference) + " · " + esc(Vigie.formatDate(r.requested_at)) + "</p></div>";
  }

  // The server sends what is in view: clusters counted by the database, and the
  // reports themselves where few enough (every public report, no cap).
  function clusterIcon(n) {
    const size = n < 100 ? 34 : n < 1000 ? 42 : 50;
    return window.L.divIcon({ html: "<span>" + esc(numbers.format(n)) + "</span>", className: "server-cluster", iconSize: [size, size] });
  }
  const numbers = new Intl.NumberFormat(cfg.lang === "en" ? "en-GB" : "fr-FR");

  Vigie.map(el, { maxZoom: 19 }) // the clusters need a maximum zoom, even without tiles
    .then(function (map) {
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
      // Roadworks and closures (the list above the map says the same in words).
      if (document.getElementById("road-events")) {
        C.get("/api/v1/traffic/events.geojson").then(function (geo) {
          window.L.geoJSON(geo, {
            interactive: false,
            style: function () { return { color: "#c2410c", weight: 6, opacity: 0.8 }; },
            pointToLayer: function (f, ll) { return window.L.circleMarker(ll, { radius: 8, color: "#c2410c", interactive: false }); },
          }).addTo(map);
        }).catch(function (e) { window.console.error(e); });
      }
      const layer = window.L.layerGroup().addTo(map);
      let ticket = 0;
      async function load() {
        const mine = ++ticket;
        const b = map.getBounds();
        const box = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (x) { return x.toFixed(5); }).join(",");
        const query = (cfg.map_query ? cfg.map_query + "&" : "") + "bbox=" + box + "&zoom=" + map.getZoom();
        const view = await C.get("/api/v1/map?" + query);
        if (mine !== ticket) return;
        layer.clearLayers();
        view.clusters.forEach(function (c) {
          const label = t("js.cluster", { n: numbers.format(c.count) });
          window.L.marker([c.lat, c.long], { icon: clusterIcon(c.count), title: label, alt: label, keyboard: true })
            .on("click", function () { map.setView([c.lat, c.long], Math.min(map.getZoom() + 2, 19)); })
            .addTo(layer);
        });
        view.points.forEach(function (r) {
          const name = r.service_name + " — " + t("status." + r.status);
          window.L.marker([r.lat, r.long], { title: name, alt: name }).bindPopup(popup(r)).addTo(layer);
        });
        state.textContent = C.plural("js.markers", view.total);
        if (window.performance && performance.mark) performance.mark("vigie-ready"); // markers shown (bench/bench_pages.py)
      }
      let moving = null;
      map.on("moveend", function () { window.clearTimeout(moving); moving = window.setTimeout(function () { load().catch(fail); }, 150); });
      return load();
    })
    .catch(fail);
  function fail(e) { state.textContent = t("js.map_failed"); window.console.error(e); }
})();
