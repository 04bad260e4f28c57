// The staff scanner: camera (jsQR), keyboard-wedge or typed codes; online answers come from POST /api/checkins,
// offline answers from the scanner bundle (badge tokens verified here with WebCrypto Ed25519, see
// badges/tokens.py for the format) and the server's own rules (scan-rules.js interprets the bundle's rule
// table), and the scans wait in a queue that uploads when the network returns. Every scan carries this
// device's id and an increasing sequence number, so an upload repeated after a lost answer is recorded once.
// A service worker (scanner-sw.js) keeps the page itself, so it opens offline after one visit.
(function () {
  "use strict";
  const root = document.getElementById("scanner");
  if (!root) return;
  const slug = root.dataset.event;
  // Every text this script shows, in the page's language: a JSON data block the page carries
  // (badges/scanner_texts.py), placeholders written %(name)s.
  const TEXT = JSON.parse(document.getElementById("scanner-texts").textContent);
  const fill = (text, values) =>
    text.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? String(values[name]) : whole));
  const plurals = new Intl.PluralRules(document.documentElement.lang || "en");
  const reasonText = (reason) => TEXT.reasons[reason] || reason.replace(/_/g, " ");
  const store = (key) => `podium-scanner:${slug}:${key}`;
  const $ = (id) => document.getElementById(id);
  const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  // The same badge held up to the camera is scanned once per checkpoint and direction until it has been out
  // of sight this long (a camera reads it many times a second).
  const SIGHTING_MS = 30000;
  const BUNDLE_REFRESH_MS = 300000; // a 304 costs the server a bundle build: every 5 minutes per device
  // The page's CSRF token goes with every upload (the session cookie authenticates them; podium/csrf.py).
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const POST_HEADERS = {
    "Content-Type": "application/json",
    Accept: "application/json",
    "X-CSRFToken": csrfMeta ? csrfMeta.content : "",
  };

  const bundleUrl = `/api/events/${slug}/scanner-bundle?names=true`;
  const BUNDLES = "podium-scanner-bundles"; // Cache Storage: a 10,000-badge bundle outgrows localStorage
  let bundle = null;
  // Offline, a badge names its category by code; the bundle has the name in the staff's language.
  const categoryName = (code) => (bundle && bundle.category_names && bundle.category_names[code]) || code;
  let prepared = null;
  let queue = JSON.parse(localStorage.getItem(store("queue")) || "[]");
  // Whom this device admitted, by zone: offline, "already inside" is what the device saw itself.
  let inside = JSON.parse(localStorage.getItem(store("inside")) || "{}");
  let online = navigator.onLine;
  let publicKey = null;
  let deviceId = localStorage.getItem("podium-scanner:device");
  if (!deviceId) {
    deviceId = "web-" + crypto.getRandomValues(new Uint32Array(2)).join("-");
    localStorage.setItem("podium-scanner:device", deviceId);
  }

  function nextSeq() {
    const seq = Number(localStorage.getItem("podium-scanner:seq") || "0") + 1;
    localStorage.setItem("podium-scanner:seq", String(seq));
    return seq;
  }

  function saveQueue() {
    localStorage.setItem(store("queue"), JSON.stringify(queue));
    const form = plurals.select(queue.length) === "one" ? TEXT.queue_one : TEXT.queue_other;
    $("queue-state").textContent = fill(form, { count: queue.length });
  }

  function setOnline(value) {
    online = value;
    $("net-state").textContent = online ? TEXT.online : TEXT.offline;
  }

  function show(level, headline, detail) {
    const box = $("result");
    box.className = `scan-result ${level === "stop" ? "bad" : level}`;
    box.querySelector(".scan-headline").textContent = headline;
    box.querySelector(".scan-detail").textContent = detail || "";
    if (navigator.vibrate) navigator.vibrate(level === "ok" ? 80 : [60, 60, 60]);
    root.dataset.answers = String(Number(root.dataset.answers || "0") + 1);
  }

  // --- the token format (badges/tokens.py) -----------------------------------------------------------
  function base45(text) {
    if (text.length % 3 === 1) return null;
    const out = [];
    for (let i = 0; i < text.length; i += 3) {
      const chunk = text.slice(i, i + 3);
      const digits = [...chunk].map((c) => B45.indexOf(c));
      if (digits.includes(-1)) return null;
      if (chunk.length === 3) {
        const n = digits[0] + digits[1] * 45 + digits[2] * 2025;
        if (n > 65535) return null;
        out.push(n >> 8, n & 255);
      } else {
        const n = digits[0] + digits[1] * 45;
        if (n > 255) return null;
        out.push(n);
      }
    }
    return new Uint8Array(out);
  }

  function base64url(text) {
    const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  }

  function serialOf(bytes) {
    let bits = 0n;
    for (const b of bytes) bits = (bits << 8n) | BigInt(b);
    let text = "";
    for (let shift = 35n; shift >= 0n; shift -= 5n) text += CROCKFORD[Number((bits >> shift) & 31n)];
    return text;
  }

  const hex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");


  // What the code says before the rules: the serial and printing it names, and whether it is genuine.
  async function readCode(scan) {
    if (scan.serial) {
      const cleaned = scan.serial.replace(/O/g, "0").replace(/[IL]/g, "1");
      const valid = /^[0-9A-HJKMNP-TV-Z]{8}$/.test(cleaned);
      return { code_valid: valid, other_event: false, serial: valid ? cleaned : null, version: null };
    }
    const invalid = { code_valid: false, other_event: false, serial: null, version: null };
    const raw = base45(scan.token);
    if (!raw || raw.length !== 76 || raw[0] !== 1 || !bundle) return invalid;
    const serial = serialOf(raw.slice(5, 10));
    const version = (raw[10] << 8) | raw[11];
    // Another event's key: not ours to check (the server checks it, and answers wrong_event too).
    if (hex(raw.slice(1, 5)) !== bundle.key.kid) return { code_valid: true, other_event: true, serial, version };
    if (!publicKey) {
      publicKey = await crypto.subtle.importKey("raw", base64url(bundle.key.public_key), { name: "Ed25519" }, false, [
        "verify",
      ]);
    }
    const good = await crypto.subtle.verify({ name: "Ed25519" }, publicKey, raw.slice(12), raw.slice(0, 12));
    return good ? { code_valid: true, other_event: false, serial, version } : invalid;
  }

  const isInside = (zone, serial) => Boolean(inside[`${zone} ${serial}`]);

  function remember(zone, serial, reason) {
    if (!zone || !serial) return;
    if (reason === "admitted" || reason === "already_admitted") inside[`${zone} ${serial}`] = 1;
    else if (reason === "checked_out") delete inside[`${zone} ${serial}`];
    else return;
    localStorage.setItem(store("inside"), JSON.stringify(inside));
  }

  // The zone an online answer admitted to, named as scan-rules.js names zones.
  function onlineZone(result, checkpointId) {
    if (result.session_id) return `session:${result.session_id}`;
    const checkpoint = prepared && prepared.checkpoints.get(checkpointId);
    if (!checkpoint) return null;
    if (checkpoint.kind === "add_on") return `add_on:${checkpoint.required_add_on}`;
    return checkpoint.kind === "entrance" ? "entrance" : null;
  }

  const LEVELS = { admitted: "ok", checked_out: "ok", already_admitted: "warn" };

  // The answer offline: the server's rules over the bundle and this device's own admissions.
  async function decideOffline(scan) {
    if (!prepared) return { reason: "invalid", level: "stop", badge: undefined, slot: null, zone: null };
    const code = await readCode(scan);
    const verdict = window.PodiumScanRules.decide(
      prepared,
      { ...code, checkpoint_id: scan.checkpoint_id, direction: scan.direction, moment: Date.parse(scan.device_time) },
      isInside,
    );
    return { ...verdict, level: LEVELS[verdict.reason] || "stop" };
  }

  // --- scanning -------------------------------------------------------------------------------------
  const sightings = new Map();
  let held = { code: "", since: 0 };

  // Whether the camera's read of this key (checkpoint, direction, code) is a new sighting, not the same badge
  // still in view or shown again within SIGHTING_MS.
  function freshSighting(key, code) {
    const now = Date.now();
    if (held.code !== code) held = { code, since: now };
    const last = sightings.get(key);
    sightings.set(key, now);
    if (sightings.size > 500) sightings.delete(sightings.keys().next().value);
    return last === undefined || now - last > SIGHTING_MS;
  }

  // source: "camera" for a frame's read, else typed or from a handheld scanner (always a deliberate scan).
  async function handle(code, source) {
    const text = code.replace(/[\r\n]+$/, "");
    if (!text) return;
    const checkpoint = $("checkpoint").value;
    if (!checkpoint) {
      show("bad", TEXT.choose_checkpoint, "");
      return;
    }
    const direction = $("direction").value;
    if (source === "camera" && !freshSighting(`${checkpoint} ${direction} ${text}`, text)) return;
    const typedSerial = /^[0-9A-Za-z]{8}$/.test(text.trim());
    const scan = {
      checkpoint_id: checkpoint,
      device_id: deviceId,
      device_seq: nextSeq(),
      device_time: new Date().toISOString(),
      direction,
    };
    if (typedSerial) scan.serial = text.trim().toUpperCase();
    else scan.token = text;
    if (online) {
      try {
        const response = await fetch("/api/checkins", {
          method: "POST",
          headers: POST_HEADERS,
          credentials: "same-origin",
          body: JSON.stringify({ scans: [scan] }),
        });
        if (response.ok) {
          const [result] = (await response.json()).results;
          const who = result.attendee ? `${result.attendee.name} · ${result.attendee.category}` : "";
          show(result.level, reasonText(result.reason), [who, result.message].filter(Boolean).join(" — "));
          if (result.attendee) remember(onlineZone(result, checkpoint), result.attendee.serial, result.reason);
          return;
        }
        if (response.status < 500) {
          const problem = await response.json().catch(() => ({}));
          show("bad", TEXT.not_checked, problem.detail || fill(TEXT.error, { status: response.status }));
          return;
        }
      } catch (error) {
        setOnline(false);
      }
    }
    const verdict = await decideOffline(scan);
    const badge = verdict.badge;
    const who = badge && badge.name ? `${badge.name} · ${categoryName(badge.category)}` : "";
    const where = verdict.slot ? `“${verdict.slot.title}”` : "";
    const reason = reasonText(verdict.reason);
    const headline = verdict.level === "stop" ? reason : fill(TEXT.offline_result, { result: reason });
    show(verdict.level, headline, [who, where, TEXT.offline_meanings[verdict.reason]].filter(Boolean).join(" — "));
    if (verdict.level === "stop") return;
    remember(verdict.zone, verdict.badge && verdict.badge.serial, verdict.reason);
    queue.push(scan);
    saveQueue();
  }

  async function sync() {
    if (!queue.length) return;
    const batch = queue.slice(0, 500);
    try {
      const response = await fetch("/api/checkins", {
        method: "POST",
        headers: POST_HEADERS,
        credentials: "same-origin",
        body: JSON.stringify({ scans: batch }),
      });
      if (!response.ok && response.status >= 500) return;
      setOnline(true);
      if (response.status === 401 || response.status === 403) {
        // Logged out meanwhile: the scans stay on this device until someone logs in again here.
        $("net-state").textContent = TEXT.log_in_again;
        return;
      }
      // Recorded (or refused for good): either way the server has the answer; replays are idempotent.
      queue = queue.slice(batch.length);
      saveQueue();
    } catch (error) {
      setOnline(false);
    }
  }

  // --- the bundle: kept in Cache Storage, refreshed with If-None-Match (a 304 while nothing changed) ----
  async function cachedBundle() {
    if (!("caches" in window)) return JSON.parse(localStorage.getItem(store("bundle")) || "null");
    localStorage.removeItem(store("bundle")); // where earlier versions of this page kept it
    const hit = await (await caches.open(BUNDLES)).match(bundleUrl);
    return hit ? hit.json() : null;
  }

  async function keepBundle(response) {
    if ("caches" in window) await (await caches.open(BUNDLES)).put(bundleUrl, response);
    else localStorage.setItem(store("bundle"), await response.text());
  }

  function useBundle(value) {
    bundle = value;
    prepared = value ? window.PodiumScanRules.prepare(value) : null;
    publicKey = null;
  }

  const KIND_ORDER = { entrance: 0, room: 1, session: 2, add_on: 3 };

  // The checkpoints, entrance first; this device's last choice stays chosen, a new device starts at the entrance.
  function fillCheckpoints() {
    const select = $("checkpoint");
    const checkpoints = (bundle ? bundle.checkpoints : [])
      .map((c, index) => ({ c, index }))
      .sort((a, b) => (KIND_ORDER[a.c.kind] ?? 9) - (KIND_ORDER[b.c.kind] ?? 9) || a.index - b.index)
      .map(({ c }) => c);
    const wanted = select.value || localStorage.getItem(store("checkpoint"));
    const chosen = checkpoints.some((c) => c.id === wanted)
      ? wanted
      : (checkpoints.find((c) => c.kind === "entrance") || checkpoints[0] || { id: "" }).id;
    select.replaceChildren(...checkpoints.map((c) => new Option(c.name, c.id, false, c.id === chosen)));
  }

  async function loadBundle() {
    if (!bundle) useBundle(await cachedBundle().catch(() => null));
    try {
      const headers = { Accept: "application/json" };
      if (bundle) headers["If-None-Match"] = `"${bundle.version}"`;
      const response = await fetch(bundleUrl, { headers, credentials: "same-origin", cache: "no-store" });
      if (response.status !== 304) {
        if (!response.ok) throw new Error(`bundle ${response.status}`);
        const copy = response.clone();
        useBundle(await response.json());
        await keepBundle(copy);
      }
      setOnline(true);
    } catch (error) {
      setOnline(false);
    }
    fillCheckpoints();
    root.dataset.ready = bundle ? "yes" : "no";
  }

  $("checkpoint").addEventListener("change", (e) => localStorage.setItem(store("checkpoint"), e.target.value));
  $("manual").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("code");
    const code = input.value;
    input.value = "";
    handle(code, "typed");
    input.focus();
  });

  $("lookup").addEventListener("submit", async (event) => {
    event.preventDefault();
    const q = $("lookup-q").value.trim();
    const list = $("lookup-results");
    if (!q) return;
    let people = [];
    try {
      const response = await fetch(`/api/events/${slug}/attendees?q=${encodeURIComponent(q)}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      people = response.ok ? await response.json() : [];
    } catch (error) {
      const term = q.toLowerCase();
      people = (bundle ? bundle.badges : [])
        .filter((b) => (b.name || "").toLowerCase().includes(term) || (b.email || "").toLowerCase().includes(term))
        .map((b) => ({
          name: b.name,
          category: categoryName(b.category),
          serial: b.serial,
          status: b.status,
          email: b.email,
        }));
    }
    list.replaceChildren(
      ...people.slice(0, 20).map((p) => {
        const item = document.createElement("li");
        item.className = "card";
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = fill(TEXT.check_in_person, { name: p.name });
        button.addEventListener("click", () => handle(p.serial, "lookup"));
        const standing = TEXT.standings[p.status] || p.status;
        item.append(`${p.name} · ${p.category} · ${standing} · ${p.serial} `, button);
        return item;
      }),
    );
    if (!people.length) {
      list.replaceChildren(Object.assign(document.createElement("li"), { textContent: TEXT.nobody_found }));
    }
  });

  // --- camera ---------------------------------------------------------------------------------------
  let stream = null;
  async function tick() {
    if (!stream) return;
    const video = $("camera");
    const canvas = $("frame");
    if (video.readyState >= 2 && window.jsQR) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      const context = canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(video, 0, 0);
      const image = context.getImageData(0, 0, canvas.width, canvas.height);
      const found = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      if (found && found.data) await handle(found.data, "camera");
    }
    requestAnimationFrame(tick);
  }
  $("camera-toggle").addEventListener("click", async () => {
    const video = $("camera");
    if (stream) {
      stream.getTracks().forEach((t) => t.stop());
      stream = null;
      video.hidden = true;
      $("camera-toggle").textContent = TEXT.start_camera;
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      $("camera-toggle").textContent = TEXT.stop_camera;
      requestAnimationFrame(tick);
    } catch (error) {
      show("bad", TEXT.no_camera, TEXT.allow_camera);
    }
  });

  // --- offline after one visit: the service worker keeps the page and its files ----------------------
  if ("serviceWorker" in navigator && root.dataset.worker) {
    navigator.serviceWorker
      .register(root.dataset.worker, { scope: location.pathname })
      .then(() => navigator.serviceWorker.ready)
      .then(() => {
        root.dataset.offlineReady = "yes";
      })
      .catch(() => {
        root.dataset.offlineReady = "no";
      });
  }

  // The page's own decisions, for the rules' parity test and the offline benchmark (the code the page runs).
  window.podiumScanner = {
    decideOffline,
    remember,
    heldMs: () => (held.code ? Date.now() - held.since : 0),
  };

  window.addEventListener("online", () => {
    setOnline(true);
    sync();
    loadBundle();
  });
  window.addEventListener("offline", () => setOnline(false));
  setInterval(sync, 3000);
  setInterval(loadBundle, BUNDLE_REFRESH_MS);
  saveQueue();
  loadBundle().then(sync);
  $("code").focus();
})();
