// The order page follows its order while a payment is in flight (Stripe.js confirmed it, or it was confirmed as
// the hold ran out): it asks GET /api/orders/{id}/status, waiting longer each time, and reloads once the answer
// differs, so the server renders the truth (paid, or failed with the pay form again, or refunded).
// card-payment.js starts it too, right after Stripe.js confirmed a payment. Every text lives in the page.
(function () {
  "use strict";
  var box = document.getElementById("order-standing");
  if (!box) { return; }
  var FIRST_DELAY_MS = 1000, LONGEST_DELAY_MS = 15000, SLOW_AFTER_MS = 60000;
  var following = false;

  function ask() {
    return fetch(box.dataset.statusUrl, {
      headers: { "Accept": "application/json", "X-Order-Secret": box.dataset.orderSecret },
      cache: "no-store",
      credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) { throw new Error("status " + response.status); }
      return response.json();
    });
  }

  // ``settled(now)`` says whether the answer differs from what the page shows. The first question comes after
  // a second, then each waits half as long again as the last, up to 15 s.
  function follow(settled) {
    if (following) { return; }
    following = true;
    var delay = FIRST_DELAY_MS, started = Date.now();
    function tick() {
      ask().then(function (now) {
        if (settled(now)) { window.location.reload(); } else { later(); }
      }, later);  // a network hiccup or a server busy for a moment: keep asking
    }
    function later() {
      if (Date.now() - started > SLOW_AFTER_MS) { document.getElementById("follow-slow").hidden = false; }
      delay = Math.min(LONGEST_DELAY_MS, Math.round(delay * 1.5));
      window.setTimeout(tick, delay);
    }
    window.setTimeout(tick, delay);
  }

  // Called by card-payment.js once Stripe.js confirmed the payment: show it and tell the server, then follow.
  // Until the server has heard (or if telling it failed), "pending" still means "wait", never the pay form.
  function confirmed(paymentIntentId) {
    box.dataset.standing = "confirming";
    document.getElementById("order-status").textContent = box.dataset.confirmingLabel;
    document.getElementById("confirming-note").hidden = false;
    var card = document.getElementById("card-payment");
    if (card) { card.hidden = true; }
    var token = document.querySelector('meta[name="csrf-token"]');
    return fetch(box.dataset.confirmedUrl, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-Order-Secret": box.dataset.orderSecret,
        "X-CSRFToken": token ? token.content : ""
      },
      credentials: "same-origin",
      body: JSON.stringify({ payment_intent: paymentIntentId })
    }).catch(function () { return null; }).then(function () {
      follow(function (now) { return now.standing !== "confirming" && now.standing !== "pending"; });
    });
  }

  window.podiumOrderStanding = { confirmed: confirmed };
  // A page rendered while a payment was in flight: reload once the standing, or its refunds, change.
  if (box.dataset.follow) {
    var shown = { standing: box.dataset.standing, refunds: Number(box.dataset.refunds) };
    follow(function (now) {
      return now.standing !== shown.standing || now.refunds.length !== shown.refunds || !now.in_flight;
    });
  }
})();
