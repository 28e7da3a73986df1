// Drives the residents' pre-registration page in Debian's headless Chromium
// (playwright-core from tests/dashboard). Called by test_prereg.py.
// usage: node drive.mjs CONFIG.json   (prints "ok ..."/"FAIL ..." lines;
// writes the cards' screenshots and texts to cfg.artifacts, cards.json)
import { chromium } from "../dashboard/node_modules/playwright-core/index.mjs";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
const failures = [];
function check(ok, what) {
  console.log((ok ? "ok   " : "FAIL ") + what);
  if (!ok) failures.push(what);
}
const art = (name) => path.join(cfg.artifacts, name);
// Every text key the page uses is in all six languages.
{
  const dir = path.join(path.dirname(new URL(import.meta.url).pathname), "..", "..", "assets", "prereg");
  globalThis.window = {};
  new Function(readFileSync(path.join(dir, "i18n.js"), "utf8"))();
  const { TEXTS, LANGS } = globalThis.window;
  const used = new Set();
  for (const m of readFileSync(path.join(dir, "index.html"), "utf8").matchAll(/data-t="([a-z_]+)"/g)) used.add(m[1]);
  for (const m of readFileSync(path.join(dir, "app.js"), "utf8").matchAll(/\bt\("([a-z_]+)"\)/g)) used.add(m[1]);
  for (const k of ["err_name", "err_birth", "err_too_long"]) used.add(k);  // app.js problem(...)
  for (const n of ["illness", "pregnant", "infant", "disability", "care", "medical_device", "allergy", "language", "other"])
    used.add("need_" + n);
  const missing = [];
  for (const [lang] of LANGS) for (const k of used) if (!(k in TEXTS[lang])) missing.push(`${lang}:${k}`);
  check(LANGS.length === 6 && missing.length === 0, `every page text is in the six languages (${used.size} keys; missing ${missing})`);
}

// A household of four; `lang` picks the notes' language.
function household(tag) {
  return {
    address: "多摩市落合1-2", phone: "090-1234-5678",
    members: [
      { name: "山田 花子", reading: "やまだ はなこ", birth: "1960-05-01", sex: "female", needs: ["illness"], allergy: "そば", consent: true },
      { name: `髙橋 𠮷男${tag}`, reading: "タカハシ ヨシオ", birth: "1958-11-03", sex: "male", needs: ["care"], consent: false },
      { name: "山﨑 邉", reading: "ヤマサキ ヘン", birth: "2019-02-28", sex: "other", needs: ["infant"], other: "ミルク", consent: true },
      { name: "Nguyễn Văn An", reading: "", birth: "", sex: "unsaid", needs: ["language"], consent: true },
    ],
  };
}

async function fill(page, h) {
  await page.fill("[data-testid=address]", h.address);
  await page.fill("[data-testid=phone]", h.phone);
  for (let i = 0; i < h.members.length; i++) {
    if (i > 0) await page.click("[data-testid=add-member]");
    const m = h.members[i];
    const f = (field) => page.locator(".member").nth(i).locator(`[data-field=${field}]`);
    await f("name").fill(m.name);
    await f("reading").fill(m.reading);
    if (m.birth) await f("birth").fill(m.birth);
    await f("sex").selectOption(m.sex);
    for (const n of m.needs) await page.locator(".member").nth(i).locator(`[data-need=${n}]`).check();
    if (m.allergy) await f("allergy").fill(m.allergy);
    if (m.other) await f("needs_other").fill(m.other);
    if (m.consent) await f("consent").check();
  }
}

const cards = [];
const consoleErrors = [];
// Fills, makes the card, screenshots its code; returns the requests counted
// from the load event to the card drawn.
async function makeCard(page, name, h, requests) {
  requests.length = 0;
  await fill(page, h);
  await page.click("[data-testid=make]");
  await page.waitForSelector("[data-testid=card] canvas.qr");
  const canvas = page.locator("[data-testid=card] canvas.qr").first();
  await canvas.screenshot({ path: art(`${name}.png`) });
  await page.screenshot({ path: art(`${name}-page.png`), fullPage: true });
  // The card as the phone shows it (tests/data/qr_set/make_phone_card.py).
  await page.locator("[data-testid=card]").first().screenshot({ path: art(`${name}-card.png`) });
  const info = await canvas.evaluate((c) => ({ text: c.dataset.text, version: Number(c.dataset.version) }));
  cards.push({ name, file: art(`${name}.png`), names: h.members.map((m) => m.name), ...info });
  check(requests.length === 0, `${name}: no request left the page while filling and making the card (${requests})`);
  return info;
}

