// Start Swagger UI on the local OpenAPI description (kept out of the page so the CSP forbids inline scripts).
//
// Tags start collapsed. Swagger UI (5.x) virtualises the operations list once it has 150 rows
// (a row per tag, plus one per operation under each open tag): only the rows in view are in the
// page, so with every tag open Vigie's API showed its first 11 operations, and neither the
// browser's find nor a screen reader reached the rest. Collapsed, every tag is in the page; an
// opened tag lists all its operations.
window.addEventListener("load", function () {
  if (typeof SwaggerUIBundle !== "function") return;
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    docExpansion: "none",
    validatorUrl: null, // the default sends the description to a third party's validator
  });
});
