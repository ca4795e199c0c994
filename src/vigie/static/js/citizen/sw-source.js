// Service worker of the residents' app, served at /sw.js (scope: the whole site).
// vigie/citizen/pwa.py puts VERSION and PRECACHE (the app shell) in front of this file.
//
// - app shell and static files: kept on the device (cache first when the URL carries a
//   content hash, network first otherwise);
// - residents' pages: network first, the last copy when offline, else the offline page;
// - public API GETs: network first, the last answer when offline. Only answers that
//   cannot depend on a staff session are kept: public endpoints, and requests sent
//   without credentials (the residents' scripts send them so);
// - anything else (POST, live event streams, staff pages, other sites): never touched.
/* global VERSION, PRECACHE */
"use strict";

const SHELL = "vigie-shell-" + VERSION;
const PAGES = "vigie-pages";
const API = "vigie-api";
const STATIC = "vigie-static";
const KEEP = [SHELL, PAGES, API, STATIC];
const LIMITS = { [PAGES]: 40, [API]: 120, [STATIC]: 80 };
const CITIZEN_PAGE = /^\/(mes-signalements|carte|hors-ligne|suivi\/[^/]+)?$/;
const PUBLIC_API = /^\/api\/v1\/(services|zones|addresses|track\/[^/]+|reports\/duplicates|map\/layers\/[a-z-]+\.geojson)$/;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith("vigie-") && !KEEP.includes(n)).map((n) => caches.delete(n))))
      .then(() => self.clients.claim())
  );
});

async function trim(name) {
  const cache = await caches.open(name);
  const keys = await cache.keys();
  for (let i = 0; i < keys.length - LIMITS[name]; i += 1) await cache.delete(keys[i]);
}

async function remember(name, request, response) {
  if (!response || response.status !== 200 || response.type !== "basic") return;
  const cache = await caches.open(name);
  await cache.put(request, response);
  await trim(name);
}

async function networkFirst(event, name, fallback) {
  try {
    const response = await fetch(event.request);
    event.waitUntil(remember(name, event.request, response.clone()));
    return response;
  } catch (error) {
    const cached = await caches.match(event.request, { ignoreVary: true });
    if (cached) return cached;
    if (fallback) {
      const page = await caches.match(fallback);
      if (page) return page;
    }
    throw error;
  }
}

async function fromCitizenPage(event) {
  const client = event.clientId ? await self.clients.get(event.clientId) : null;
  return Boolean(client && CITIZEN_PAGE.test(new URL(client.url).pathname));
}

async function cacheFirst(event) {
  const cached = await caches.match(event.request);
  if (cached) return cached;
  const response = await fetch(event.request);
  event.waitUntil(remember(STATIC, event.request, response.clone()));
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return; // reports are sent by the page, never replayed from here
  if (request.headers.has("range")) return; // the basemap's byte ranges: the HTTP cache keeps them
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const path = url.pathname;
  if (path.startsWith("/api/v1/events/") || (request.headers.get("accept") || "").includes("text/event-stream")) return;
  if (path === "/sw.js") return;
  if (request.mode === "navigate") {
    if (CITIZEN_PAGE.test(path)) event.respondWith(networkFirst(event, PAGES, "/hors-ligne"));
  } else if (path.startsWith("/static/")) {
    // ?v=<content hash> never changes: keep it. Other static URLs may change: ask the network first.
    event.respondWith(url.searchParams.has("v") ? cacheFirst(event) : networkFirst(event, STATIC));
  } else if (path.startsWith("/api/v1/photos/")) {
    // Photos are kept only when a residents' page shows them (never from staff pages).
    event.respondWith(fromCitizenPage(event).then((ok) => (ok ? cacheFirst(event) : fetch(request))));
  } else if (PUBLIC_API.test(path) || (path.startsWith("/api/v1/") && request.credentials === "omit")) {
    event.respondWith(networkFirst(event, API));
  } else if (path === "/manifest.webmanifest") {
    event.respondWith(networkFirst(event, API));
  }
});
