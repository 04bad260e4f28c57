// Times on program pages are the event's wall clock. A visitor whose own zone differs (planning from home,
// or travelling) also sees each time on their own clock, beside it; without JavaScript the page names the
// event's zone once and that is all. Elements: <time datetime="ISO instant" data-local>, and one element with
// data-event-zone (the zone note).
(function () {
  "use strict";
  var note = document.querySelector("[data-event-zone]");
  if (!note || !window.Intl || !Intl.DateTimeFormat) return;
  var eventZone = note.getAttribute("data-event-zone");
  var visitorZone;
  try { visitorZone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!visitorZone || visitorZone === eventZone) return;
  function parts(instant, zone) {
    var out = {};
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone, weekday: "short", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    }).formatToParts(instant).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }
  var times = document.querySelectorAll("time[data-local]");
  var differs = false;
  times.forEach(function (el) {
    var instant = new Date(el.getAttribute("datetime"));
    if (isNaN(instant.getTime())) return;
    var there = parts(instant, eventZone), here = parts(instant, visitorZone);
    if (there.hour === here.hour && there.minute === here.minute && there.day === here.day) return;
    differs = true;
    var own = here.hour + ":" + here.minute;
    if (there.day !== here.day || there.month !== here.month) own = here.weekday + " " + own;
    var span = document.createElement("span");
    span.className = "your-time";
    span.textContent = " (" + own + " your time)";
    el.insertAdjacentElement("afterend", span);
  });
  if (differs) {
    var extra = document.createElement("span");
    extra.className = "your-zone";
    extra.textContent = " In brackets: your time (" + visitorZone.replace(/_/g, " ") + ").";
    note.appendChild(extra);
  }
})();
