// Keeps the page and its QR encoder on the phone, so the card can be made
// (and shown again) with no connection. Network first: an online load always
// fetches the current files (past the HTTP cache) and refreshes the stored
// copy, so a fix reaches phones on their next visit; offline, or when the
// server does not answer in time, the stored copy answers.
const CACHE = "prereg";
const FILES = ["./", "index.html", "style.css", "i18n.js", "card.js", "app.js", "vendor/qrcode.js",
               "manifest.webmanifest"];
const WAIT_MS = 5000;  // a phone on a poor signal gets the stored page after this
const OWN = new Set(FILES.map((f) => new URL(f, self.registration.scope).pathname));

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE)
    .then((c) => c.addAll(FILES.map((f) => new Request(f, { cache: "reload" }))))
    .then(() => self.skipWaiting()));
});

// Cache names of earlier versions ("prereg-v2") are dropped.
self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

const stored = (key) => caches.open(CACHE).then((c) => c.match(key));

self.addEventListener("fetch", (event) => {
  if (event.request.method !== "GET") return;
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin || !OWN.has(url.pathname)) return;
  const key = url.origin + url.pathname;  // ?lang=en is the same file
  // By URL: a navigation's own Request may not be re-made with other options.
  const network = fetch(url.href, { cache: "no-cache", credentials: "same-origin" });
  const saved = network.then((res) => {
    if (!res.ok || res.redirected) return;
    const copy = res.clone();
    return caches.open(CACHE).then((c) => c.put(key, copy));
  }).catch(() => {});
  event.waitUntil(saved);
  const fallback = (res) => stored(key).then((hit) => hit || res || Response.error());
  const answered = network.then((res) => (res.ok && !res.redirected ? res : fallback(res)), () => fallback(null));
  const slow = new Promise((resolve) => setTimeout(resolve, WAIT_MS))
    .then(() => stored(key)).then((hit) => hit || answered);
  event.respondWith(Promise.race([answered, slow]));
});
