// The register of image extractions: register one, record a copy's destruction.
(function () {
  "use strict";
  // A local date and time of the form as ISO 8601 with the browser's offset.
  function aware(local) {
    const d = new Date(local);
    return isNaN(d) ? local : d.toISOString();
  }
  const form = document.getElementById("vr-form");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const f = new FormData(form);
      const error = document.getElementById("vr-error");
      try {
        await Vigie.api("/api/v1/videoprotection/register", {
          method: "POST",
          json: {
            requisition_kind: f.get("requisition_kind"),
            requisition_reference: f.get("requisition_reference"),
            requisition_date: f.get("requisition_date"),
            requester: f.get("requester"),
            cameras: String(f.get("cameras")).split(/[\s,;]+/).filter(Boolean),
            span_start: aware(f.get("span_start")),
            span_end: aware(f.get("span_end")),
            medium: f.get("medium"),
            medium_reference: f.get("medium_reference"),
            destruction_due: f.get("destruction_due") || null,
          },
        });
        window.location.reload();
      } catch (e) {
        error.hidden = false;
        error.textContent = e.message;
        const field = e.field && form.querySelector('[name="' + e.field + '"]');
        if (field) field.focus();
      }
    });
  }
  function focus(id) {
    const el = document.getElementById(id);
    if (!el) return false;
    el.focus();
    el.scrollIntoView({ block: "nearest" });
    return true;
  }
  Pilotage.shortcuts({
    n: () => focus("vr-kind"),
    "/": () => focus("vr-search"),
    c: () => focus("consult-heading"),
  });
  document.querySelectorAll("button.vr-destroy").forEach((b) => {
    b.addEventListener("click", async () => {
      await Vigie.api("/api/v1/videoprotection/register/" + b.dataset.extraction + "/destruction", { method: "POST" });
      window.location.reload();
    });
  });
})();
