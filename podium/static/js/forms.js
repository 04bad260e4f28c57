// Forms that help: after a refused submit the error summary takes focus (a screen reader reads how many
// things to fix, a keyboard user starts there), and each of its links moves focus to the field itself, not
// only the scroll position. After "Register someone else" the new attendee's first field takes focus.
(function () {
  "use strict";
  function control(target) {
    if (target.matches("input, select, textarea, button")) { return target; }
    return target.querySelector("input:not([disabled]), select:not([disabled]), textarea:not([disabled])") || target;
  }
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var target = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!target) { return; }
      event.preventDefault();
      var field = control(target);
      (target.closest(".field, fieldset") || target).scrollIntoView({ block: "start" });
      field.focus({ preventScroll: true });
    });
    return;
  }
  var first = document.querySelector("[data-focus-first]");
  if (first) { control(first).focus(); }
})();
