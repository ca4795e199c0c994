// Winter service page: plan level and proposals, driving conditions, salt, and the
// circuits coloured by share treated, kept live by the coverage events.
(function () {
  "use strict";
  const P = window.Pilotage;
  const $ = function (id) { return document.getElementById(id); };
  const error = $("winter-error");
  let map = null;
  let layer = null;

  function colour(share) {
    if (!share) return "#94a3b8";
    if (share < 0.34) return "#f59e0b";
    if (share < 0.67) return "#84cc16";
    return "#15803d";
  }

  async function loadCircuits() {
    const data = await Vigie.api("/api/v1/winter/circuits?geometry=" + (map ? "true" : "false"));
    const pct = new Intl.NumberFormat(P.data.lang === "en" ? "en-GB" : "fr-FR", { style: "percent", maximumFractionDigits: 0 });
    data.items.forEach(function (c) {
      const row = document.querySelector('[data-circuit="' + c.id + '"]');
      if (!row) return;
      row.querySelector("[data-share]").textContent = pct.format(c.share);
      row.querySelector("[data-by]").textContent = c.treated_by.join(", ") || "—";
      if (c.last_treated_at) row.querySelector("[data-last]").textContent = P.shortDate(c.last_treated_at);
    });
    if (!map) return;
    if (layer) map.removeLayer(layer);
    layer = L.featureGroup(data.items.map(function (c) {
      return L.polyline(c.coordinates.map(function (p) { return [p[1], p[0]]; }), { color: colour(c.share), weight: 4, opacity: 0.8 })
        .bindTooltip(c.name + " — " + pct.format(c.share));
    })).addTo(map);
  }

  async function act(button, url, json, message) {
    P.clearError(error);
    try {
      await P.busy(button, async function () { await Vigie.api(url, { method: "POST", json: json }); });
      P.flash(message);
      window.location.reload();
    } catch (err) { P.showError(error, err); }
  }

  document.addEventListener("click", function (e) {
    const level = e.target.closest("[data-level]");
    if (level) return act(level, "/api/v1/winter/level", { level: level.dataset.level }, P.t("level_set", { level: level.textContent }));
    const decide = e.target.closest("[data-decide]");
    if (decide) return act(decide, "/api/v1/winter/proposals/" + decide.dataset.decide + "/decision", { accept: decide.dataset.accept === "true" }, P.t("decided"));
    const declare = e.target.closest("[data-declare]");
    if (declare) {
      const tier = declare.dataset.declare;
      return act(declare, "/api/v1/winter/conditions", { tier: tier, condition: $("cond-" + tier).value }, P.t("declared"));
    }
  });
  const salt = $("salt-form");
  if (salt) {
    salt.addEventListener("submit", function (e) {
      e.preventDefault();
      act(salt.querySelector("button"), "/api/v1/winter/salt", { kind: $("salt-kind").value, tonnes: Number($("salt-tonnes").value) }, P.t("recorded"));
    });
  }

  let soon = null;
  P.live({
    "winter.coverage": function () {
      if (soon) return;
      soon = window.setTimeout(function () { soon = null; loadCircuits(); Vigie.announce(P.t("coverage_updated")); }, 2000);
    },
    "winter.proposal": function () { Vigie.announce(P.t("proposal_new")); },
  });
  P.shortcuts({ c: function () { $("circuits-heading").scrollIntoView(); $("circuits-table").focus(); } });
  const flash = P.takeFlash();
  if (flash) Vigie.announce(flash);
  P.localiseTimes(document);
  (async function () {
    const el = $("winter-map");
    if (el && window.L) map = await Vigie.map(el, { maxZoom: 19 });
    await loadCircuits();
  })();
})();
