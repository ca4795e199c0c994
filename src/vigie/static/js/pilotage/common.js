// Shared pieces of the control room and field pages: messages, times and SLA
// countdowns, dialogs with focus management, keyboard shortcuts, the live
// stream and the new-report beep (WebAudio, no audio file).
(function () {
  "use strict";
  const P = (window.Pilotage = window.Pilotage || {});
  P.data = Vigie.data("pilotage-data") || {};
  P.messages = Vigie.data("pilotage-messages") || {};
  const locale = P.data.lang === "en" ? "en-GB" : "fr-FR";
  const tz = P.data.timezone || "Europe/Paris";
  const CLOSED = ["resolved", "rejected", "duplicate"];
  P.CLOSED = CLOSED;

  P.$ = function (id) { return document.getElementById(id); };

  // A message of the page's language; {name} placeholders are replaced.
  P.t = function (key, vars) {
    let text = P.messages[key] || key;
    Object.keys(vars || {}).forEach(function (k) { text = text.split("{" + k + "}").join(String(vars[k])); });
    return text;
  };

  // Numbers and plurals by the page's language rules (CLDR, as Babel on the server):
  // "1 234,5" and "0 signalement" in French, "1,234.5" and "0 reports" in English.
  const numbers = new Intl.NumberFormat(locale);
  const plurals = new Intl.PluralRules(locale);
  P.number = function (n) { return numbers.format(n); };
  P.plural = function (key, n, vars) {
    const form = plurals.select(n) === "one" ? "_one" : "_other";
    return P.t(key + form, Object.assign({ n: P.number(n) }, vars || {}));
  };

  P.label = function (kind, code) {
    const labels = (P.data.labels || {})[kind] || {};
    return labels[code] || code || "";
  };

  // --- times ---------------------------------------------------------------
  const short = new Intl.DateTimeFormat(locale, { timeZone: tz, day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit" });
  const shortYear = new Intl.DateTimeFormat(locale, { timeZone: tz, day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit" });
  const yearOf = new Intl.DateTimeFormat("en", { timeZone: tz, year: "numeric" });
  const long = new Intl.DateTimeFormat(locale, { timeZone: tz, dateStyle: "medium", timeStyle: "short" });
  // The year is left out for this year's dates only: imported history goes back years.
  P.shortDate = function (iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return (yearOf.format(d) === yearOf.format(new Date()) ? short : shortYear).format(d);
  };
  P.longDate = function (iso) { return iso ? long.format(new Date(iso)) : ""; };
  P.localiseTimes = function (root) {
    (root || document).querySelectorAll("time[data-datetime]").forEach(function (el) {
      el.textContent = P.longDate(el.getAttribute("datetime"));
    });
  };

  P.slaState = function (expected, status, now) {
    if (!expected || CLOSED.indexOf(status) >= 0) return "none";
    const left = new Date(expected).getTime() - (now || Date.now());
    if (left < 0) return "overdue";
    return left <= 24 * 3600 * 1000 ? "due_soon" : "on_time";
  };

  function pad(n) { return String(n).padStart(2, "0"); }
  P.duration = function (ms) {
    let s = Math.floor(Math.abs(ms) / 1000);
    const d = Math.floor(s / 86400); s -= d * 86400;
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    if (d > 0) return P.t("days_hours", { d: d, h: pad(h) });
    return pad(h) + ":" + pad(m) + ":" + pad(s);
  };

  // "Overdue · 02:10:04" / "Due in 05:12:33", refreshed every second.
  P.countdown = function (expected, status, now) {
    const state = P.slaState(expected, status, now);
    if (state === "none") return { state: state, text: P.label("sla", "none") };
    const left = new Date(expected).getTime() - (now || Date.now());
    const key = left < 0 ? "overdue_by" : "due_in";
    return { state: state, text: P.t(key, { d: P.duration(left) }) };
  };
  P.tickCountdowns = function (root) {
    const now = Date.now();
    (root || document).querySelectorAll("[data-countdown]").forEach(function (el) {
      const c = P.countdown(el.dataset.countdown, el.dataset.status, now);
      if (el.textContent !== c.text) el.textContent = c.text;
      const base = el.classList.contains("badge") ? "badge" : "countdown";
      el.className = base + " " + base + "--" + c.state;
    });
  };
  window.setInterval(function () { P.tickCountdowns(document); }, 1000);

  // --- errors --------------------------------------------------------------
  P.errorText = function (err) {
    const known = { 401: "error_401", 403: "error_403", 404: "error_404", 409: "error_409", 413: "error_413", 415: "error_415", 422: "error_422" };
    const key = known[err && err.status] || "error_other";
    return P.t(key, { detail: (err && err.message) || "" });
  };
  P.showError = function (el, err) {
    if (!el) return;
    el.textContent = typeof err === "string" ? err : P.errorText(err);
    el.hidden = false;
    // The server names the field it refused (problem JSON "field"): tie the message to it.
    const form = el.closest("form");
    const named = err && err.field && form ? form.elements.namedItem(err.field) : null;
    if (named) P.fieldError(el, named);
  };
  // An error about a field: the field is marked invalid, described by the message (a screen
  // reader reads both together) and focused. `field` may be a group of radio buttons.
  let errorIds = 0;
  P.fieldError = function (el, field, err) {
    if (!el || !field) return;
    if (err !== undefined) P.showError(el, err);
    if (!el.id) el.id = "field-error-" + (errorIds += 1);
    const fields = field.length !== undefined && !field.tagName ? Array.prototype.slice.call(field) : [field];
    fields.forEach(function (f) {
      const ids = (f.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
      if (ids.indexOf(el.id) < 0) ids.push(el.id);
      f.setAttribute("aria-describedby", ids.join(" "));
      f.setAttribute("aria-invalid", "true");
      f.dataset.errorBox = el.id;
    });
    if (fields[0] && fields[0].focus) fields[0].focus();
  };
  P.clearError = function (el) {
    if (!el) return;
    el.hidden = true;
    el.textContent = "";
    if (!el.id) return;
    document.querySelectorAll('[data-error-box="' + el.id + '"]').forEach(function (f) {
      const ids = (f.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) { return x && x !== el.id; });
      if (ids.length) f.setAttribute("aria-describedby", ids.join(" ")); else f.removeAttribute("aria-describedby");
      f.removeAttribute("aria-invalid");
      delete f.dataset.errorBox;
    });
  };

  // Runs an async action with the submit button disabled (no double submission).
  P.busy = async function (button, fn) {
    if (button) { button.disabled = true; button.setAttribute("aria-busy", "true"); }
    try { return await fn(); } finally {
      if (button) { button.disabled = false; button.removeAttribute("aria-busy"); }
    }
  };

  // --- dialogs -------------------------------------------------------------
  P.openDialog = function (dialog, opener, focusSelector) {
    if (!dialog) return;
    dialog._opener = opener || document.activeElement;
    P.clearError(dialog.querySelector("[data-error]"));
    if (!dialog.open) dialog.showModal();
    const first = (focusSelector && dialog.querySelector(focusSelector)) ||
      dialog.querySelector("select, textarea, input:not([type=hidden]), button");
    if (first) first.focus();
  };
  function restoreFocus(dialog) {
    const opener = dialog._opener;
    if (opener && document.body.contains(opener) && !opener.hidden && opener.offsetParent !== null) {
      opener.focus();
    } else {
      const fallback = document.getElementById("report-title") || document.getElementById("page-title") || document.getElementById("main");
      if (fallback) fallback.focus();
    }
  }
  document.querySelectorAll("dialog").forEach(function (dialog) {
    dialog.addEventListener("close", function () { restoreFocus(dialog); });
    dialog.querySelectorAll("[data-close]").forEach(function (b) {
      b.addEventListener("click", function () { dialog.close(); });
    });
  });
  const help = document.getElementById("help-dialog");
  const helpButton = document.getElementById("help-button");
  if (helpButton && help) helpButton.addEventListener("click", function () { P.openDialog(help, helpButton, "[data-close]"); });

  // --- keyboard shortcuts --------------------------------------------------
  function typing(el) {
    if (!el || el === document.body) return false;
    if (el.isContentEditable) return true;
    const tag = el.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    if (tag !== "INPUT") return false;
    return ["button", "submit", "reset", "checkbox", "radio", "file", "range", "color"].indexOf(el.type) < 0;
  }
  P.isTyping = typing;
  // Single-key shortcuts can be turned off (WCAG 2.1.4): someone using speech input, or a
  // screen reader in focus mode, would otherwise set them off by accident. The choice is
  // kept in the browser and made in the help dialog (its button stays reachable).
  const KEYS_OFF = "vigie.pilotage.shortcuts_off";
  P.shortcutsOn = function () { return window.localStorage.getItem(KEYS_OFF) !== "1"; };
  const keysToggle = document.getElementById("shortcuts-on");
  if (keysToggle) {
    keysToggle.checked = P.shortcutsOn();
    keysToggle.addEventListener("change", function () {
      window.localStorage.setItem(KEYS_OFF, keysToggle.checked ? "0" : "1");
    });
  }
  // Single keys, never while typing in a field, never with Ctrl/Alt/Meta, never under a dialog.
  P.shortcuts = function (handlers) {
    document.addEventListener("keydown", function (e) {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
      if (!P.shortcutsOn()) return;
      if (typing(e.target) || document.querySelector("dialog[open]")) return;
      if (e.key === "?" && help) {
        e.preventDefault();
        P.openDialog(help, document.activeElement, "[data-close]");
        return;
      }
      const fn = handlers[e.key];
      if (fn && fn(e) !== false) e.preventDefault();
    });
  };

  // --- sound ---------------------------------------------------------------
  const MUTE_KEY = "vigie.pilotage.muted";
  let audio = null;
  function unlockAudio() {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return;
    if (!audio) audio = new AC();
    if (audio.state === "suspended") audio.resume();
  }
  // Browsers only allow sound after a gesture: the first click or key press unlocks it.
  ["pointerdown", "keydown"].forEach(function (type) {
    document.addEventListener(type, unlockAudio, { once: true, capture: true });
  });
  P.isMuted = function () { return window.localStorage.getItem(MUTE_KEY) === "1"; };
  P.setMuted = function (muted) { window.localStorage.setItem(MUTE_KEY, muted ? "1" : "0"); };
  P.beepCount = 0;
  P.beep = function () {
    if (P.isMuted()) return;
    P.beepCount += 1;
    document.documentElement.dataset.beeps = String(P.beepCount);
    if (!audio || audio.state !== "running") return;
    const t0 = audio.currentTime;
    [[880, 0], [1320, 0.16]].forEach(function (tone) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = tone[0];
      gain.gain.setValueAtTime(0.0001, t0 + tone[1]);
      gain.gain.exponentialRampToValueAtTime(0.25, t0 + tone[1] + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + tone[1] + 0.14);
      osc.connect(gain).connect(audio.destination);
      osc.start(t0 + tone[1]);
      osc.stop(t0 + tone[1] + 0.15);
    });
  };

  // --- live stream ---------------------------------------------------------
  P.live = function (handlers, onReconnect) {
    const box = document.getElementById("live-status");
    const text = document.getElementById("live-status-text");
    let wasLive = false;
    function set(state) {
      // Also on the page itself, which may show no status box (a report's page).
      document.documentElement.dataset.live = state;
      if (box) box.dataset.state = state;
      if (text) text.textContent = P.t("live_" + state);
    }
    // An event too large for the bus arrives "truncated" (its long texts left out):
    // the handlers get the whole report, read back from the API.
    const complete = {};
    Object.keys(handlers).forEach(function (type) {
      complete[type] = async function (data, event) {
        if (data && data.truncated && data.id && type.indexOf("report.") === 0) {
          try {
            data = Object.assign({}, data, await Vigie.api("/api/v1/reports/" + encodeURIComponent(data.id)));
            delete data.truncated;
          } catch (e) { /* keep what came: the next load() brings the rest */ }
        }
        handlers[type](data, event);
      };
    });
    const source = Vigie.stream("/api/v1/events/agent", complete);
    source.addEventListener("open", function () {
      set("live");
      if (wasLive && onReconnect) onReconnect();
      wasLive = true;
    });
    source.addEventListener("error", function () {
      set(source.readyState === EventSource.CLOSED ? "error" : "connecting");
    });
    window.addEventListener("pagehide", function () { source.close(); });
    return source;
  };

  // --- maps ----------------------------------------------------------------
  P.pin = function (latlng, cls, title, options) {
    return L.marker(latlng, Object.assign({
      icon: L.divIcon({ className: "pin pin--" + cls, iconSize: [18, 18] }),
      title: title,
      alt: title,
      keyboard: true,
      riseOnHover: true,
    }, options || {}));
  };

  // A message kept across a page change (announced and shown on the next page).
  P.flash = function (text) { window.sessionStorage.setItem("vigie.pilotage.flash", text); };
  P.takeFlash = function () {
    const text = window.sessionStorage.getItem("vigie.pilotage.flash");
    window.sessionStorage.removeItem("vigie.pilotage.flash");
    return text;
  };

  P.localiseTimes(document);
  P.tickCountdowns(document);
})();
