// The neighbourhood list panel (roster accounts only): uploads a district
// list (POST /v1/district-list), shows per district who is at a shelter,
// out or unaccounted for (GET /v1/district-list/status), and prints one
// district's sheet for its group leader (the print view in style.css).
// app.js calls init() once and load() on each refresh.
"use strict";
window.Districts = (function () {
  const $ = (id) => document.getElementById(id);
  let api = null;
  let t = (k) => k;
  let data = null;      // the last status drawn
  let shown = null;     // the district whose people are listed
  // Unaccounted for first: the people a group leader must look for.
  const ORDER = { unaccounted: 0, out: 1, present: 2 };

  function cell(tr, text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }

  function stateText(p) {
    if (p.state === "present") return t("present");
    if (p.state === "out") return t("out");
    return p.presence === "left" ? `${t("unaccounted")} (${t("state_left")})` : `${t("unaccounted")} (${t("state_never")})`;
  }

  function matchText(p) {
    return t("match_" + p.match);
  }

  function sorted(people) {
    return people.slice().sort((a, b) => ORDER[a.state] - ORDER[b.state] || a.reading.localeCompare(b.reading, "ja"));
  }

  function drawPeople(body, d) {
    body.replaceChildren();
    for (const p of sorted(d.people)) {
      const tr = document.createElement("tr");
      tr.dataset.state = p.state;
      tr.dataset.match = p.match;
      tr.className = "state-" + p.state;
      cell(tr, p.name);
      cell(tr, p.reading);
      cell(tr, p.birth);
      cell(tr, stateText(p));
      cell(tr, p.shelter_name || p.shelter);
      cell(tr, matchText(p));
      body.appendChild(tr);
    }
  }

  function showDistrict(name) {
    shown = name;
    const d = data && data.districts.find((x) => x.district === name);
    $("district-detail").hidden = !d;
    if (!d) return;
    $("district-detail").dataset.district = name;
    $("district-detail-title").textContent = `${name}: ${t("unaccounted")} ${d.unaccounted} / ${d.total}`;
    drawPeople($("district-detail").querySelector("tbody"), d);
  }

  // The group leader's sheet: names in kanji over kana, the state and the
  // shelter, a box to tick; printed alone (style.css @media print).
  function printSheet(name) {
    const d = data && data.districts.find((x) => x.district === name);
    if (!d) return;
    const sheet = $("district-sheet");
    sheet.replaceChildren();
    sheet.dataset.district = name;
    const h = document.createElement("h1");
    h.textContent = t("sheet_title").replace("{d}", name);
    const when = document.createElement("p");
    when.textContent = t("sheet_as_of").replace("{t}", new Date().toLocaleString(document.documentElement.lang)) +
      ` — ${t("on_list")} ${d.total} / ${t("present")} ${d.present} / ${t("out")} ${d.out} / ${t("unaccounted")} ${d.unaccounted}`;
    const table = document.createElement("table");
    const thead = document.createElement("thead");  // repeated on every printed page
    const head = document.createElement("tr");
    for (const k of ["sheet_check", "name", "birth", "address", "status", "shelter"]) {
      const th = document.createElement("th");
      th.textContent = t(k);
      head.appendChild(th);
    }
    thead.appendChild(head);
    const tbody = document.createElement("tbody");
    table.append(thead, tbody);
    for (const p of sorted(d.people)) {
      const tr = document.createElement("tr");
      tr.dataset.state = p.state;
      tr.className = "state-" + p.state;
      cell(tr, "□", "check");
      const nameCell = cell(tr, "", "names");
      const kanji = document.createElement("div");
      kanji.className = "kanji";
      kanji.textContent = p.name;
      const kana = document.createElement("div");
      kana.className = "kana";
      kana.textContent = p.reading;
      nameCell.append(kanji, kana);
      cell(tr, p.birth);
      cell(tr, p.address);
      cell(tr, stateText(p) + (p.match === "probable" ? " *" : ""));
      cell(tr, p.shelter_name || "");
      tbody.appendChild(tr);
    }
    const note = document.createElement("p");
    note.className = "note";
    note.textContent = "* " + t("match_probable");
    sheet.append(h, when, table, note);
    window.print();
  }

  function draw(status) {
    data = status;
    const table = $("district-table");
    const body = table.querySelector("tbody");
    body.replaceChildren();
    for (const d of status.districts) {
      const tr = document.createElement("tr");
      tr.dataset.district = d.district;
      cell(tr, d.district);
      cell(tr, d.total);
      cell(tr, d.present);
      cell(tr, d.out);
      cell(tr, d.unaccounted, d.unaccounted ? "unaccounted" : "");
      const actions = cell(tr, "");
      for (const [key, fn, testid] of [["show", showDistrict, "district-show"], ["print_sheet", printSheet, "district-print"]]) {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = t(key);
        b.dataset.testid = testid;
        b.addEventListener("click", () => fn(d.district));
        actions.appendChild(b);
      }
      body.appendChild(tr);
    }
    table.hidden = status.districts.length === 0;
    if (!status.loaded) $("districts-note").textContent = t("districts_none");
    else $("districts-note").textContent = t("districts_as_of").replace("{n}", status.people).replace("{by}", status.uploaded_by);
    if (shown) showDistrict(shown);
  }

  async function load() {
    draw(await (await api("/v1/district-list/status")).json());
  }

  function clear() {
    data = null;
    shown = null;
    $("district-table").hidden = true;
    $("district-table").querySelector("tbody").replaceChildren();
    $("district-detail").hidden = true;
    $("district-detail").querySelector("tbody").replaceChildren();
    $("district-sheet").replaceChildren();
    $("districts-form").reset();
    $("districts-note").textContent = "";
  }

  function init(apiFn, textFn) {
    api = apiFn;
    t = textFn;
    $("districts-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const file = $("districts-file").files[0];
      if (!file) return;
      const note = $("districts-note");
      note.className = "";
      note.textContent = "…";
      try {
        const res = await api("/v1/district-list",
          { method: "POST", headers: { "Content-Type": "text/csv" }, body: file });
        const r = await res.json();
        await load();
        note.textContent = t("districts_uploaded").replace("{n}", r.people);
      } catch (e) {
        note.className = "error";
        note.textContent = e.message;
      }
    });
  }

  return { init, load, clear, redraw: () => data && draw(data) };
})();
