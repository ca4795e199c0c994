// Residents' app: favourite places and addresses kept on this device, and, for a resident
// signed in to their (optional) account, the device's lists kept in step with the account:
// what the device held is merged at every page load (idempotent on the server), what the
// account holds from other devices is added here, and a report made, followed or forgotten
// here, or a favourite added or removed, is told to the account at once.
(function () {
  "use strict";
  const Vigie = window.Vigie;
  const C = window.Citizen;
  if (!C) return;
  const account = C.config.account || null; // {csrf} when signed in

  const FAV_KEY = "vigie.favourites";
  function readFavourites() {
    try { const v = localStorage.getItem(FAV_KEY); return v ? JSON.parse(v) : []; } catch (e) { return []; }
  }
  function writeFavourites(list) {
    try { localStorage.setItem(FAV_KEY, JSON.stringify(list.slice(0, 100))); } catch (e) { /* full or disabled */ }
  }
  function same(a, b) { return a.kind === b.kind && a.ref === b.ref; }

  C.favourites = {
    list: readFavourites,
    has: function (f) { return readFavourites().some(function (x) { return same(x, f); }); },
    add: function (f) {
      const list = readFavourites().filter(function (x) { return !same(x, f); });
      list.unshift({ kind: f.kind, ref: f.ref, label: f.label, lat: f.lat == null ? null : f.lat, lon: f.lon == null ? null : f.lon });
      writeFavourites(list);
    },
    remove: function (f) { writeFavourites(readFavourites().filter(function (x) { return !same(x, f); })); },
  };

  // The account's API: same-origin cookie, the session's CSRF token (not the staff's).
  function call(method, url, body) {
    const headers = { Accept: "application/json", "X-CSRF-Token": account.csrf };
    const opts = { method: method, headers: headers, credentials: "same-origin" };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    return fetch(url, opts).then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      return r.status === 204 ? null : r.json();
    });
  }
  const quiet = function () { /* offline: the next page load merges again */ };

  if (account) {
    const add = C.mine.add;
    C.mine.add = function (entry) {
      add(entry);
      if (entry && entry.token) call("POST", "/api/v1/resident/reports", { token: entry.token }).catch(quiet);
    };
    const remove = C.mine.remove;
    C.mine.remove = function (token) {
      remove(token);
      call("DELETE", "/api/v1/resident/reports/" + encodeURIComponent(token)).catch(quiet);
    };
    const favAdd = C.favourites.add;
    C.favourites.add = function (f) {
      favAdd(f);
      call("POST", "/api/v1/resident/favourites", { kind: f.kind, ref: f.ref, label: f.label, lat: f.lat, lon: f.lon }).catch(quiet);
    };
    const favRemove = C.favourites.remove;
    C.favourites.remove = function (f) {
      favRemove(f);
      call("DELETE", "/api/v1/resident/favourites?kind=" + encodeURIComponent(f.kind) + "&ref=" + encodeURIComponent(f.ref)).catch(quiet);
    };

    const sent = {
      reports: C.mine.list().map(function (e) { return e.token; }).filter(Boolean).slice(0, 200),
      favourites: readFavourites().map(function (f) {
        return { kind: f.kind, ref: f.ref, label: f.label, lat: f.lat == null ? null : f.lat, lon: f.lon == null ? null : f.lon };
      }),
    };
    call("POST", "/api/v1/resident/merge", sent).then(function (data) {
      const known = {};
      C.mine.list().forEach(function (e) { known[e.token] = true; });
      data.reports.slice().reverse().forEach(function (r) {
        if (!known[r.token]) add({ reference: r.reference, token: r.token, service: r.service, created: r.requested_at });
      });
      data.favourites.forEach(function (f) { if (!C.favourites.has(f)) favAdd(f); });
      document.documentElement.setAttribute("data-account-synced", "1");
      window.dispatchEvent(new CustomEvent("citizen:account", { detail: data }));
    }).catch(quiet);
  }

  // "Add to favourites" buttons (a place's page, an address's collections).
  document.querySelectorAll("[data-favourite]").forEach(function (button) {
    const f = {
      kind: button.dataset.kind,
      ref: button.dataset.ref,
      label: button.dataset.label,
      lat: button.dataset.lat ? Number(button.dataset.lat) : null,
      lon: button.dataset.lon ? Number(button.dataset.lon) : null,
    };
    function show() {
      const on = C.favourites.has(f);
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = C.t(on ? "account.favourite.added" : "account.favourite.add");
    }
    button.addEventListener("click", function () {
      if (C.favourites.has(f)) C.favourites.remove(f); else C.favourites.add(f);
      show();
      Vigie.announce(button.textContent);
    });
    window.addEventListener("citizen:account", show);
    button.hidden = false;
    show();
  });

  // The favourites kept on this device (with or without an account), where a page lists them.
  const mine = document.querySelector("[data-favourite-list]");
  function listFavourites() {
    const list = C.favourites.list();
    mine.replaceChildren.apply(mine, list.map(function (f) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = f.kind === "place" ? "/lieux/" + encodeURIComponent(f.ref) : "/dechets?q=" + encodeURIComponent(f.ref);
      a.textContent = f.label || f.ref;
      li.append(a);
      return li;
    }));
    mine.closest("section").hidden = list.length === 0;
  }
  if (mine) {
    listFavourites();
    window.addEventListener("citizen:account", listFavourites);
  }

  // The account page's "remove from favourites".
  document.querySelectorAll("[data-unfavourite]").forEach(function (button) {
    button.addEventListener("click", function () {
      C.favourites.remove({ kind: button.dataset.kind, ref: button.dataset.ref });
      const li = button.closest("li");
      if (li) li.remove();
      Vigie.announce(button.textContent);
    });
  });
})();
