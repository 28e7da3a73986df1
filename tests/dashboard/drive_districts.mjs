// Drives the dashboard's neighbourhood list panel in Debian's headless
// Chromium. Called by test_districts.py with the list and who should be
// unaccounted for in each district.
// usage: node drive_districts.mjs CONFIG.json   (prints "ok ..."/"FAIL ..." lines)
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import path from "node:path";

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
const failures = [];
function check(ok, what) {
  console.log((ok ? "ok   " : "FAIL ") + what);
  if (!ok) failures.push(what);
}
const art = (name) => path.join(cfg.artifacts, name);
const same = (a, b) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, locale: "ja-JP" });
  const page = await context.newPage();
  const offsite = [];
  page.on("request", (r) => { if (!r.url().startsWith(cfg.url)) offsite.push(r.url()); });
  await page.goto(cfg.url + "/");
  const signIn = async (role) => {
    await page.fill("#user", cfg.users[role][0]);
    await page.fill("#password", cfg.users[role][1]);
    await page.click("[data-testid=signin-submit]");
    await page.waitForFunction(() => sessionStorage.getItem("session") && !document.getElementById("board").hidden &&
      document.querySelectorAll("#shelters tbody tr").length > 0);
  };
  const signOut = async () => {
    await page.click("#signout");
    await page.waitForFunction(() => !document.getElementById("signin").hidden);
  };

  // Counts and search accounts: no panel, and the server refuses both routes.
  for (const role of ["counts", "search"]) {
    await signIn(role);
    check(await page.isHidden("[data-testid=districts-section]"), `a ${role} account is not shown the district panel`);
    const refused = await page.evaluate(async () => {
      const s = JSON.parse(sessionStorage.getItem("session"));
      const h = { Authorization: "Bearer " + s.token };
      const get = await fetch("/v1/district-list/status", { headers: h });
      const post = await fetch("/v1/district-list", { method: "POST", headers: h, body: "district,name\nA,B\n" });
      return [get.status, post.status];
    });
    check(refused[0] === 403 && refused[1] === 403, `the server refuses the list to a ${role} session (${refused})`);
    await signOut();
  }

  // A roster account uploads the list; every district is drawn.
  await signIn("roster");
  check(await page.isVisible("[data-testid=districts-section]"), "a roster account sees the district panel");
  await page.setInputFiles("[data-testid=districts-file]", cfg.list);
  await page.click("[data-testid=districts-submit]");
  await page.waitForFunction(() => document.querySelectorAll("#district-table tbody tr").length > 0 &&
    !document.getElementById("districts-note").textContent.startsWith("…"));
  const note = (await page.textContent("[data-testid=districts-note]")).trim();
  check(note.includes("200"), `the upload is confirmed: ${note}`);
  const rows = await page.$$eval("#district-table tbody tr", (trs) => trs.map((tr) =>
    [tr.dataset.district, ...[...tr.querySelectorAll("td")].slice(1, 5).map((td) => Number(td.textContent))]));
  check(same(rows.map((r) => r[0]), Object.keys(cfg.expected_unaccounted)), `one row per district: ${rows.map((r) => r[0])}`);
  for (const [d, total, present, out, unaccounted] of rows) {
    const want = cfg.counts[d];
    check(total === want.total && unaccounted === want.unaccounted && out === want.out &&
          present === total - out - unaccounted,
          `${d}: ${total} on the list, ${present} present, ${out} out, ${unaccounted} unaccounted (want ${JSON.stringify(want)})`);
  }

  // Each district's people: the unaccounted ones are exactly those never
  // checked in (or who left, or whose birth differs).
  let all = 0;
  for (const d of Object.keys(cfg.expected_unaccounted)) {
    await page.click(`#district-table tr[data-district="${d}"] [data-testid=district-show]`);
    await page.waitForFunction((d) => document.getElementById("district-detail").dataset.district === d, d);
    const names = await page.$$eval("#district-detail tbody tr[data-state=unaccounted] td:first-child",
      (tds) => tds.map((td) => td.textContent));
    const shelters = await page.$$eval("#district-detail tbody tr[data-state=present] td:nth-child(5)",
      (tds) => tds.map((td) => td.textContent));
    check(same(names, cfg.expected_unaccounted[d]), `${d}: the unaccounted list holds exactly the ${names.length} expected`);
    check(shelters.length > 0 && shelters.every((s) => s.startsWith("多摩")), `${d}: those present are shown with their shelter`);
    all += names.length;
  }
  check(all === 50, `50 unaccounted for in all (${all})`);
  await page.click(`#district-table tr[data-district="${cfg.sheet_district}"] [data-testid=district-show]`);
  await page.waitForFunction((d) => document.getElementById("district-detail").dataset.district === d, cfg.sheet_district);
  await page.locator("[data-testid=districts-section]").screenshot({ path: art("districts-panel.png") });

  // The group leader's sheet: printed alone (print CSS), names in kanji and kana.
  await page.evaluate(() => { window.print = () => {}; });
  await page.click(`#district-table tr[data-district="${cfg.sheet_district}"] [data-testid=district-print]`);
  const sheetRows = await page.$$eval("#district-sheet tr[data-state]", (trs) => trs.length);
  check(sheetRows === cfg.counts[cfg.sheet_district].total, `the sheet lists everyone in ${cfg.sheet_district} (${sheetRows})`);
  const kana = await page.$$eval("#district-sheet .kana", (ds) => ds.filter((d) => d.textContent.length > 0).length);
  check(kana === sheetRows, "each name on the sheet has its kana");
  await page.emulateMedia({ media: "print" });
  check(await page.isHidden("#board") && await page.isVisible("#district-sheet"), "printing shows the sheet alone");
  await page.screenshot({ path: art("district-sheet.png"), fullPage: true });
  await page.pdf({ path: art("district-sheet.pdf"), format: "A4", printBackground: true });
  await page.emulateMedia({ media: "screen" });
  check(await page.isHidden("#district-sheet"), "the sheet is not shown on screen");

  // In English too.
  await page.click("[data-testid=lang]");
  await page.locator("[data-testid=districts-section]").screenshot({ path: art("districts-panel-en.png") });
  const header = (await page.textContent("#district-table thead")).trim();
  check(header.includes("Unaccounted"), `the panel speaks English: ${header.slice(0, 60)}`);
  await page.click("[data-testid=lang]");
  await signOut();
  check(await page.isHidden("[data-testid=districts-section]") &&
        (await page.$$("#district-table tbody tr")).length === 0, "signing out clears the list from the page");
  check(offsite.length === 0, `the page loads nothing from elsewhere (${offsite.slice(0, 3)})`);
} finally {
  await browser.close();
}
console.log(`${failures.length} failure(s)`);
process.exit(failures.length ? 1 : 0);
