// Household cards as the pre-registration page makes them (its own encoder,
// assets/prereg/card.js, and Debian's qrcode-generator at level M,
// alphanumeric), for households of 1-15 members with fixed ids: one JSON line
// each, {members, text, version, modules: ["0101...", ...]}.
// Used by make_phone_card.py; needs node-qrcode-generator.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";

const here = path.dirname(new URL(import.meta.url).pathname);
new Function(readFileSync(path.join(here, "..", "..", "..", "assets", "prereg", "card.js"), "utf8"))();
const qrcode = createRequire(import.meta.url)("/usr/share/nodejs/qrcode-generator/qrcode.js");
const C = globalThis.ShelterCard;
const people = [
  ["山田 花子", "ヤマダ ハナコ", "1960-05-01", "female", ["illness", "allergy"], "アレルギー: そば"],
  ["髙橋 𠮷男", "タカハシ ヨシオ", "1958-11-03", "male", ["care"], ""],
  ["山﨑 邉", "ヤマサキ ヘン", "2019-02-28", "other", ["infant"], "ミルク"],
  ["Nguyễn Văn An", "", "", "unsaid", ["language"], ""],
  ["渡邉 美咲", "ワタナベ ミサキ", "1985-07-15", "female", ["pregnant"], ""],
  ["齋藤 翔太", "サイトウ ショウタ", "2012-04-02", "male", [], ""],
  ["長谷川 恵美子", "ハセガワ エミコ", "1940-01-20", "female", ["medical_device", "care"], "在宅酸素"],
  ["中村 悠真", "ナカムラ ユウマ", "2020-09-09", "male", ["infant"], ""],
  ["小林 千代", "コバヤシ チヨ", "1935-03-03", "female", ["disability"], "車いす"],
  ["加藤 大輔", "カトウ ダイスケ", "1979-06-30", "male", [], ""],
  ["吉田 結衣", "ヨシダ ユイ", "2008-12-24", "female", ["allergy"], "アレルギー: 卵"],
  ["伊藤 勇", "イトウ イサム", "1950-10-10", "male", ["illness"], ""],
  ["田中 陽菜", "タナカ ヒナ", "2016-05-05", "female", [], ""],
  ["鈴木 健二", "スズキ ケンジ", "1966-08-08", "male", ["other"], "夜勤明け"],
  ["佐藤 さくら", "サトウ サクラ", "1999-04-01", "female", [], ""],
];
const hexId = (n) => n.toString(16).padStart(16, "0");
for (let count = 1; count <= 15; count++) {
  const card = {
    householdId: hexId(0x5ca4d000 + count), address: "多摩市落合1-2", phone: "090-1234-5678",
    members: people.slice(0, count).map(([name, reading, birth, sex, needs, needsOther], i) => ({
      personId: hexId(0x7000 + count * 16 + i), name, reading, birth, sex, needs, needsOther, consent: i % 2 === 0,
    })),
  };
  const text = C.cardText(card);
  const qr = qrcode(0, "M");
  qr.addData(text, "Alphanumeric");
  qr.make();
  const n = qr.getModuleCount();
  const modules = [];
  for (let r = 0; r < n; r++) {
    let row = "";
    for (let c = 0; c < n; c++) row += qr.isDark(r, c) ? "1" : "0";
    modules.push(row);
  }
  console.log(JSON.stringify({ members: count, text, version: (n - 17) / 4, modules }));
}
