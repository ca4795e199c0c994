// The shift's rota: a vehicle and a driver per circuit (PUT /api/v1/winter/assignments, all
// or nothing), beside each circuit's coverage kept live by the winter.coverage events.
(function () {
  "use strict";
  const P = window.Pilotage;
  const form = document.getElementById("rota-form");
  const rows = Array.from(document.querySelectorAll("#rota-table tbody tr[data-circuit]"));

  if (form && form.querySelector("button[type=submit]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const error = document.getElementById("rota-error");
      const status = document.getElementById("rota-status");
      P.clearError(error);
      // Only the circuits whose vehicle or driver changed are sent.
      const items = [];
      rows.forEach((tr) => {
        const vehicle = tr.querySelector('select[name="vehicle"]');
        const driver = tr.querySelector('select[name="driver"]');
        if (vehicle.value === vehicle.dataset.initial && driver.value === driver.dataset.initial) return;
        items.push({
          circuit_id: Number(tr.dataset.circuit),
          vehicle_id: vehicle.value || null,
          driver_id: driver.value ? Number(driver.value) : null,
        });
      });
      if (!items.length) {
        status.textContent = P.t("rota_unchanged");
        return;
      }
      await P.busy(form.querySelector("button[type=submit]"), async () => {
        try {
          await Vigie.api("/api/v1/winter/assignments?shift=" + encodeURIComponent(form.dataset.shift), {
            method: "PUT",
            json: { items: items },
          });
          P.flash(P.plural("rota_saved", items.length));
          window.location.reload();
        } catch (e) {
          P.showError(error, e);
          // A refused item names its place in the list: its row's select gets the focus.
          const m = /^items\.(\d+)\.(vehicle_id|driver_id)/.exec(e.field || "");
          if (m) {
            const tr = form.querySelector('tr[data-circuit="' + items[Number(m[1])].circuit_id + '"]');
            const select = tr && tr.querySelector(m[2] === "vehicle_id" ? 'select[name="vehicle"]' : 'select[name="driver"]');
            if (select) select.focus();
          }
        }
      });
    });
  }
  const said = P.takeFlash();
  if (said && document.getElementById("rota-status")) document.getElementById("rota-status").textContent = said;

  // Coverage: the round's share treated and who treated each circuit, refreshed live.
  async function refresh() {
    const data = await Vigie.api("/api/v1/winter/circuits");
    const byId = {};
    data.items.forEach((c) => { byId[c.id] = c; });
    rows.forEach((tr) => {
      const c = byId[tr.dataset.circuit];
      if (!c) return;
      tr.querySelector("[data-share]").textContent = P.number(Math.round(c.share * 100)) + " %";
      const by = tr.querySelector("[data-by]");
      by.textContent = c.treated_by.length ? c.treated_by.join(", ") : "—";
      if (c.treated_by.length && c.vehicle_id && !c.treated_by_assigned) {
        const badge = document.createElement("span");
        badge.className = "badge";
        badge.textContent = P.t("not_by_assigned");
        by.append(" ", badge);
      }
    });
  }
  let soon = null;
  P.live({
    "winter.coverage": function () {
      if (soon) return;
      soon = window.setTimeout(function () {
        soon = null;
        refresh().then(() => Vigie.announce(P.t("rota_updated"))).catch(() => {});
      }, 2000);
    },
  }, function () { refresh().catch(() => {}); });
})();
