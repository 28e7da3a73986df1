// Headquarters dashboard: signs in, then redraws from the server's JSON
// every 10 s without reloading. Counts-only accounts never receive names:
// the server refuses them search and roster, and the page hides both.
"use strict";
(function () {
  const REFRESH_MS = 10000;
  const STALE_MS = 30 * 60 * 1000;  // a shelter with no kiosk contact for 30 min is highlighted
  const SKEW_MS = 5 * 60 * 1000;
  // Needs, age bands, stays and sexes in display order come from the server
  // (GET /v1/vocabulary, core/vocabulary.hpp): the page keeps no lists.
  let vocab = null;
  const SEX_KEYS = { M: "sex_m", F: "sex_f", X: "sex_x", "": "sex_unknown" };
  const $ = (id) => document.getElementById(id);
  let lang = localStorage.getItem("lang") || "ja";
  let session = JSON.parse(sessionStorage.getItem("session") || "null");
  let timer = null;
  let last = null;  // the last data drawn, redrawn on a language change

  const t = (key) => (window.TEXTS[lang] && window.TEXTS[lang][key]) || key;
  const num = (v) => (typeof v === "number" ? v : 0);

  function applyTexts() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-t]").forEach((e) => { e.textContent = t(e.dataset.t); });
    document.title = t("title");
    $("lang").textContent = t("lang_other");
  }

  async function api(path, options) {
    const headers = Object.assign({}, (options && options.headers) || {});
    if (session) headers.Authorization = "Bearer " + session.token;
    const res = await fetch(path, Object.assign({}, options, { headers }));
    if (res.status === 401 && session) {
      signOut(t("session_over"));
      throw new Error(t("session_over"));
    }
    if (!res.ok) {
      let msg = res.status + "";
      try { msg = (await res.json()).error || msg; } catch (e) { /* not JSON */ }
      const err = new Error(msg);
      err.status = res.status;
      throw err;
    }
    return res;
  }

  function showSignedIn() {
    const signedIn = !!session;
    $("signin").hidden = signedIn;
    $("board").hidden = !signedIn;
    $("signout").hidden = !signedIn;
    // What the server allows each role (sync/server/auth.hpp); the page only
    // hides what would be refused.
    const role = signedIn ? session.role : "";
    const searcher = role === "search" || role === "roster";
    $("search-section").hidden = !searcher;
    $("export-roster").hidden = role !== "roster";
    $("export-pfif").hidden = role !== "roster";
    $("duplicates-section").hidden = role !== "roster";
    $("card-sheets-section").hidden = role !== "roster";
    $("districts-section").hidden = role !== "roster";
    $("who").textContent = signedIn ? `${session.name} (${t("role_" + (searcher ? role : "counts"))})` : "";
  }

  function signOut(message) {
    session = null;
    sessionStorage.removeItem("session");
    if (timer) clearInterval(timer);
    timer = null;
    $("results").hidden = true;
    $("results").querySelector("tbody").replaceChildren();
    $("search-note").textContent = "";
    // Names a roster account saw go with it.
    last = null;
    $("transfer-list").hidden = true;
    $("transfer-list").querySelector("tbody").replaceChildren();
    $("transfer-routes").replaceChildren();
    $("duplicate-list").hidden = true;
    $("duplicate-list").querySelector("tbody").replaceChildren();
    $("card-sheets-form").reset();
    $("card-sheets-note").textContent = "";
    window.Districts.clear();
    $("signin-error").textContent = message || "";
    showSignedIn();
  }

  function ago(ms, now) {
    if (ms === null || ms === undefined) return t("never");
    const min = Math.round((now - ms) / 60000);
    if (min < 1) return t("just_now");
    if (min < 120) return `${min} ${t("minutes")} ${t("ago")}`;
    return `${Math.round(min / 60)} ${t("hours_ago")}`;
  }

  function cell(tr, text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }

  function sumObj(target, obj) {
    for (const [k, v] of Object.entries(obj || {})) target[k] = (target[k] || 0) + v;
  }

  function draw(data) {
    last = data;
    const { counts, shelters, devices, timeline, transfers } = data;
    const now = devices.time;
    const byId = new Map(counts.map((c) => [c.shelter, c]));
    const info = new Map(shelters.map((s) => [s.id, s]));
    const ids = [...new Set([...shelters.map((s) => s.id), ...counts.map((c) => c.shelter)])].sort();
    const lastContact = new Map();
    for (const d of devices.devices) {
      const when = Math.max(d.last_push || 0, d.last_pull || 0) || null;
      if (when && (!lastContact.get(d.shelter) || when > lastContact.get(d.shelter))) lastContact.set(d.shelter, when);
    }
    // Transfers in, per shelter (GET /v1/transfers: arrivals of persons whose
    // previous arrival was at another shelter), flagged in the table.
    const incoming = new Map();
    for (const r of transfers.routes) incoming.set(r.to, (incoming.get(r.to) || 0) + r.count);
    const total = { present: 0, households: 0, out: 0, capacity: 0, by_stay: {}, by_sex: {}, by_age_band: {}, by_need: {}, pets: {} };
    // Pets per kind (GET /v1/vocabulary's pet_kinds); "total" is theirs summed.
    const petKinds = vocab.pet_kinds || [];
    const petText = (pets) => petKinds.map((k) => `${t("pet_" + k)} ${num(pets[k])}`).join(", ");
    const body = $("shelters").querySelector("tbody");
    body.replaceChildren();
    for (const id of ids) {
      const c = byId.get(id) || {};
      const s = info.get(id) || {};
      const needs = Object.values(c.by_need || {}).reduce((a, b) => a + b, 0);
      const tr = document.createElement("tr");
      tr.dataset.shelter = id;
      const nameTd = cell(tr, s.name ? `${s.name} (${id})` : id);
      if (incoming.get(id)) {
        const mark = document.createElement("span");
        mark.className = "transfer-mark";
        mark.title = t("transfers_in");
        mark.textContent = t("transfers_in_n").replace("{n}", incoming.get(id));
        nameTd.appendChild(mark);
        tr.classList.add("transfer-in");
      }
      cell(tr, num(c.present), "present");
      cell(tr, num(c.households), "households");
      cell(tr, s.capacity ? s.capacity : "–", "capacity");
      const fillTd = cell(tr, "", "fillcell");
      // The fill rate is of the building: people staying in their car or at
      // home are counted, but take no place inside.
      if (s.capacity) {
        const pct = Math.round((100 * num((c.by_stay || {}).shelter)) / s.capacity);
        const bar = document.createElement("span");
        bar.className = "fill";
        const inner = document.createElement("i");
        inner.style.width = Math.min(100, pct) + "%";
        bar.appendChild(inner);
        fillTd.append(bar, `${pct}%`);
        if (pct >= 100) { tr.classList.add("full"); fillTd.append(` ${t("full")}`); }
        else if (pct >= 90) { tr.classList.add("warn"); fillTd.append(` ${t("near_full")}`); }
      } else {
        fillTd.textContent = "–";
      }
      const stay = c.by_stay || {};
      cell(tr, num(stay.shelter), "stay-shelter");
      cell(tr, num(stay.car), "stay-car");
      cell(tr, num(stay.home), "stay-home");
      cell(tr, num(c.out), "out");
      cell(tr, num((c.by_sex || {}).M), "male");
      cell(tr, num((c.by_sex || {}).F), "female");
      cell(tr, needs, "needs");
      const pets = c.pets || {};
      cell(tr, num(pets.total), "pets").title = petText(pets);
      const when = lastContact.get(id);
      const stale = !when || now - when > STALE_MS;
      const syncTd = cell(tr, ago(when, now) + (stale ? ` — ${t("stale")}` : ""), "sync");
      if (stale) { syncTd.classList.add("stale"); tr.classList.add("stale-row"); }
      body.appendChild(tr);
      total.present += num(c.present);
      total.households += num(c.households);
      total.out += num(c.out);
      total.capacity += num(s.capacity);
      sumObj(total.by_stay, c.by_stay);
      sumObj(total.by_sex, c.by_sex);
      sumObj(total.by_age_band, c.by_age_band);
      sumObj(total.by_need, c.by_need);
      sumObj(total.pets, c.pets);
    }
    const foot = $("shelters").querySelector("tfoot");
    foot.replaceChildren();
    const tr = document.createElement("tr");
    tr.dataset.testid = "total-row";
    const totalNeeds = Object.values(total.by_need).reduce((a, b) => a + b, 0);
    cell(tr, t("total"));
    cell(tr, total.present, "present");
    cell(tr, total.households, "households");
    cell(tr, total.capacity || "–");
    cell(tr, total.capacity ? `${Math.round((100 * num(total.by_stay.shelter)) / total.capacity)}%` : "–");
    cell(tr, num(total.by_stay.shelter));
    cell(tr, num(total.by_stay.car));
    cell(tr, num(total.by_stay.home));
    cell(tr, total.out);
    cell(tr, num(total.by_sex.M));
    cell(tr, num(total.by_sex.F));
    cell(tr, totalNeeds);
    cell(tr, num(total.pets.total), "pets").title = petText(total.pets);
    cell(tr, "");
    foot.appendChild(tr);

    $("total-present").textContent = total.present;
    $("total-households").textContent = total.households;
    $("total-outside").textContent = num(total.by_stay.car) + num(total.by_stay.home);
    $("total-out").textContent = total.out;
    $("total-needs").textContent = totalNeeds;
    $("total-pets").textContent = num(total.pets.total);

    Charts.bars($("chart-age"), vocab.age_bands.map((b) => ({ label: b === "unknown" ? t("age_unknown") : b, value: num(total.by_age_band[b]) })));
    Charts.bars($("chart-sex"), vocab.sexes.map((k) => ({ label: t(SEX_KEYS[k] || "sex_unknown"), value: num(total.by_sex[k]) })));
    Charts.bars($("chart-need"), vocab.needs.map((n) => ({ label: t("need_" + n), value: num(total.by_need[n]) })));
    Charts.bars($("chart-stay"), vocab.stays.map((k) => ({ label: t("stay_" + k), value: num(total.by_stay[k]) })));
    Charts.bars($("chart-pets"), petKinds.map((k) => ({ label: t("pet_" + k), value: num(total.pets[k]) })));

    // 48 hourly slots ending with the current hour, all shelters together.
    const hourMs = 3600000;
    const end = Math.floor(timeline.time / hourMs) * hourMs;
    const slots = [];
    for (let h = end - (timeline.hours - 1) * hourMs; h <= end; h += hourMs) slots.push({ hour: h, a: 0, b: 0 });
    const at = new Map(slots.map((s) => [s.hour, s]));
    for (const p of timeline.series) {
      const s = at.get(p.hour);
      if (s) { s.a += p.arrived; s.b += p.left; }
    }
    const fmt = (ms) => {
      const d = new Date(ms);
      return `${d.getMonth() + 1}/${d.getDate()} ${String(d.getHours()).padStart(2, "0")}:00`;
    };
    Charts.columns($("chart-timeline"), slots, t("arrived"), t("left"), fmt);

    drawTransfers(transfers);

    const dev = $("devices").querySelector("tbody");
    dev.replaceChildren();
    for (const d of devices.devices) {
      const r = document.createElement("tr");
      cell(r, d.device);
      cell(r, d.shelter);
      cell(r, ago(d.last_push, now));
      cell(r, ago(d.last_pull, now));
      const skew = d.clock_skew_ms;
      if (skew === null || skew === undefined) cell(r, "–");
      else if (Math.abs(skew) <= SKEW_MS) cell(r, t("ok"));
      else cell(r, `${Math.round(Math.abs(skew) / 60000)} ${t("minutes")} ${t(skew > 0 ? "ahead" : "behind")}`, "skewed");
      // Events stamped more than 5 min ahead of the server: stored with the
      // stamp clamped to that limit (docs/protocol.md, "Clocks").
      const clamped = d.future_events || 0;
      if (clamped > 0) cell(r, `${clamped} ${t("clamped_n")}`, "skewed");
      else cell(r, "0");
      dev.appendChild(r);
    }
    drawHubs(devices, info);
    $("updated").textContent = `${t("updated")} ${new Date(now).toLocaleTimeString(lang === "ja" ? "ja-JP" : "en-GB")}`;
  }

  // Shelter hubs as the city knows them from their reports (a hub relays
  // its kiosks, so those kiosks' last contact is with the hub), and, on a
  // hub's own dashboard, its relay to the city.
  function drawHubs(devices, info) {
    const now = devices.time;
    const hubs = devices.hubs || [];
    const body = $("hubs").querySelector("tbody");
    body.replaceChildren();
    for (const h of hubs) {
      const tr = document.createElement("tr");
      tr.dataset.hub = h.hub;
      cell(tr, h.hub);
      const s = info.get(h.shelter) || {};
      cell(tr, s.name ? `${s.name} (${h.shelter})` : h.shelter);
      const stale = !h.last_relay || now - h.last_relay > STALE_MS;
      cell(tr, ago(h.last_relay, now) + (stale ? ` — ${t("stale")}` : ""), "relayed" + (stale ? " stale" : ""));
      cell(tr, num(h.waiting), "waiting" + (num(h.waiting) > 0 && stale ? " skewed" : ""));
      const kiosks = cell(tr, "", "kiosks");
      for (const k of h.kiosks || []) {
        const span = document.createElement("span");
        span.className = "hub-kiosk";
        span.dataset.device = k.device;
        span.textContent = `${k.device}: ${ago(Math.max(k.last_push || 0, k.last_pull || 0) || null, now)}`;
        kiosks.appendChild(span);
      }
      body.appendChild(tr);
    }
    $("hubs-block").hidden = hubs.length === 0;
    const r = devices.relay;
    const relayBody = $("relay-table").querySelector("tbody");
    relayBody.replaceChildren();
    if (r) {
      const tr = document.createElement("tr");
      cell(tr, `${r.hub} (${r.shelter})`);
      cell(tr, r.city || "–");
      // The hub's own words after the state ("ok 2026-12-04 12:00:00Z (relayed 3, ...)").
      const state = r.state || "";
      const word = state.startsWith("ok") ? "relay_ok" : state.startsWith("error") ? "relay_error" : "relay_never";
      const td = cell(tr, t(word), word === "relay_ok" ? "relay-ok" : word === "relay_error" ? "relay-error" : "stale");
      if (state) td.title = state;
      if (word === "relay_error") td.append(` ${state.replace(/^error\s*/, "")}`);
      cell(tr, ago(r.last_relay, now), "relayed");
      cell(tr, num(r.waiting), "waiting");
      relayBody.appendChild(tr);
    }
    $("relay").hidden = !r;
  }

  // "10:42" today, "12/3 10:42" on another day.
  function clock(ms, now) {
    const d = new Date(ms);
    const hm = `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
    return d.toDateString() === new Date(now).toDateString() ? hm : `${d.getMonth() + 1}/${d.getDate()} ${hm}`;
  }

  // Every account sees the routes ("tama-02 → tama-01: 3, last 10:42"); a
  // roster account's reply also lists who moved (the server decides).
  function drawTransfers(x) {
    const list = $("transfer-routes");
    list.replaceChildren();
    for (const r of x.routes) {
      const li = document.createElement("li");
      li.dataset.from = r.from;
      li.dataset.to = r.to;
      li.textContent = `${r.from} → ${r.to}: ${r.count}, ${t("last")} ${clock(r.last, x.time)}`;
      list.appendChild(li);
    }
    $("no-transfers").hidden = x.routes.length > 0;
    const table = $("transfer-list");
    const body = table.querySelector("tbody");
    body.replaceChildren();
    const each = x.transfers || [];
    for (const e of each) {
      const tr = document.createElement("tr");
      cell(tr, e.name);
      cell(tr, e.from);
      cell(tr, e.to);
      cell(tr, clock(e.time, x.time));
      cell(tr, e.device);
      body.appendChild(tr);
    }
    if (x.more) {
      const tr = document.createElement("tr");
      cell(tr, t("more_transfers").replace("{n}", each.length));
      body.appendChild(tr);
    }
    table.hidden = each.length === 0;
  }

  // GET /v1/duplicates (roster only): one row a pair, the two persons side
  // by side; cells that differ are marked.
  function drawDuplicates(pairs) {
    const table = $("duplicate-list");
    const body = table.querySelector("tbody");
    body.replaceChildren();
    const status = { present: t("present"), out: t("out"), left: t("gone") };
    for (const d of pairs) {
      const tr = document.createElement("tr");
      tr.dataset.a = d.a.id;
      tr.dataset.b = d.b.id;
      for (const p of [d.a, d.b]) {
        const other = p === d.a ? d.b : d.a;
        for (const k of ["name", "reading", "birth"]) cell(tr, p[k], p[k] !== other[k] ? "differs" : "");
        cell(tr, p.shelter_name || p.shelter, p.shelter !== other.shelter ? "differs" : "");
        cell(tr, status[p.presence] || p.presence);
      }
      body.appendChild(tr);
    }
    table.hidden = pairs.length === 0;
    $("no-duplicates").hidden = pairs.length > 0;
  }

  async function refresh() {
    try {
      if (!vocab) vocab = await (await fetch("/v1/vocabulary")).json();
      const [counts, shelters, devices, timeline, transfers] = await Promise.all(
        ["/v1/counts", "/v1/shelters", "/v1/devices", "/v1/timeline?hours=48", "/v1/transfers"]
          .map((p) => api(p).then((r) => r.json())));
      $("load-error").textContent = "";
      draw({ counts, shelters, devices, timeline, transfers });
      if (session && session.role === "roster") {
        drawDuplicates(await (await api("/v1/duplicates")).json());
        await window.Districts.load();
      }
    } catch (e) {
      if (session) $("load-error").textContent = t("load_failed") + e.message;
    }
  }

  function start() {
    showSignedIn();
    applyTexts();
    if (!session) return;
    refresh();
    if (timer) clearInterval(timer);
    timer = setInterval(refresh, REFRESH_MS);
  }

  $("signin-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("signin-error").textContent = "";
    try {
      const res = await fetch("/v1/login", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name: $("user").value, password: $("password").value }),
      });
      if (!res.ok) throw new Error(t("bad_signin"));
      session = await res.json();
      sessionStorage.setItem("session", JSON.stringify(session));
      $("password").value = "";
      start();
    } catch (e) {
      $("signin-error").textContent = e.message;
    }
  });

  $("signout").addEventListener("click", () => {
    // The server forgets the session too, so a copied token stops working.
    if (session) fetch("/v1/logout", { method: "POST", headers: { Authorization: "Bearer " + session.token } })
      .catch(() => {});
    signOut("");
  });
  $("lang").addEventListener("click", () => {
    lang = lang === "ja" ? "en" : "ja";
    localStorage.setItem("lang", lang);
    applyTexts();
    showSignedIn();
    if (last) draw(last);
    window.Districts.redraw();
  });

  $("search-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams({ q: $("search-text").value.trim() });
    if ($("search-year").value.trim()) q.set("birth_year", $("search-year").value.trim());
    const table = $("results");
    const body = table.querySelector("tbody");
    body.replaceChildren();
    try {
      const found = await (await api("/v1/search?" + q.toString())).json();
      // What a searching relative needs, no ids (a roster account gets
      // them too, but the page shows everyone the same columns).
      for (const p of found) {
        const tr = document.createElement("tr");
        cell(tr, p.name);
        cell(tr, p.reading);
        cell(tr, p.age_band === "unknown" ? t("age_unknown") : p.age_band);
        cell(tr, p.shelter_name ? `${p.shelter_name} (${p.shelter})` : p.shelter);
        cell(tr, t(p.presence === "left" ? "gone" : p.presence));
        body.appendChild(tr);
      }
      table.hidden = found.length === 0;
      $("search-note").textContent = found.length ? t("found").replace("{n}", found.length) : t("none_found");
    } catch (e) {
      table.hidden = true;
      // 400: the query does not name a person specifically enough.
      $("search-note").textContent = e.status === 400 ? `${t("search_rule")} (${e.message})` : e.message;
    }
  });

  // Downloads go through fetch, so the token travels in a header, not a URL.
  async function download(path, filename) {
    try {
      const blob = await (await api(path)).blob();
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = filename;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    } catch (e) {
      $("load-error").textContent = e.message;
    }
  }
  // POST /v1/card-sheets (roster only): the chosen file goes as the body,
  // the PDF comes back as a download; the server keeps neither.
  $("card-sheets-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const file = $("card-sheets-file").files[0];
    if (!file) return;
    const layout = $("card-sheets-layout").value;
    const note = $("card-sheets-note");
    // One job at a time: a double click would only be refused as busy.
    const submit = ev.target.querySelector("button[type=submit]");
    if (submit) submit.disabled = true;
    note.className = "";
    note.textContent = "…";
    try {
      const res = await api("/v1/card-sheets?layout=" + encodeURIComponent(layout),
        { method: "POST", headers: { "Content-Type": "text/csv" }, body: file });
      const a = document.createElement("a");
      a.href = URL.createObjectURL(await res.blob());
      a.download = "household-cards-" + layout + ".pdf";
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
      note.textContent = t("card_sheets_made");
    } catch (e) {
      note.className = "error";
      note.textContent = e.message;
    } finally {
      if (submit) submit.disabled = false;
    }
  });
  $("export-counts").addEventListener("click", () => download("/v1/export/counts.csv", "shelter-counts.csv"));
  $("export-roster").addEventListener("click", () => download("/v1/export/roster.csv", "shelter-roster.csv"));
  $("export-pfif").addEventListener("click", () => download("/v1/export/pfif.xml", "shelter-pfif.xml"));

  window.Districts.init(api, t);
  start();
})();
