// The pre-registration page: a household's form, made into the kiosk's
// household card (card.js) and drawn as a QR code with Debian's
// qrcode-generator (vendor/qrcode.js). Nothing is sent anywhere.
(function () {
  "use strict";
  const C = window.ShelterCard;
  // Largest QR version a card may use (error correction M, alphanumeric):
  // what the kiosk's reader reads from a phone screen (docs/qr-format.md,
  // "Cards made on a phone"). A household past it is split into cards.
  const MAX_VERSION = 15;
  const MODULE_PX = 8;  // pixels a module in the drawn image (shown scaled to fit)
  const QUIET = 4;      // modules of white around the code

  const $ = (id) => document.getElementById(id);
  let lang = "ja";
  const householdId = C.randomId();

  function t(key) {
    return (window.TEXTS[lang] && window.TEXTS[lang][key]) || window.TEXTS.ja[key] || key;
  }

  function applyTexts() {
    document.documentElement.lang = lang === "zh-hans" ? "zh-Hans" : lang === "ja-easy" ? "ja" : lang;
    for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
    document.querySelectorAll(".member").forEach((m, i) => {
      m.querySelector(".member-title").textContent = t("member").replace("{n}", i + 1);
    });
  }

  function pickLanguage() {
    const asked = new URLSearchParams(location.search).get("lang");
    const codes = window.LANGS.map((l) => l[0]);
    if (codes.includes(asked)) return asked;
    const nav = (navigator.language || "ja").toLowerCase();
    if (nav.startsWith("zh")) return "zh-hans";
    const short = nav.split("-")[0];
    return codes.includes(short) ? short : "ja";
  }

  function addMember() {
    const node = $("member-tpl").content.firstElementChild.cloneNode(true);
    node.dataset.personId = C.randomId();  // kept while the page is open: a new card keeps the same persons
    node.querySelector('[data-field="birth"]').max = todayIso();  // the date picker offers no future day
    const list = node.querySelector(".need-list");
    for (const need of C.NEEDS) {
      const label = document.createElement("label");
      label.className = "check";
      const box = document.createElement("input");
      box.type = "checkbox";
      box.dataset.need = need;
      const span = document.createElement("span");
      span.dataset.t = "need_" + need;
      label.append(box, " ", span);
      list.append(label);
    }
    node.querySelector(".remove").addEventListener("click", () => {
      if (document.querySelectorAll(".member").length > 1) node.remove();
      applyTexts();
    });
    $("members").append(node);
    applyTexts();
    return node;
  }

  // A message for the resident, in the page's language; anything else thrown
  // is a fault of the page and shows as err_failed, never as raw English.
  class FormError extends Error {}

  // "Person 2 (山田 花子) – Date of birth: <what is wrong>"
  function problem(who, fieldKey, key) {
    return new FormError(`${who}${fieldKey ? " – " + t(fieldKey) : ""}: ${t(key)}`);
  }

  const todayIso = () => {
    const d = new Date();  // the phone's own calendar day
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  };

  // The form as card members, each checked as the kiosk will check it; an
  // allergy's text goes into needs_other (the card has one free-text field)
  // and sets the allergy need. Pasted tabs and line breaks become spaces.
  function readMembers() {
    const members = [];
    document.querySelectorAll(".member").forEach((node, i) => {
      const field = (name) => node.querySelector(`[data-field="${name}"]`);
      const name = C.cleanText(field("name").value);
      const reading = C.toKatakana(field("reading").value);
      const allergy = C.cleanText(field("allergy").value);
      const other = C.cleanText(field("needs_other").value);
      const birthField = field("birth");
      const birth = birthField.value;
      const needs = [...node.querySelectorAll("[data-need]")].filter((b) => b.checked).map((b) => b.dataset.need);
      if (allergy && !needs.includes("allergy")) needs.push("allergy");
      const notes = [];
      if (allergy) notes.push(t("allergy") + ": " + allergy);
      if (other) notes.push(other);
      // An untouched extra person (a half-typed date counts as touched).
      if (!name && !reading && !birth && !birthField.validity.badInput) return;
      const chars = [...name];  // a long name cut short in messages
      const short = chars.length > 16 ? chars.slice(0, 15).join("") + "…" : name;
      const who = t("member").replace("{n}", i + 1) + (name ? ` (${short})` : "");
      if (!name) throw problem(who, "name", "err_name");
      if (birthField.validity.badInput || !C.birthOk(birth, todayIso())) throw problem(who, "birth", "err_birth");
      const needsOther = notes.join(" / ");
      for (const [key, text] of [["name", name], ["reading", reading], ["needs_other", needsOther]])
        if (new TextEncoder().encode(text).length > 255) throw problem(who, key, "err_too_long");
      members.push({
        personId: node.dataset.personId, name, reading, birth, sex: field("sex").value,
        consent: field("consent").checked, needs, needsOther, who,
      });
    });
    return members;
  }

  function qrFor(text, version) {
    const qr = window.qrcode(version, "M");
    qr.addData(text, "Alphanumeric");
    qr.make();
    return qr;
  }

  function fits(card) {
    try {
      qrFor(C.cardText(card), MAX_VERSION);
      return true;
    } catch (e) {
      return false;
    }
  }

  // Members in order, as many a card as fit in MAX_VERSION; every card has
  // the same household id, so the kiosk joins them into one household.
  function splitIntoCards(household, members) {
    const cards = [];
    let current = [];
    for (const m of members) {
      const trial = { ...household, members: current.concat([m]) };
      if (current.length < 15 && fits(trial)) {
        current.push(m);
        continue;
      }
      if (!current.length || !fits({ ...household, members: [m] })) throw problem(m.who, "", "err_too_long");
      cards.push({ ...household, members: current });
      current = [m];
    }
    cards.push({ ...household, members: current });
    return cards;
  }

  // The QR dark on white whatever the theme, with its quiet zone, onto a canvas.
  function drawCode(text) {
    const qr = qrFor(text, 0);
    const n = qr.getModuleCount();
    const side = (n + 2 * QUIET) * MODULE_PX;
    const canvas = document.createElement("canvas");
    canvas.width = side;
    canvas.height = side;
    const g = canvas.getContext("2d");
    g.fillStyle = "#ffffff";
    g.fillRect(0, 0, side, side);
    g.fillStyle = "#000000";
    for (let r = 0; r < n; r++)
      for (let c = 0; c < n; c++)
        if (qr.isDark(r, c)) g.fillRect((c + QUIET) * MODULE_PX, (r + QUIET) * MODULE_PX, MODULE_PX, MODULE_PX);
    canvas.className = "qr";
    canvas.dataset.version = (n - 17) / 4;
    canvas.dataset.text = text;
    return canvas;
  }

  function showCards(cards) {
    const list = $("card-list");
    list.textContent = "";
    cards.forEach((card, i) => {
      const box = document.createElement("div");
      box.className = "card";
      box.dataset.testid = "card";
      const title = document.createElement("h2");
      title.textContent = t("card_title") + (cards.length > 1 ? ` (${i + 1}/${cards.length})` : "");
      const names = document.createElement("ul");
      names.className = "names";
      for (const m of card.members) {
        const li = document.createElement("li");
        li.textContent = m.reading ? `${m.name}(${m.reading})` : m.name;
        names.append(li);
      }
      const use = document.createElement("p");
      use.textContent = t("card_use");
      box.append(title, drawCode(C.cardText(card)), names, use);
      list.append(box);
    });
    $("split-note").hidden = cards.length < 2;
    $("cards").hidden = false;
  }

  function makeCards(event) {
    event.preventDefault();
    $("error").textContent = "";
    $("cards").hidden = true;  // a refused form leaves no earlier card looking current
    try {
      const members = readMembers();
      if (!members.length) throw problem(t("member").replace("{n}", 1), "name", "err_name");
      const household = { householdId, address: C.cleanText($("address").value), phone: C.cleanText($("phone").value) };
      showCards(splitIntoCards(household, members));
      $("cards").scrollIntoView();
    } catch (e) {
      if (!(e instanceof FormError)) console.warn("card not made:", e);
      $("error").textContent = e instanceof FormError ? e.message : t("err_failed");
    }
  }

  // Splits `text` into lines no wider than `width` (character by character:
  // Japanese has no spaces to break at).
  function wrap(g, text, width) {
    const lines = [""];
    for (const ch of text) {
      if (g.measureText(lines[lines.length - 1] + ch).width > width) lines.push("");
      lines[lines.length - 1] += ch;
    }
    return lines;
  }

  // The whole card (code, title, names, how to use it) as one PNG.
  function saveImages() {
    document.querySelectorAll(".card").forEach((box, i) => {
      const code = box.querySelector("canvas");
      const margin = QUIET * MODULE_PX;
      const out = document.createElement("canvas");
      out.width = code.width;
      let g = out.getContext("2d");
      g.font = "30px sans-serif";
      const lines = [box.querySelector("h2").textContent, ...[...box.querySelectorAll("li")].map((li) => li.textContent),
                     ...wrap(g, t("card_use"), out.width - 2 * margin)];
      const lineH = 44;
      out.height = code.height + lines.length * lineH + 24;
      g = out.getContext("2d");  // resizing the canvas reset its state
      g.fillStyle = "#ffffff";
      g.fillRect(0, 0, out.width, out.height);
      g.drawImage(code, 0, 0);
      g.fillStyle = "#000000";
      g.font = "30px sans-serif";
      lines.forEach((line, k) => g.fillText(line, margin, code.height + (k + 1) * lineH - 12, out.width - 2 * margin));
      const a = document.createElement("a");
      a.href = out.toDataURL("image/png");
      a.download = `shelter-card-${i + 1}.png`;
      a.click();
    });
  }

  function start() {
    lang = pickLanguage();
    const select = $("lang");
    for (const [code, name] of window.LANGS) select.append(new Option(name, code, false, code === lang));
    select.addEventListener("change", () => {
      lang = select.value;
      applyTexts();
    });
    addMember();
    $("add-member").addEventListener("click", addMember);
    $("form").addEventListener("submit", makeCards);
    $("save").addEventListener("click", saveImages);
    $("print").addEventListener("click", () => window.print());
    applyTexts();
    if ("serviceWorker" in navigator)
      navigator.serviceWorker.register("sw.js").then(() => navigator.serviceWorker.ready).then(() => {
        $("offline").hidden = false;
      }).catch(() => {});
  }

  start();
})();
