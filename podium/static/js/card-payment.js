// Card payment with Stripe.js: the card field is Stripe's own iframe, so card data never touches Podium.
// After Stripe confirms, the signed webhook marks the order paid; we reload until the page says so.
(function () {
  "use strict";
  var holder = document.getElementById("card-element");
  if (!holder || typeof Stripe === "undefined") { return; }
  var stripe = Stripe(holder.dataset.publishableKey);
  var card = stripe.elements().create("card");
  card.mount(holder);
  var button = document.getElementById("card-pay");
  var errors = document.getElementById("card-errors");
  button.addEventListener("click", function () {
    button.disabled = true;
    errors.textContent = "";
    stripe.confirmCardPayment(holder.dataset.clientSecret, { payment_method: { card: card } }).then(function (result) {
      if (result.error) {
        errors.textContent = result.error.message || "The payment did not go through.";
        button.disabled = false;
        return;
      }
      errors.textContent = "Payment received; confirming your registration…";
      var tries = 0;
      (function check() {
        tries += 1;
        window.setTimeout(function () { window.location.reload(); }, Math.min(4000, 800 * tries));
      })();
    });
  });
})();
