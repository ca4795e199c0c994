// Residents' app, shared by every page: texts, this device's reports, the outbox of
// reports waiting for the network (IndexedDB, photos included), the service worker.
(function () {
  "use strict";
  const Vigie = window.Vigie;
  const C = (window.Citizen = {});
  const cfg = (C.config = Vigie.data("citizen-config") || { messages: {}, lang: "fr" });

  C.t = function (key, values) {
    let text = cfg.messages[key] || key;
    Object.keys(values || {}).forEach(function (k) { text = text.split("{" + k + "}").join(values[k]); });
    return text;
  };
  const plurals = window.Intl && Intl.PluralRules ? new Intl.PluralRules(cfg.lang) : null;
  C.plural = function (key, n) {
    const one = plurals ? plurals.select(n) === "one" : n === 1; // "0 signalement", "0 reports"
    return C.t(key + (one ? "_one" : "_many"), { n: n });
  };

  // Escape for HTML text and attribute values.
  C.esc = function (value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  };

  C.uuid = function () {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, function (x) { return x.toString(16).padStart(2, "0"); }).join("");
  };

  const local = {
    get: function (key, fallback) {
      try { const v = localStorage.getItem(key); return v ? JSON.parse(v) : fallback; } catch (e) { return fallback; }
    },
    set: function (key, value) { try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* full or disabled */ } },
  };

  C.deviceId = function () {
    let id = local.get("vigie.device", "");
    if (!id) { id = C.uuid(); local.set("vigie.device", id); }
    return id;
  };

  // "Mes signalements": {id, reference, token, service, created} of each report made or followed here.
  C.mine = {
    list: function () { return local.get("vigie.mine", []); },
    has: function (token) { return C.mine.list().some(function (e) { return e.token === token; }); },
    add: function (entry) {
      const list = C.mine.list().filter(function (e) { return e.token !== entry.token; });
      list.unshift(entry);
      local.set("vigie.mine", list.slice(0, 200));
    },
    remove: function (token) {
      local.set("vigie.mine", C.mine.list().filter(function (e) { return e.token !== token; }));
    },
  };

  // Our photos' URLs from the API carry the public base URL: keep the same-site path.
  C.localUrl = function (url) {
    if (!url) return "";
    try {
      const u = new URL(url, location.href);
      const ours = u.origin === location.origin || (cfg.public_base && url.indexOf(cfg.public_base + "/") === 0);
      return ours && u.pathname.indexOf("/api/v1/photos/") === 0 ? u.pathname : "";
    } catch (e) { return ""; }
  };

  // Public reads never send the staff session: the answer is the public view, safe to keep offline.
  C.get = function (url) { return Vigie.api(url, { credentials: "omit" }); };

  const loading = {};
  C.load = function (url) {
    if (!loading[url]) {
      loading[url] = new Promise(function (resolve, reject) {
        const css = url.split("?")[0].endsWith(".css");
        const el = document.createElement(css ? "link" : "script");
        if (css) { el.rel = "stylesheet"; el.href = url; } else { el.src = url; }
        el.onload = resolve;
        el.onerror = function () { delete loading[url]; el.remove(); reject(new Error("cannot load " + url)); };
        document.head.appendChild(el);
      });
    }
    return loading[url];
  };
  // Leaflet is loaded only when a map is shown.
  C.leaflet = function () {
    return window.L ? Promise.resolve() : Promise.all([C.load(cfg.leaflet.css), C.load(cfg.leaflet.js)]);
  };

  C.refineTimes = function (root) {
    (root || document).querySelectorAll("time[datetime]").forEach(function (el) {
      const iso = el.getAttribute("datetime");
      if (iso) el.textContent = Vigie.formatDate(iso);
    });
  };

  // --- Outbox: reports kept on the device until the server has them ---------------
  const memory = new Map(); // used when IndexedDB is not available (private browsing…)
  let dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
        const req = indexedDB.open("vigie-citizen", 1);
        req.onupgradeneeded = function () { req.result.createObjectStore("outbox", { keyPath: "key" }); };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return dbPromise;
  }
  function tx(mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        const t = d.transaction("outbox", mode);
        const req = fn(t.objectStore("outbox"));
        t.oncomplete = function () { resolve(req.result); };
        t.onerror = t.onabort = function () { reject(t.error); };
      });
    });
  }
  const outbox = (C.outbox = {
    all: function () {
      return tx("readonly", function (s) { return s.getAll(); })
        .catch(function () { return Array.from(memory.values()); })
        .then(function (list) { return (list || []).sort(function (a, b) { return a.created < b.created ? -1 : 1; }); });
    },
    get: function (key) { return tx("readonly", function (s) { return s.get(key); }).catch(function () { return memory.get(key); }); },
    put: function (rec) { return tx("readwrite", function (s) { return s.put(rec); }).catch(function () { memory.set(rec.key, rec); }); },
    remove: function (key) { return tx("readwrite", function (s) { return s.delete(key); }).catch(function () { memory.delete(key); }); },
  });

  // One attempt. The Idempotency-Key was made with the report: a retry never creates a second one.
  C.send = async function (rec) {
    const body = new FormData();
    Object.keys(rec.fields).forEach(function (k) {
      const v = rec.fields[k];
      if (v !== "" && v != null) body.append(k, v);
    });
    (rec.photos || []).forEach(function (p) { body.append("photos", p.blob, p.name); });
    let response;
    try {
      response = await fetch("/api/v1/reports", {
        method: "POST",
        body: body,
        credentials: "omit",
        headers: { Accept: "application/json", "Accept-Language": cfg.lang, "Idempotency-Key": rec.key },
      });
    } catch (e) {
      return { state: "retry" };
    }
    let data = null;
    try { data = await response.json(); } catch (e) { /* not JSON */ }
    if (response.ok) return { state: "sent", report: data };
    if (response.status >= 500 || response.status === 408 || response.status === 429) return { state: "retry" };
    return { state: "refused", error: data || { detail: response.statusText } };
  };

  let chain = Promise.resolve();
  function exclusive(fn) {
    // One sender at a time, across tabs when the browser has Web Locks.
    const run = function () {
      return navigator.locks ? navigator.locks.request("vigie-outbox", fn) : fn();
    };
    const next = chain.then(run, run);
    chain = next.catch(function () {});
    return next;
  }

  C.deliver = function (key, interactive) {
    return exclusive(async function () {
      const rec = await outbox.get(key);
      if (!rec) return { state: "gone" };
      const result = await C.send(rec);
      if (result.state === "sent") {
        await outbox.remove(key);
        C.mine.add({
          id: result.report.id,
          reference: result.report.reference,
          token: result.report.token,
          service: result.report.service_name || rec.service_name,
          created: result.report.requested_at || rec.created,
        });
      } else if (result.state === "refused") {
        if (interactive) {
          await outbox.remove(key);
        } else {
          rec.failed = true;
          rec.error = (result.error && result.error.detail) || "";
          await outbox.put(rec);
        }
      }
      return result;
    }).then(function (result) {
      if (result.state === "sent") {
        if (!interactive) Vigie.announce(C.t("js.sent", { reference: result.report.reference }));
        window.dispatchEvent(new CustomEvent("citizen:sent", { detail: { key: key, report: result.report } }));
      }
      C.refreshBanner();
      return result;
    });
  };

  let flushing = false;
  C.flush = async function (force) {
    if (flushing || (!force && navigator.onLine === false)) return;
    flushing = true;
    try {
      const list = await outbox.all();
      for (const rec of list) {
        if (rec.failed) continue;
        const result = await C.deliver(rec.key, false);
        if (result.state === "retry") break;
      }
    } finally {
      flushing = false;
      C.refreshBanner();
    }
  };

  const banner = document.getElementById("outbox-banner");
  C.refreshBanner = async function () {
    const list = await outbox.all();
    const failed = list.filter(function (r) { return r.failed; }).length;
    const waiting = list.length - failed;
    if (banner) {
      const parts = [];
      if (waiting) parts.push(C.plural("js.outbox_waiting", waiting));
      if (failed) parts.push(C.plural("js.outbox_failed", failed));
      const text = parts.join(" · ");
      const node = document.getElementById("outbox-text");
      if (node.textContent !== text) node.textContent = text;
      banner.hidden = list.length === 0;
    }
    window.dispatchEvent(new CustomEvent("citizen:outbox", { detail: list }));
    return list;
  };

  const retry = document.getElementById("outbox-retry");
  if (retry) retry.addEventListener("click", function () { C.flush(true); });
  window.addEventListener("online", function () { C.flush(); });
  window.setInterval(function () { C.flush(); }, 30000);
  C.refreshBanner().then(function (list) { if (list.length) C.flush(); });
  C.refineTimes();

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js").catch(function () { /* the app works without it */ });
    });
  }
})();
