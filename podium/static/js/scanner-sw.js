// The scanner's service worker (served as /staff/events/{event}/scanner-sw.js, its scope the scanner page):
// it keeps the page and the files it links, so the scanner opens offline after one visit, after a reload
// and after the browser restarts. Network first (a fresh page, a fresh CSRF token), the kept copy when the
// network fails or hangs. The scanner bundle is kept by the page itself (Cache Storage "podium-scanner-bundles").
const SHELL_CACHE = "podium-scanner-shell-v1";
const NETWORK_WAIT_MS = 4000;
const ICONS = ["/static/icons/scanner-192.png", "/static/icons/scanner-512.png"];
const PAGE = new URL(self.registration.scope).pathname;

// The page, then every file of ours it links (read from the page, so a script added to the layout is kept too).
async function keepShell() {
  const cache = await caches.open(SHELL_CACHE);
  const response = await fetch(PAGE, { credentials: "same-origin" });
  if (!response.ok || response.redirected) throw new Error(`the scanner page answered ${response.status}`);
  const html = await response.clone().text();
  await cache.put(PAGE, response);
  const linked = [...html.matchAll(/(?:src|href)="(\/static\/[^"?#]+)"/g)].map((m) => m[1]);
  await cache.addAll([...new Set([...linked, ...ICONS])]);
}

self.addEventListener("install", (event) => {
  event.waitUntil(keepShell().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names.filter((n) => n.startsWith("podium-scanner-shell-") && n !== SHELL_CACHE).map((n) => caches.delete(n)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

function fromNetwork(request, key) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the network did not answer")), NETWORK_WAIT_MS);
    fetch(request).then(
      (response) => {
        clearTimeout(timer);
        // Only a whole page or file is kept: never a redirect to the login page or an error.
        if (response.ok && response.type === "basic" && !response.redirected) {
          const copy = response.clone();
          caches.open(SHELL_CACHE).then((cache) => cache.put(key, copy));
        }
        resolve(response);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  const ours = url.pathname === PAGE || url.pathname.startsWith("/static/");
  if (request.method !== "GET" || url.origin !== self.location.origin || !ours) return;
  const key = url.pathname;
  event.respondWith(
    fromNetwork(request, key).catch(async (error) => {
      const copy = await caches.match(key, { cacheName: SHELL_CACHE });
      if (copy) return copy;
      throw error;
    }),
  );
});
