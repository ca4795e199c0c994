// A video-protection system's page and a camera's page: the forms that record or change
// them (JSON to /api/v1/videoprotection; a 422 names its field, which gets the focus),
// and the pages' keyboard shortcuts (listed by `?`, never while typing in a field).
(function () {
  "use strict";
  const P = window.Pilotage;

  function fail(form, box, error) {
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    P.showError(box, error);
    const field = error.field && (form.querySelector('[name="' + error.field + '"]:not([type=checkbox])') ||
      (error.field === "purposes" && document.getElementById("vs-purposes")));
    if (field) {
      field.setAttribute("aria-invalid", "true");
      field.focus();
    }
  }

  // Empty fields are "not given" (null), not empty strings the API would refuse.
  function value(f, name) {
    const v = String(f.get(name) || "").trim();
    return v === "" ? null : v;
  }
  function number(f, name) {
    const v = value(f, name);
    return v === null ? null : Number(v.replace(",", "."));
  }

  const site = document.getElementById("vs-form");
  if (site) {
    site.addEventListener("submit", async (event) => {
      event.preventDefault();
      const f = new FormData(site);
      const box = document.getElementById("vs-error");
      P.clearError(box);
      const body = {
        code: String(f.get("code") || "").trim(),
        name: String(f.get("name") || "").trim(),
        zone: f.get("zone") || "",
        address: String(f.get("address") || ""),
        lat: number(f, "lat"),
        long: number(f, "long"),
        in_service_on: value(f, "in_service_on"),
        authorisation_number: String(f.get("authorisation_number") || "").trim(),
        authorisation_date: value(f, "authorisation_date"),
        authorisation_expiry: value(f, "authorisation_expiry"),
        purposes: f.getAll("purposes"),
        retention_days: number(f, "retention_days"),
        responsible_name: String(f.get("responsible_name") || ""),
        responsible_service: String(f.get("responsible_service") || ""),
        access_contact: String(f.get("access_contact") || ""),
        commission_opinion: f.get("commission_opinion") || "",
        commission_date: value(f, "commission_date"),
      };
      const id = site.dataset.site;
      await P.busy(site.querySelector("button[type=submit]"), async () => {
        try {
          const saved = await Vigie.api("/api/v1/videoprotection/sites" + (id ? "/" + id : ""), {
            method: id ? "PUT" : "POST",
            json: body,
          });
          P.flash(P.t("vs_saved", { code: saved.code }));
          window.location.assign("/pilotage/videoprotection/systemes/" + saved.id);
        } catch (error) {
          fail(site, box, error);
        }
      });
    });
  }

  const camera = document.getElementById("vc-form");
  if (camera) {
    camera.addEventListener("submit", async (event) => {
      event.preventDefault();
      const f = new FormData(camera);
      const box = document.getElementById("vc-error");
      P.clearError(box);
      await P.busy(camera.querySelector("button[type=submit]"), async () => {
        try {
          await Vigie.api("/api/v1/videoprotection/cameras/" + encodeURIComponent(camera.dataset.camera), {
            method: "PUT",
            json: {
              site_id: f.get("site_id") ? Number(f.get("site_id")) : null,
              signage: f.has("signage"),
              overlooks_private: f.has("overlooks_private"),
              privacy_masks: f.has("privacy_masks"),
            },
          });
          P.flash(P.t("vc_saved", { id: camera.dataset.camera }));
          window.location.reload();
        } catch (error) {
          fail(camera, box, error);
        }
      });
    });
  }

  // A change saved on the previous page is said once, politely.
  const said = P.takeFlash();
  const status = document.getElementById("vs-status") || document.getElementById("vc-status");
  if (said && status) status.textContent = said;

  function focusHeading(id) {
    const el = document.getElementById(id);
    if (!el) return false;
    el.scrollIntoView({ block: "start" });
    el.focus();
    return true;
  }
  function follow(id) {
    const link = document.getElementById(id);
    if (!link) return false;
    window.location.assign(link.href);
    return true;
  }
  P.shortcuts({
    e: () => focusHeading("form-heading"),
    c: () => focusHeading("cameras-heading"),
    s: () => follow("site-link"),
    u: () => follow("up-link"),
  });
})();
