// Starts Swagger UI on /schema from the spec's URL (podium/api_docs.py): kept out of the page so its CSP needs no
// inline script. "Try it out" with the session cookie sends the CSRF token, as the pages' own scripts do.
(function () {
  "use strict";

  // Swagger UI 5.33+ virtualizes the operations list once tags + operations reach 150 rows (swagger-api/swagger-ui
  // PR 11024; our 19 tags + 131 operations made 150): only the rows near the viewport are in the page, so find-in-page,
  // a screen reader's list of headings and links, and a test counting operations see a handful (swagger-ui issue
  // 11056). It has no option to turn that off, so this plugin replaces the list with the one Swagger UI itself draws
  // below the threshold: every tag and operation in the page. A few hundred operations render quickly enough.
  function WholeOperationsList(system) {
    var h = system.React.createElement;

    function Operations(props) {
      var specSelectors = props.specSelectors;
      var getComponent = props.getComponent;
      var taggedOps = specSelectors.taggedOperations();
      var validMethods = specSelectors.validOperationMethods();
      if (taggedOps.size === 0) { return h("h3", null, " No operations defined in spec!"); }
      var OperationTag = getComponent("OperationTag");
      var OperationContainer = getComponent("OperationContainer", true);
      return h("div", null, taggedOps.map(function (tagObj, tag) {
        var operations = tagObj.get("operations").map(function (op) {
          var path = op.get("path");
          var method = op.get("method");
          if (validMethods.indexOf(method) === -1) { return null; }
          return h(OperationContainer, {
            key: path + "-" + method, specPath: op.get("specPath"), op: op, path: path, method: method, tag: tag,
          });
        }).toArray();
        return h(OperationTag, {
          key: "operation-" + tag, tagObj: tagObj, tag: tag, oas3Selectors: props.oas3Selectors,
          layoutSelectors: props.layoutSelectors, layoutActions: props.layoutActions, getConfigs: props.getConfigs,
          getComponent: getComponent, specUrl: specSelectors.url(),
        }, h("div", { className: "operation-tag-content" }, operations));
      }).valueSeq().toArray());
    }

    return { components: { operations: Operations } };
  }

  var container = document.getElementById("swagger-container");
  window.SwaggerUIBundle({
    url: container.dataset.specUrl,
    dom_id: "#swagger-container",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIBundle.SwaggerUIStandalonePreset],
    plugins: [WholeOperationsList],
    requestInterceptor: function (request) {
      var csrf = document.cookie.split("; ").find(function (row) { return row.indexOf("podium_csrf=") === 0; });
      if (csrf) { request.headers["x-csrftoken"] = csrf.slice("podium_csrf=".length); }
      return request;
    },
  });
})();
