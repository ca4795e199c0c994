// Information pages for residents: the form saves through PUT /api/v1/info-pages/<slug>.
(function () {
  "use strict";
  const Vigie = window.Vigie;
  const form = document.getElementById("info-page-form");
  const status = document.getElementById("ip-status");
  if (!form) return;
  const messages = Vigie.data("pilotage-messages") || {};
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const f = new FormData(form);
    const slug = String(f.get("slug") || "").trim();
    const body = {
      title_fr: f.get("title_fr"), title_en: f.get("title_en"),
      body_fr: f.get("body_fr"), body_en: f.get("body_en"),
      position: parseInt(f.get("position") || "0", 10) || 0,
    };
    try {
      await Vigie.api("/api/v1/info-pages/" + encodeURIComponent(slug), { method: "PUT", json: body });
      status.textContent = (messages["infopages.saved"] || "Saved") + " /infos/" + slug;
    } catch (e) {
      status.textContent = e.message;
    }
  });
})();
