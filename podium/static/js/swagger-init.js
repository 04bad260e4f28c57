// Starts Swagger UI on /schema from the spec's URL (podium/api_docs.py): kept out of the page so its CSP needs no
// inline script. "Try it out" with the session cookie sends the CSRF token, as the pages' own scripts do.
(function () {
  "use strict";
  var container = document.getElementById("swagger-container");
  window.SwaggerUIBundle({
    url: container.dataset.specUrl,
    dom_id: "#swagger-container",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIBundle.SwaggerUIStandalonePreset],
    requestInterceptor: function (request) {
      var csrf = document.cookie.split("; ").find(function (row) { return row.indexOf("podium_csrf=") === 0; });
      if (csrf) { request.headers["x-csrftoken"] = csrf.slice("podium_csrf=".length); }
      return request;
    },
  });
})();
