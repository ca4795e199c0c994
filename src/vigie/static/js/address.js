// Address autocomplete (ARIA 1.2 combobox with a list box) and "près du …" under a pin,
// over Vigie's own address API (/api/v1/addresses, docs/addresses.md). Shared by the
// residents' location step, the public map, phone intake and the control room's "move".
(function () {
  "use strict";
  const Vigie = (window.Vigie = window.Vigie || {});
  const MIN_CHARS = 3;
  const DEBOUNCE_MS = 200;
  let boxes = 0;

  function texts() {
    return (Vigie.data("map-config") || {}).address_messages || {};
  }
  function t(key, vars) {
    let text = texts()[key] || key;
    Object.keys(vars || {}).forEach(function (k) { text = text.split("{" + k + "}").join(String(vars[k])); });
    return text;
  }
  Vigie.addressText = t;

  function query(params) {
    return Object.keys(params).filter(function (k) { return params[k] != null; })
      .map(function (k) { return k + "=" + encodeURIComponent(params[k]); }).join("&");
  }

  // Public answers: sent without credentials, so browsers and the service worker may keep them.
  async function getJSON(url) {
    const r = await fetch(url, { credentials: "omit", headers: { Accept: "application/json" } });
    if (!r.ok) throw new Error("HTTP " + r.status);
    return r.json();
  }

  // What a pin at lat/lon is near: {text, label, feature} or null (outside every zone, offline).
  Vigie.reverseAddress = async function (lat, lon) {
    try {
      const data = await getJSON("/api/v1/addresses/reverse?" + query({ lat: lat.toFixed(6), lon: lon.toFixed(6) }));
      const f = data.features && data.features[0];
      if (!f) return null;
      const p = f.properties;
      const text = p.kind === "address" ? t("near", { label: p.name || p.label })
        : p.kind === "street" ? t("street", { label: p.name || p.label }) : t("zone", { label: p.city || p.label });
      return { text: text, label: p.label, feature: f };
    } catch (e) {
      return null;
    }
  };

  // Turn a text <input> into a combobox. options.onPick(feature) when an address is chosen;
  // options.center() -> [lat, lon] ranks nearby answers first.
  Vigie.addressCombobox = function (input, options) {
    const opts = options || {};
    boxes += 1;
    const id = input.id || "address-box-" + boxes;
    const list = document.createElement("ul");
    list.id = id + "-listbox";
    list.className = "address-options";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", t("options"));
    list.hidden = true;
    const status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("aria-live", "polite");
    status.id = id + "-status";
    input.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("autocomplete", "off");
    input.parentElement.classList.add("address-box");

    let features = [];
    let active = -1;
    let timer = 0;
    let seq = 0;
    let picked = null;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function setActive(i) {
      active = i;
      Array.from(list.children).forEach(function (li, n) { li.setAttribute("aria-selected", n === i ? "true" : "false"); });
      if (i >= 0) {
        input.setAttribute("aria-activedescendant", list.id + "-" + i);
        list.children[i].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    function render() {
      list.replaceChildren();
      features.forEach(function (f, i) {
        const li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.textContent = f.properties.label;
        // mousedown, not click: the input keeps the focus.
        li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(i); });
        list.append(li);
      });
      const open = features.length > 0;
      // Right under the input, whatever layout holds the field (grid, flex or block).
      list.style.top = input.offsetTop + input.offsetHeight + "px";
      list.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
      active = -1;
      status.textContent = !features.length ? t("none") : features.length === 1 ? t("count_one") : t("count_many", { n: features.length });
    }
    function pick(i) {
      const f = features[i];
      if (!f) return;
      picked = f;
      input.value = f.properties.label;
      close();
      status.textContent = t("chosen", { label: f.properties.label });
      if (opts.onPick) opts.onPick(f);
    }
    async function search() {
      const q = input.value.trim();
      const mine = (seq += 1);
      if (q.replace(/[^0-9a-zA-Z\u00C0-\u024F]/g, "").length < MIN_CHARS) { features = []; close(); return; }
      const c = opts.center ? opts.center() : null;
      try {
        const data = await getJSON("/api/v1/addresses/search?" + query({ q: q, lat: c ? c[0].toFixed(3) : null, lon: c ? c[1].toFixed(3) : null, limit: 6 }));
        if (mine !== seq) return; // an older answer arriving late
        features = data.features || [];
        render();
      } catch (e) {
        if (mine !== seq) return;
        features = [];
        close();
        status.textContent = t("unavailable");
      }
    }

    input.addEventListener("input", function () {
      picked = null;
      clearTimeout(timer);
      timer = setTimeout(search, DEBOUNCE_MS);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        if (list.hidden) { if (features.length) { list.hidden = false; input.setAttribute("aria-expanded", "true"); } else return; }
        e.preventDefault();
        const n = features.length;
        setActive(e.key === "ArrowDown" ? (active + 1) % n : (active - 1 + n) % n);
      } else if (e.key === "Enter") {
        if (!list.hidden && active >= 0) { e.preventDefault(); pick(active); }
      } else if (e.key === "Escape") {
        if (!list.hidden) { e.preventDefault(); close(); } else if (input.value) { e.preventDefault(); input.value = ""; picked = null; }
      } else if (e.key === "Home" || e.key === "End") {
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 0); });
    return {
      input: input,
      picked: function () { return picked; },
      clear: function () { input.value = ""; picked = null; features = []; close(); status.textContent = ""; },
    };
  };

  // Where a JPEG photo was taken, from its EXIF GPS tags: {lat, lon} or null. Read on the
  // device from the original file (the server re-encodes photos and drops EXIF).
  Vigie.photoPosition = async function (file) {
    try {
      const view = new DataView(await file.slice(0, 256 * 1024).arrayBuffer());
      if (view.getUint16(0) !== 0xffd8) return null; // not a JPEG
      let offset = 2;
      while (offset + 4 <= view.byteLength) {
        const marker = view.getUint16(offset);
        const size = view.getUint16(offset + 2);
        if (marker === 0xffe1 && view.getUint32(offset + 4) === 0x45786966) return gps(view, offset + 10);
        if ((marker & 0xff00) !== 0xff00 || marker === 0xffda) return null; // image data: no EXIF before it
        offset += 2 + size;
      }
    } catch (e) { /* unreadable: no position */ }
    return null;
  };

  function gps(view, tiff) {
    const little = view.getUint16(tiff) === 0x4949;
    const u16 = function (o) { return view.getUint16(tiff + o, little); };
    const u32 = function (o) { return view.getUint32(tiff + o, little); };
    function entries(ifd) {
      const out = {};
      const n = u16(ifd);
      for (let i = 0; i < n; i += 1) {
        const e = ifd + 2 + i * 12;
        out[u16(e)] = { type: u16(e + 2), count: u32(e + 4), at: e + 8 };
      }
      return out;
    }
    const ifd0 = entries(u32(4));
    if (!ifd0[0x8825]) return null;
    const tags = entries(u32(ifd0[0x8825].at));
    function ref(tag) { return tags[tag] ? String.fromCharCode(view.getUint8(tiff + tags[tag].at)) : ""; }
    function degrees(tag) {
      const e = tags[tag];
      if (!e || e.type !== 5 || e.count !== 3) return null;
      const at = u32(e.at);
      let value = 0;
      for (let i = 0; i < 3; i += 1) {
        const den = u32(at + i * 8 + 4);
        if (!den) return null;
        value += u32(at + i * 8) / den / Math.pow(60, i);
      }
      return value;
    }
    const lat = degrees(2);
    const lon = degrees(4);
    if (lat == null || lon == null || (lat === 0 && lon === 0)) return null;
    return { lat: ref(1) === "S" ? -lat : lat, lon: ref(3) === "W" ? -lon : lon };
  }
})();
