// Start Swagger UI on the local OpenAPI description (kept out of the page so the CSP forbids inline scripts).
window.addEventListener("load", function () {
  if (typeof SwaggerUIBundle !== "function") return;
  window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
