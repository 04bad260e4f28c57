// Card payment with Stripe.js: the card field is Stripe's own iframe, so card data never touches Podium.
// Once Stripe confirms, order-standing.js shows "Confirming payment…" (the pay form goes away for good),
// tells the server, and follows the order until the signed webhook has marked it paid or failed.
(function () {
  "use strict";
  var holder = document.getElementById("card-element");
  if (!holder || typeof Stripe === "undefined") { return; }
  var stripe = Stripe(holder.dataset.publishableKey);
  var card = stripe.elements().create("card");
  card.mount(holder);
  var button = document.getElementById("card-pay");
  var errors = document.getElementById("card-errors");
  errors.tabIndex = -1;
  // The button is marked busy, never disabled: disabling the focused button would drop focus to the page's
  // body, and a keyboard or screen-reader user would be left nowhere when Stripe answers.
  var busy = false;
  button.addEventListener("click", function () {
    if (busy) { return; }
    busy = true;
    button.setAttribute("aria-disabled", "true");
    errors.textContent = "";
    stripe.confirmCardPayment(holder.dataset.clientSecret, { payment_method: { card: card } }).then(function (result) {
      if (result.error) {
        errors.textContent = result.error.message || errors.dataset.fallback;
        busy = false;
        button.removeAttribute("aria-disabled");
        errors.focus();  // the reason is read out, and the next Tab reaches the card field and Pay again
        return;
      }
      window.podiumOrderStanding.confirmed(result.paymentIntent.id);
    });
  });
})();