async function openPage(context, lang) {
  const page = await context.newPage();
  const requests = [];
  let loaded = false;
  page.on("load", () => { loaded = true; });
  page.on("request", (r) => { if (loaded) requests.push(r.url()); });
  // A script error or a Content-Security-Policy refusal shows here.
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(`${m.text()} (${m.location().url})`); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  await page.goto(cfg.url + "/prereg/");
  await page.waitForFunction(() => navigator.serviceWorker && navigator.serviceWorker.controller !== null, null, { timeout: 15000 })
    .catch(() => {});
  if (lang) await page.selectOption("[data-testid=lang]", lang);
  requests.length = 0;
  return { page, requests };
}

const launch = (extra = []) => chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", ...extra],
});
const phone = { viewport: { width: 412, height: 915 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, acceptDownloads: true };

const browser = await launch();
try {
  const context = await browser.newContext({ ...phone, locale: "ja-JP" });
  const offsite = [];
  context.on("request", (r) => { if (!r.url().startsWith(cfg.url) && !r.url().startsWith("data:")) offsite.push(r.url()); });

  // Japanese UI (the phone's language), then English chosen in the menu.
  let { page, requests } = await openPage(context, null);
  check((await page.textContent("h1")).includes("事前登録"), "the page opens in Japanese on a Japanese phone");
  const ja = await makeCard(page, "card-ja", household(""), requests);
  check(ja.version >= 1 && ja.version <= cfg.max_version, `Japanese UI: a card of QR version ${ja.version}`);
  // Save as image: a PNG download made on the phone.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=save]")]);
  await download.saveAs(art("saved-card.png"));
  check(download.suggestedFilename() === "shelter-card-1.png", "the card saves as a PNG");
  await page.emulateMedia({ media: "print" });
  await page.screenshot({ path: art("print.png"), fullPage: true });
  check(await page.isHidden("#form"), "print shows only the card");
  await page.emulateMedia({ media: "screen" });
  check(requests.length === 0, `no request after load while saving and printing (${requests})`);
  await page.close();

  ({ page, requests } = await openPage(context, "en"));
  check((await page.textContent("h1")).includes("pre-registration"), "English chosen from the menu");
  const en = await makeCard(page, "card-en", household("2"), requests);
  check(en.text !== ja.text, "a new page makes a new household");
  await page.close();

  // Entries the kiosk would refuse: a message in the page's language naming
  // the person and the field, and no card.
  ({ page, requests } = await openPage(context, "en"));
  await fill(page, household("7"));
  const birth2 = page.locator(".member").nth(1).locator("[data-field=birth]");
  const refused = async (what, wants) => {
    await page.click("[data-testid=make]");
    const said = (await page.textContent("#error")) || "";
    const none = await page.isHidden("#cards") && (await page.locator("[data-testid=card]").count()) === 0;
    check(wants.every((w) => said.includes(w)) && none, `${what}: refused, no card ("${said}")`);
  };
  await birth2.fill("1850-03-01");
  await refused("a birth year before 1900", ["Person 2 (髙橋 𠮷男7)", "Date of birth", "1900"]);
  await page.locator("#error").scrollIntoViewIfNeeded();
  await page.screenshot({ path: art("refused-birth.png") });
  await birth2.fill(`${new Date().getFullYear() + 1}-01-01`);
  await refused("a birth date next year", ["Person 2 (髙橋 𠮷男7)", "Date of birth"]);
  await birth2.fill("1958-11-03");
  await page.selectOption("[data-testid=lang]", "ja");
  const third = (field) => page.locator(".member").nth(2).locator(`[data-field=${field}]`);
  await third("name").fill("長".repeat(40));
  await third("reading").fill("漢".repeat(40));
  await third("needs_other").fill("薬".repeat(60));
  await refused("a person too long for a card, in Japanese", [`3人目 (${"長".repeat(15)}…)`, "長すぎ"]);
  await page.locator("#error").scrollIntoViewIfNeeded();
  await page.screenshot({ path: art("refused-too-long.png") });
  await page.close();

  // Pasted tabs become spaces: the card is one the kiosk reads.
  ({ page, requests } = await openPage(context, "en"));
  const tabbed = household("8");
  tabbed.address = "多摩市\t落合1-2";
  tabbed.members[0].name = "山田\t花子8";
  tabbed.members[0].allergy = "そば\tえび";
  await makeCard(page, "card-tab", tabbed, requests);
  Object.assign(cards[cards.length - 1], { tab: true, names: tabbed.members.map((m) => m.name.replace("\t", " ")) });
  check(!(await page.textContent("#error")), "tabs pasted into the form make a card");
  await page.close();

  // A household of nine is past one card's limit: two cards, one household.
  ({ page, requests } = await openPage(context, "en"));
  const nine = household("6");
  for (const [i, name] of ["渡邉 美咲", "齋藤 翔太", "長谷川 恵美子", "中村 悠真", "小林 千代"].entries())
    nine.members.push({ name, reading: "", birth: `19${50 + i}-01-0${i + 1}`, sex: "female", needs: ["care"],
                        other: "車いす、在宅酸素、夜間の見守り", consent: true });
  await fill(page, nine);
  await page.click("[data-testid=make]");
  await page.waitForSelector("[data-testid=card] canvas.qr");
  const parts = page.locator("[data-testid=card] canvas.qr");
  const count = await parts.count();
  check(count === 2 && await page.isVisible("#split-note"), `a household of nine makes ${count} cards, with a note`);
  for (let i = 0; i < count; i++) {
    await parts.nth(i).screenshot({ path: art(`card-split-${i + 1}.png`) });
    const info = await parts.nth(i).evaluate((c) => ({ text: c.dataset.text, version: Number(c.dataset.version) }));
    check(info.version <= cfg.max_version, `split card ${i + 1}: QR version ${info.version}`);
    cards.push({ name: `card-split-${i + 1}`, file: art(`card-split-${i + 1}.png`), split: true, ...info });
  }
  await page.screenshot({ path: art("card-split-page.png"), fullPage: true });
  check(requests.length === 0, `split: no request left the page (${requests})`);
  await page.close();

  // Offline: the service worker serves the page and the encoder.
  ({ page, requests } = await openPage(context, null));
  const controlled = await page.evaluate(() => navigator.serviceWorker.controller !== null);
  check(controlled, "the service worker controls the page");
  await context.setOffline(true);
  await page.reload();
  const network = await page.evaluate(() => fetch("/v1/health?" + Date.now()).then(() => "reached", () => "unreachable"));
  check(network === "unreachable", `offline: the server is out of reach (${network})`);
  await page.selectOption("[data-testid=lang]", "en");
  await makeCard(page, "card-offline", household("3"), requests);
  check(await page.isVisible("[data-testid=card] canvas.qr"), "offline reload: the page still makes a card");
  await context.setOffline(false);
  await page.close();

  // An update on the server reaches a phone that has the page stored: the
  // next online load shows it, and it is what the phone then keeps offline.
  const index = path.join(cfg.prereg_dir, "index.html");
  const published = readFileSync(index, "utf8");
  ({ page, requests } = await openPage(context, null));
  try {
    writeFileSync(index, published.replace("<title>", "<title>UPDATED "));
    await page.reload();
    check((await page.title()).startsWith("UPDATED "), `an updated page shows on the next online load (${await page.title()})`);
    await context.setOffline(true);
    await page.reload();
    check((await page.title()).startsWith("UPDATED "), "offline, the phone keeps the updated page");
  } finally {
    await context.setOffline(false);
    writeFileSync(index, published);
  }
  await page.close();

  // The phone's own dark theme: the form is dark, the card stays dark on white.
  const dark = await browser.newContext({ ...phone, locale: "en-US", colorScheme: "dark" });
  ({ page, requests } = await openPage(dark, null));
  await makeCard(page, "card-dark-theme", household("4"), requests);
  await dark.close();
  check(offsite.length === 0, `nothing was requested from anywhere but the server (${offsite})`);
} finally {
  await browser.close();
}

// A browser forcing dark mode on every page (Chromium's auto dark mode).
const forced = await launch(["--blink-settings=forceDarkModeEnabled=true", "--enable-features=WebContentsForceDark"]);
try {
  const context = await forced.newContext({ ...phone, locale: "ja-JP" });
  const { page, requests } = await openPage(context, null);
  await makeCard(page, "card-forced-dark", household("5"), requests);
} finally {
  await forced.close();
}
// Offline, the health probe's failed fetch is the one expected error.
const unexpected = consoleErrors.filter((e) => !/v1\/health|Failed to fetch|ERR_INTERNET_DISCONNECTED/.test(e));
check(unexpected.length === 0, `no script error or policy refusal on the page (${unexpected})`);
writeFileSync(art("cards.json"), JSON.stringify(cards, null, 1));
process.exit(failures.length ? 1 : 0);
