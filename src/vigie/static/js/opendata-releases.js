// The staff's releases page: a build runs during the form's request (it can take a while on a
// large dataset), so the button says so at once and cannot be sent twice from this page.
// The rules page comes back with an error summary: the focus goes to it.
(function () {
  "use strict";
  const summary = document.getElementById("rules-error");
  if (summary) summary.focus();
  const cfg = window.Vigie.data("releases-config") || {};
  if (!cfg.building) return;
  document.querySelectorAll("form.build-form").forEach(function (form) {
    form.addEventListener("submit", function () {
      const button = form.querySelector("button");
      const status = document.getElementById("build-status");
      // After the submission has started: a disabled button would not be sent.
      window.setTimeout(function () {
        button.disabled = true;
        button.textContent = cfg.building;
      }, 0);
      status.textContent = cfg.building;
    });
  });
})();
