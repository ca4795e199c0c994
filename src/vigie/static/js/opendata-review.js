// The ethics committee's forms (members only): comment, vote, record the decision through
// /api/v1/opendata (Vigie.api sends the CSRF token); the page reloads with the public record.
(function () {
  "use strict";
  document.querySelectorAll(".review-form").forEach(function (form) {
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const field = form.dataset.field;
      const data = new FormData(form);
      const error = form.parentNode.querySelector(".review-error");
      error.textContent = "";
      try {
        await window.Vigie.api(form.dataset.url, { method: "POST", json: { [field]: data.get(field) || "" } });
        window.location.reload();
      } catch (e) {
        error.textContent = e.message;
      }
    });
  });
})();
