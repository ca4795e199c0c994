// Staff page of the reusers' API keys: a key's revoke button calls the API (Vigie.api sends
// the CSRF token), then the page reloads with the key shown revoked.
(function () {
  "use strict";
  const error = document.querySelector(".key-error");
  document.querySelectorAll(".revoke-key").forEach(function (button) {
    button.addEventListener("click", async function () {
      error.hidden = true;
      try {
        await window.Vigie.api(button.dataset.url, { method: "DELETE" });
        window.location.reload();
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
      }
    });
  });
})();
