// Drives the dashboard in Debian's headless Chromium. Called by
// test_dashboard.py with the expected numbers (from the server's store).
// usage: node drive.mjs CONFIG.json   (prints "ok ..."/"FAIL ..." lines)
import { chromium } from "playwright-core";
import { execSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
const failures = [];
function check(ok, what) {
  console.log((ok ? "ok   " : "FAIL ") + what);
  if (!ok) failures.push(what);
}
// Every text key used by the page exists in both languages.
{
  const dir = path.join(path.dirname(new URL(import.meta.url).pathname), "..", "..", "assets", "dashboard");
  globalThis.window = {};
  new Function(readFileSync(path.join(dir, "i18n.js"), "utf8"))();
  const texts = globalThis.window.TEXTS;
  const used = new Set();
  for (const m of readFileSync(path.join(dir, "index.html"), "utf8").matchAll(/data-t="([a-z_]+)"/g)) used.add(m[1]);
  for (const js of ["app.js", "districts.js"])
    for (const m of readFileSync(path.join(dir, js), "utf8").matchAll(/\bt\("([a-z_]+)"\)/g)) used.add(m[1]);
  const missing = [];
  for (const lang of ["ja", "en"]) {
    for (const k of used) if (!(k in texts[lang])) missing.push(`${lang}:${k}`);
    for (const k of Object.keys(texts.ja)) if (!(k in texts[lang])) missing.push(`${lang}:${k}`);
  }
  check(missing.length === 0 && used.size > 30, `every dashboard text key is in ja and en (${used.size} used; missing ${missing})`);
}
const shot = (page, name) => page.screenshot({ path: path.join(cfg.artifacts, name), fullPage: true });

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
try {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 1000 }, locale: "ja-JP" });
  const page = await context.newPage();
  const offsite = [];
  page.on("request", (r) => { if (!r.url().startsWith(cfg.url)) offsite.push(r.url()); });
  await page.goto(cfg.url + "/");

  // Wrong password: refused with a message, nothing shown.
  await page.fill("#user", cfg.counts_user);
  await page.fill("#password", "wrong-password-123");
  await page.click("[data-testid=signin-submit]");
  await page.waitForFunction(() => document.getElementById("signin-error").textContent.length > 0);
  check(await page.isHidden("#board"), "a wrong password shows an error and no data");

  // Counts-only account.
  await page.fill("#password", cfg.counts_password);
  await page.click("[data-testid=signin-submit]");
  await page.waitForFunction(() => document.querySelectorAll("#shelters tbody tr").length > 0);
  const text = async (sel) => (await page.textContent(sel)).trim();
  const exp = cfg.expected;
  check(await text("#total-present") === String(exp.present), `total persons ${await text("#total-present")} = ${exp.present}`);
  check(await text("#total-households") === String(exp.households), `total households = ${exp.households}`);
  check(await text("#total-outside") === String(exp.outside), `outside-shelter evacuees = ${exp.outside}`);
  check(await text("#total-out") === String(exp.out), `out now = ${exp.out}`);
  check(await text("#total-needs") === String(exp.needs), `special needs = ${exp.needs}`);
  check(await text("#total-pets") === String(exp.pets), `pets = ${exp.pets}`);
  for (const [id, c] of Object.entries(exp.shelters)) {
    const row = `#shelters tbody tr[data-shelter="${id}"]`;
    const got = {};
    for (const k of ["present", "households", "out", "stay-shelter", "stay-car", "stay-home", "male", "female", "needs", "pets"])
      got[k] = Number(await text(`${row} td.${k}`));
    check(JSON.stringify(got) === JSON.stringify(c), `row ${id} equals the store: ${JSON.stringify(got)}`);
  }
  const cls = async (id) => page.getAttribute(`#shelters tbody tr[data-shelter="${id}"]`, "class");
  check((await cls(cfg.full_shelter) || "").includes("full"), `${cfg.full_shelter} is marked full`);
  check((await cls(cfg.warn_shelter) || "").includes("warn"), `${cfg.warn_shelter} is marked nearly full`);
  const fill = await text(`#shelters tbody tr[data-shelter="${cfg.warn_shelter}"] td.fillcell`);
  check(fill.includes("90%"), `the fill rate counts only people inside (not in cars or at home): ${fill}`);
  check((await cls(cfg.stale_shelter) || "").includes("stale-row"), `${cfg.stale_shelter} (no kiosk contact) is highlighted`);
  // Transfers (two persons of s-c arrived at s-b with their passes): the
  // route with its count and time, a marker on the receiving shelter, no names.
  const tx = cfg.transfers;
  await page.waitForFunction(() => document.querySelectorAll("#transfer-routes li").length > 0);
  const routes = await page.$$eval("#transfer-routes li", (lis) => lis.map((li) => li.textContent));
  check(routes.length === 1 && routes[0].startsWith(tx.route + ", 最終 ") && /\d\d:\d\d$/.test(routes[0]) &&
        await page.isHidden("[data-testid=no-transfers]"), `the transfers panel shows the route: ${routes}`);
  check((await cls(tx.to) || "").includes("transfer-in") &&
        await text(`#shelters tbody tr[data-shelter="${tx.to}"] .transfer-mark`) === "転入 2" &&
        await page.locator("#shelters .transfer-mark").count() === 1,
        `${tx.to}, which received the transfers, is marked in the shelter table (and no other shelter)`);
  const txKeys = await page.evaluate(async () => {
    const s = JSON.parse(sessionStorage.getItem("session"));
    return Object.keys(await (await fetch("/v1/transfers", { headers: { Authorization: "Bearer " + s.token } })).json());
  });
  check(await page.isHidden("[data-testid=transfer-list]") && !txKeys.includes("transfers"),
        `a counts-only account gets no list of who moved (${txKeys})`);
  check(await page.isHidden("[data-testid=duplicates-section]"), "a counts-only account sees no duplicates");
  check(await page.isHidden("[data-testid=card-sheets-section]"), "a counts-only account sees no card printing");
  check(await page.isHidden("[data-testid=search-section]") && await page.isHidden("[data-testid=export-roster]") &&
        await page.isHidden("[data-testid=export-pfif]"), "a counts-only account sees no search and no roster");
  const refused = await page.evaluate(async () => {
    const s = JSON.parse(sessionStorage.getItem("session"));
    const r = await fetch("/v1/search?q=a", { headers: { Authorization: "Bearer " + s.token } });
    const roster = await fetch("/v1/export/roster.csv", { headers: { Authorization: "Bearer " + s.token } });
    return [r.status, roster.status];
  });
  check(refused[0] === 403 && refused[1] === 403, `the server refuses search and roster to a counts-only session (${refused})`);
  const html = await page.content();
  check(!cfg.all_names.some((n) => html.includes(n)), "no person's name is anywhere in a counts-only page");
  check((await page.locator("#chart-timeline rect.series-a:not(.legend)").count()) === 48, "the timeline has 48 hourly slots");
  await shot(page, "dashboard-ja-counts.png");
  // The shelter hub (a real hub relaying one kiosk): its shelter, last
  // relay "n 分前", records waiting, its kiosk with its last contact.
  const hub = cfg.hub;
  await page.waitForSelector("[data-testid=hubs-block]", { state: "visible" });
  const hubRow = await page.$$eval(`#hubs tbody tr[data-hub="${hub.id}"]`,
                                   (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  check(hubRow.length === 1 && hubRow[0][0] === hub.id && hubRow[0][1] === hub.shelter &&
        /^(たった今|\d+ 分 前)$/.test(hubRow[0][2]) && hubRow[0][3] === "0" &&
        new RegExp(`^${hub.kiosk}: (たった今|\\d+ 分 前)$`).test(hubRow[0][4]),
        `the hubs panel shows the hub, its shelter, last relay, waiting and its kiosk: ${JSON.stringify(hubRow)}`);
  check(await page.isHidden("[data-testid=relay]"), "the city's own dashboard has no relay of its own");
  await page.locator("[data-testid=devices]").locator("xpath=..").screenshot({ path: path.join(cfg.artifacts, "dashboard-hubs.png") });

  // Refresh without reloading: a new arrival appears.
  await page.evaluate(() => { window.__notReloaded = true; });
  execSync(cfg.new_arrival_cmd, { stdio: "inherit" });
  await page.waitForFunction((n) => document.getElementById("total-present").textContent === String(n),
                             exp.present + 1, { timeout: 25000 });
  check(await page.evaluate(() => window.__notReloaded === true), "a new arrival shows up without reloading the page");

  // Counts CSV.
  const [csv] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=export-counts]")]);
  await csv.saveAs(path.join(cfg.artifacts, "shelter-counts.csv"));
  check(true, "counts CSV downloaded");

  // English.
  await page.click("[data-testid=lang]");
  check(await text("h1") === "Shelter Check-in — Headquarters", "English texts");
  const routesEn = await page.$$eval("#transfer-routes li", (lis) => lis.map((li) => li.textContent));
  check(await text("#transfers h2") === "Transfers (48 h)" && routesEn[0].startsWith(tx.route + ", last "),
        `the transfers panel in English: ${routesEn}`);
  await shot(page, "dashboard-en-counts.png");

  // Signing out ends the session on the server too: its token, replayed, is refused.
  const oldToken = await page.evaluate(() => JSON.parse(sessionStorage.getItem("session")).token);
  await page.click("#signout");
  let replayed = 0;
  for (let i = 0; i < 50 && replayed !== 401; i++) {
    replayed = await page.evaluate(async (tok) => (await fetch("/v1/me", { headers: { Authorization: "Bearer " + tok } })).status,
                                   oldToken);
    if (replayed !== 401) await page.waitForTimeout(100);
  }
  check(replayed === 401, `a signed-out session's token is refused (${replayed})`);

  // A search account: 安否 search of consenting persons, never the roster.
  await page.fill("#user", cfg.search_user);
  await page.fill("#password", cfg.search_password);
  await page.click("[data-testid=signin-submit]");
  await page.waitForSelector("[data-testid=search-section]", { state: "visible" });
  await page.fill("#search-text", cfg.search.q);
  await page.fill("#search-year", cfg.search.birth_year);
  await page.click("[data-testid=search-submit]");
  await page.waitForFunction(() => document.getElementById("search-note").textContent.length > 0);
  const names = await page.$$eval("#results tbody tr td:first-child", (tds) => tds.map((td) => td.textContent));
  check(JSON.stringify(names.sort()) === JSON.stringify(cfg.search.expect.sort()),
        `安否 search finds exactly the consenting persons: ${names}`);
  const shown = await page.$eval("#results", (t) => t.innerText);
  check(!/[0-9a-f]{16}/.test(shown) && !shown.includes(cfg.search.birth_year + "-"),
        "the results show no ids and no birth dates, only an age band");
  const keys = await page.evaluate(async (q) => {
    const s = JSON.parse(sessionStorage.getItem("session"));
    const r = await fetch("/v1/search?" + new URLSearchParams(q), { headers: { Authorization: "Bearer " + s.token } });
    return [...new Set((await r.json()).flatMap((p) => Object.keys(p)))].sort();
  }, { q: cfg.search.q, birth_year: cfg.search.birth_year });
  check(JSON.stringify(keys) === JSON.stringify(["age_band", "name", "presence", "reading", "shelter", "shelter_name"]),
        `a search account receives no internal ids: ${keys}`);
  // Too broad: a bare family name without a year, one character.
  await page.fill("#search-year", "");
  for (const broad of [cfg.search.q, cfg.search.q.slice(0, 1)]) {
    await page.fill("#search-text", broad);
    await page.evaluate(() => { document.getElementById("search-note").textContent = ""; });
    await page.click("[data-testid=search-submit]");
    await page.waitForFunction(() => document.getElementById("search-note").textContent.length > 0);
    const note = await page.textContent("#search-note");
    check(await page.isHidden("#results") && /2/.test(note) && note.includes("search:"),
          `an over-broad search ("${broad}") is refused with the rule: ${note.slice(0, 60)}`);
  }
  await page.fill("#search-text", cfg.search.no_consent);
  await page.click("[data-testid=search-submit]");
  await page.waitForFunction(() => document.getElementById("results").hidden);
  check(true, "a person who did not consent is not found");
  await page.fill("#search-text", cfg.search.q);
  await page.fill("#search-year", cfg.search.birth_year);
  await page.click("[data-testid=search-submit]");
  await page.waitForFunction(() => !document.getElementById("results").hidden);
  await shot(page, "dashboard-en-search.png");
  check(await page.isHidden("[data-testid=export-roster]") && await page.isHidden("[data-testid=export-pfif]"),
        "a search account sees no roster exports");
  const rosterRefused = await page.evaluate(async () => {
    const s = JSON.parse(sessionStorage.getItem("session"));
    const h = { headers: { Authorization: "Bearer " + s.token } };
    return [(await fetch("/v1/export/roster.csv", h)).status, (await fetch("/v1/export/pfif.xml", h)).status];
  });
  check(rosterRefused[0] === 403 && rosterRefused[1] === 403,
        `the server refuses the roster and PFIF to a search account (${rosterRefused})`);
  await page.click("[data-testid=lang]");
  await shot(page, "dashboard-ja-search.png");

  // A roster account: search too, and the full exports.
  await page.click("#signout");
  await page.waitForSelector("#user", { state: "visible" });
  await page.fill("#user", cfg.roster_user);
  await page.fill("#password", cfg.roster_password);
  await page.click("[data-testid=signin-submit]");
  await page.waitForSelector("[data-testid=export-roster]", { state: "visible" });
  check(await page.isVisible("[data-testid=search-section]"), "a roster account can search too");
  await page.waitForSelector("[data-testid=transfer-list]", { state: "visible" });
  const moved = await page.$$eval("#transfer-list tbody tr", (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  check(JSON.stringify(moved.map((r) => r[0]).sort()) === JSON.stringify([...tx.names].sort()) &&
        moved.every((r) => r[1] === "s-c" && r[2] === tx.to && /\d\d:\d\d/.test(r[3]) && r[4] === tx.device),
        `a roster account sees who moved, from where, when and on which kiosk: ${JSON.stringify(moved)}`);
  await shot(page, "dashboard-roster-transfers.png");
  await page.waitForSelector("[data-testid=duplicate-list]", { state: "visible" });
  const dups = await page.$$eval("#duplicate-list tbody tr", (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  check(dups.length === cfg.duplicates && dups.some((r) => r.includes("ヤマダ ハナコ") && r.includes("山田 花子")),
        `a roster account sees every possible duplicate side by side (${dups.length} of ${cfg.duplicates})`);
  await page.locator("[data-testid=duplicates-section]").screenshot({ path: path.join(cfg.artifacts, "dashboard-duplicates.png") });
  for (const [button, file] of [["export-roster", "shelter-roster.csv"], ["export-pfif", "shelter-pfif.xml"]]) {
    const [d] = await Promise.all([page.waitForEvent("download"), page.click(`[data-testid=${button}]`)]);
    await d.saveAs(path.join(cfg.artifacts, file));
  }
  check(true, "roster CSV and PFIF downloaded by a roster account");
  // Household card sheets from a residents CSV (POST /v1/card-sheets).
  check(await page.isVisible("[data-testid=card-sheets-section]"), "a roster account can print household cards");
  await page.setInputFiles("[data-testid=card-sheets-file]", cfg.residents);
  const [sheets] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=card-sheets-submit]")]);
  await sheets.saveAs(path.join(cfg.artifacts, "household-cards-a4.pdf"));
  await page.locator("[data-testid=card-sheets-section]").screenshot({ path: path.join(cfg.artifacts, "dashboard-card-sheets.png") });
  check(true, "household card sheets downloaded by a roster account");
  check(offsite.length === 0, `the page loads nothing from elsewhere (${offsite.slice(0, 3)})`);

  // The hub's own dashboard: its relay to the city.
  const hubPage = await context.newPage();
  await hubPage.goto(hub.url + "/");
  await hubPage.fill("#user", hub.user);
  await hubPage.fill("#password", hub.password);
  await hubPage.click("[data-testid=signin-submit]");
  await hubPage.waitForSelector("[data-testid=relay]", { state: "visible" });
  const relay = await hubPage.$$eval("#relay-table tbody tr", (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  check(relay.length === 1 && relay[0][0] === `${hub.id} (s-e)` && relay[0][1] === cfg.url && relay[0][2] === "正常" &&
        /^(たった今|\d+ 分 前)$/.test(relay[0][3]) && relay[0][4] === "0" &&
        await hubPage.getAttribute("#relay-table tbody td:nth-child(3)", "class") === "relay-ok",
        `a hub's dashboard shows its relay: state, last relay, waiting: ${JSON.stringify(relay)}`);
  await hubPage.locator("[data-testid=relay]").locator("xpath=..").screenshot({ path: path.join(cfg.artifacts, "dashboard-hub-relay.png") });
} finally {
  await browser.close();
}
console.log(`${failures.length} failure(s)`);
process.exit(failures.length ? 1 : 0);
