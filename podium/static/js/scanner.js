// The staff scanner: camera (jsQR), keyboard-wedge or typed codes; online answers come from POST /api/checkins,
// offline answers from the scanner bundle (badge tokens verified here with WebCrypto Ed25519, see
// badges/tokens.py for the format) and the scans wait in a queue that uploads when the network returns.
// Every scan carries this device's id and an increasing sequence number, so an upload repeated after a
// lost answer is recorded once.
(function () {
  "use strict";
  const root = document.getElementById("scanner");
  if (!root) return;
  const slug = root.dataset.event;
  const store = (key) => `podium-scanner:${slug}:${key}`;
  const $ = (id) => document.getElementById(id);
  const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  // The page's CSRF token goes with every upload (the session cookie authenticates them; podium/csrf.py).
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const POST_HEADERS = {
    "Content-Type": "application/json",
    Accept: "application/json",
    "X-CSRFToken": csrfMeta ? csrfMeta.content : "",
  };

  let bundle = JSON.parse(localStorage.getItem(store("bundle")) || "null");
  let queue = JSON.parse(localStorage.getItem(store("queue")) || "[]");
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
    $("queue-state").textContent = `${queue.length} scan${queue.length === 1 ? "" : "s"} waiting to upload`;
  }

  function setOnline(value) {
    online = value;
    $("net-state").textContent = online ? "Online" : "Offline — scans are checked on this device and kept";
  }

  function show(level, headline, detail) {
    const box = $("result");
    box.className = `scan-result ${level}`;
    box.querySelector(".scan-headline").textContent = headline;
    box.querySelector(".scan-detail").textContent = detail || "";
    if (navigator.vibrate) navigator.vibrate(level === "ok" ? 80 : [60, 60, 60]);
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

  async function verifyOffline(token) {
    const raw = base45(token);
    if (!raw || raw.length !== 76 || raw[0] !== 1) return { level: "bad", reason: "invalid" };
    if (!bundle || hex(raw.slice(1, 5)) !== bundle.key.kid) return { level: "bad", reason: "invalid" };
    if (!publicKey) {
      publicKey = await crypto.subtle.importKey("raw", base64url(bundle.key.public_key), { name: "Ed25519" }, false, [
        "verify",
      ]);
    }
    const good = await crypto.subtle.verify({ name: "Ed25519" }, publicKey, raw.slice(12), raw.slice(0, 12));
    if (!good) return { level: "bad", reason: "invalid" };
    const serial = serialOf(raw.slice(5, 10));
    const version = (raw[10] << 8) | raw[11];
    return judge(serial, version);
  }

  function judge(serial, version) {
    const badge = bundle && bundle.badges.find((b) => b.serial === serial);
    if (!badge) return { level: "bad", reason: "invalid" };
    if (version !== null && version < badge.version) return { level: "bad", reason: "revoked", badge };
    if (badge.status !== "ok") return { level: "bad", reason: badge.status, badge };
    return { level: "ok", reason: "accepted_offline", badge };
  }

  const HUMAN = {
    invalid: "Unknown or altered code",
    revoked: "Badge replaced: this one no longer works",
    not_paid: "Not paid",
    cancelled: "Registration cancelled",
  };

  // --- scanning -------------------------------------------------------------------------------------
  async function handle(code) {
    const text = code.replace(/[\r\n]+$/, "");
    if (!text) return;
    const checkpoint = $("checkpoint").value;
    if (!checkpoint) {
      show("bad", "Choose a checkpoint first", "");
      return;
    }
    const typedSerial = /^[0-9A-Za-z]{8}$/.test(text.trim());
    const scan = {
      checkpoint_id: checkpoint,
      device_id: deviceId,
      device_seq: nextSeq(),
      device_time: new Date().toISOString(),
      direction: $("direction").value,
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
          show(result.level, result.reason.replace(/_/g, " "), [who, result.message].filter(Boolean).join(" — "));
          return;
        }
        if (response.status < 500) {
          const problem = await response.json().catch(() => ({}));
          show("bad", "Not checked", problem.detail || `error ${response.status}`);
          return;
        }
      } catch (error) {
        setOnline(false);
      }
    }
    const verdict = typedSerial ? judge(scan.serial, null) : await verifyOffline(text);
    const who = verdict.badge && verdict.badge.name ? `${verdict.badge.name} · ${verdict.badge.category}` : "";
    if (verdict.level !== "ok") {
      show("bad", verdict.reason.replace(/_/g, " "), [who, HUMAN[verdict.reason]].filter(Boolean).join(" — "));
      return;
    }
    queue.push(scan);
    saveQueue();
    show("ok", "accepted offline (will sync)", who);
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
      // Recorded (or refused for good): either way the server has the answer; replays are idempotent.
      queue = queue.slice(batch.length);
      saveQueue();
    } catch (error) {
      setOnline(false);
    }
  }

  async function loadBundle() {
    try {
      const response = await fetch(`/api/events/${slug}/scanner-bundle?names=true`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(`bundle ${response.status}`);
      bundle = await response.json();
      publicKey = null;
      localStorage.setItem(store("bundle"), JSON.stringify(bundle));
      setOnline(true);
    } catch (error) {
      setOnline(false);
    }
    const select = $("checkpoint");
    const chosen = select.value || localStorage.getItem(store("checkpoint"));
    select.replaceChildren(
      ...(bundle ? bundle.checkpoints : []).map((c) => new Option(c.name, c.id, false, c.id === chosen)),
    );
    root.dataset.ready = bundle ? "yes" : "no";
  }

  $("checkpoint").addEventListener("change", (e) => localStorage.setItem(store("checkpoint"), e.target.value));
  $("manual").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("code");
    const code = input.value;
    input.value = "";
    handle(code);
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
        .map((b) => ({ name: b.name, category: b.category, serial: b.serial, status: b.status, email: b.email }));
    }
    list.replaceChildren(
      ...people.slice(0, 20).map((p) => {
        const item = document.createElement("li");
        item.className = "card";
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = `Check in ${p.name}`;
        button.addEventListener("click", () => handle(p.serial));
        item.append(`${p.name} · ${p.category} · ${p.status} · ${p.serial} `, button);
        return item;
      }),
    );
    if (!people.length) list.replaceChildren(Object.assign(document.createElement("li"), { textContent: "Nobody found." }));
  });

  // --- camera ---------------------------------------------------------------------------------------
  let stream = null;
  let lastCode = "";
  let lastAt = 0;
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
      const now = Date.now();
      if (found && found.data && (found.data !== lastCode || now - lastAt > 4000)) {
        lastCode = found.data;
        lastAt = now;
        await handle(found.data);
      }
    }
    requestAnimationFrame(tick);
  }
  $("camera-toggle").addEventListener("click", async () => {
    const video = $("camera");
    if (stream) {
      stream.getTracks().forEach((t) => t.stop());
      stream = null;
      video.hidden = true;
      $("camera-toggle").textContent = "Start camera";
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      $("camera-toggle").textContent = "Stop camera";
      requestAnimationFrame(tick);
    } catch (error) {
      show("bad", "No camera", "Allow the camera, or scan into the code field.");
    }
  });

  window.addEventListener("online", () => {
    setOnline(true);
    sync();
    loadBundle();
  });
  window.addEventListener("offline", () => setOnline(false));
  setInterval(sync, 3000);
  saveQueue();
  loadBundle().then(sync);
  $("code").focus();
})();
