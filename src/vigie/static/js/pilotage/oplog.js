// The operations log page: write an entry, correct one (a new entry referencing it).
// Filtering and search are a plain GET form; this script only sends the writes.
(function () {
  "use strict";

  function fail(form, error) {
    const box = form.querySelector(".form-error") || form.appendChild(document.createElement("p"));
    box.className = "form-error";
    box.setAttribute("role", "alert");
    box.hidden = false;
    box.textContent = error.message || String(error);
  }

  const write = document.getElementById("oplog-write");
  if (write) {
    write.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(write);
      try {
        await Vigie.api("/api/v1/oplog", {
          method: "POST",
          json: { service: data.get("service"), severity: data.get("severity"), text: data.get("text") },
        });
        window.location.reload();
      } catch (error) {
        fail(write, error);
      }
    });
  }

  document.querySelectorAll("form.oplog-correct").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await Vigie.api("/api/v1/oplog/" + form.dataset.entry + "/corrections", {
          method: "POST",
          json: { text: new FormData(form).get("text") },
        });
        window.location.reload();
      } catch (error) {
        fail(form, error);
      }
    });
  });
})();
