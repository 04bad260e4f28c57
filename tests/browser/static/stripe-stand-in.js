// A stand-in for Stripe.js v3, served to the browser by the test itself (Playwright answers the request for
// STRIPE_JS_URL; nothing is fetched from a CDN). It offers what podium/static/js/card-payment.js uses:
// Stripe(key).elements().create("card").mount(el) and confirmCardPayment(clientSecret, data). The card field
// is a plain labelled input; the outcome follows Stripe's test cards: 4000000000000002 is declined at once,
// any other number is confirmed (as Stripe would report "succeeded" before its webhook arrives).
(function () {
  "use strict";
  var DECLINED = "4000000000000002";

  function CardElement() { this.input = null; }
  CardElement.prototype.mount = function (holder) {
    var input = document.createElement("input");
    input.id = "stand-in-card-number";
    input.type = "text";
    input.inputMode = "numeric";
    input.autocomplete = "cc-number";
    input.setAttribute("aria-label", "Card number");
    holder.appendChild(input);
    this.input = input;
  };

  window.Stripe = function (publishableKey) {
    if (!/^pk_/.test(publishableKey || "")) { throw new Error("Stripe stand-in: a publishable key is needed"); }
    return {
      elements: function () { return { create: function () { return new CardElement(); } }; },
      confirmCardPayment: function (clientSecret, data) {
        var intentId = String(clientSecret).split("_secret_")[0];
        var number = data.payment_method.card.input.value.replace(/\s+/g, "");
        return new Promise(function (resolve) {
          window.setTimeout(function () {
            if (number === DECLINED) {
              resolve({ error: { type: "card_error", code: "card_declined", message: "Your card was declined." } });
            } else {
              resolve({ paymentIntent: { id: intentId, object: "payment_intent", status: "succeeded" } });
            }
          }, 0);
        });
      }
    };
  };
})();
