// Tells the server the reader's time zone (podium/reader_zone.py), so pages and mails show the reader's own
// clock beside the event's. Stores the browser's zone in the podium_tz cookie when there is none, or when the
// browser's zone has changed since this script last stored it (a traveller's laptop moved); otherwise a zone
// the reader picked with the form stays. The page itself is not loaded again: a reload under the reader's
// fingers (typing a search, following a link) costs more than one page without their clock; the next page
// they open shows it.
(function () {
  "use strict";
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone || !/^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone)) return;
  function cookie() {
    var found = document.cookie.match(/(?:^|;\s*)podium_tz=([^;]*)/);
    return found ? found[1] : null;
  }
  var stored = cookie(), seen = null;
  try { seen = window.localStorage.getItem("podium_tz_seen"); } catch (e) { /* storage blocked: cookie only */ }
  try { window.localStorage.setItem("podium_tz_seen", zone); } catch (e) { /* as above */ }
  if (stored === zone || (stored !== null && (seen === null || seen === zone))) return;
  document.cookie = "podium_tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax" +
    (location.protocol === "https:" ? "; Secure" : "");
})();
