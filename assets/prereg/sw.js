// Keeps the page and its QR encoder on the phone, so the card can be made
// (and shown again) with no connection. Cache first: nothing here changes
// between visits except with a new CACHE name.
const CACHE = "prereg-v2";
const FILES = ["./", "index.html", "style.css", "i18n.js", "card.js", "app.js", "vendor/qrcode.js",
               "manifest.webmanifest"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  if (event.request.method !== "GET") return;
  event.respondWith(caches.match(event.request, { ignoreSearch: true })
    .then((hit) => hit || fetch(event.request)));
});
