// The page's encoder (assets/prereg/card.js) without a browser: BLAKE2b and
// Base45 against their RFC test vectors, then a fixed household's card text
// on stdout for test_prereg.py to hand to `shelterctl scan`.
// usage: node card_check.mjs   (prints "ok ..."/"FAIL ..." lines, then "TEXT <card>")
import { readFileSync } from "node:fs";
import path from "node:path";

const here = path.dirname(new URL(import.meta.url).pathname);
new Function(readFileSync(path.join(here, "..", "..", "assets", "prereg", "card.js"), "utf8"))();
const C = globalThis.ShelterCard;
let failed = 0;
function check(ok, what) {
  console.log((ok ? "ok   " : "FAIL ") + what);
  if (!ok) failed++;
}
const hex = (a) => Buffer.from(a).toString("hex");
const bytes = (s) => new TextEncoder().encode(s);

// RFC 7693 appendix A: BLAKE2b-512("abc").
check(hex(C.blake2b(bytes("abc"), 64)) ===
      "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1" +
      "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923", "BLAKE2b-512(abc) is RFC 7693's vector");
// The empty message and a 3-block one, at the card's 16-byte output (Python hashlib's values).
check(hex(C.blake2b(new Uint8Array(0), 16)) === "cae66941d9efbd404e4d88758ea67670", "BLAKE2b-128 of nothing");
check(hex(C.blake2b(Uint8Array.from({ length: 300 }, (_, i) => i & 255), 16)) === "15f53a13900056879b859fc1bcea544d",
      "BLAKE2b-128 of 300 bytes (3 blocks)");
// RFC 9285 section 4.
check(C.base45(bytes("AB")) === "BB8" && C.base45(bytes("Hello!!")) === "%69 VD92EX0" &&
      C.base45(bytes("base-45")) === "UJCLQE7W581" && C.base45(bytes("ietf!")) === "QED8WEX0",
      "Base45 is RFC 9285's examples");
check(C.toKatakana("やまだ　はなこ") === "ヤマダ ハナコ" && C.toKatakana("ﾀｶﾊｼ  ｲﾁﾛｳ") === "タカハシ イチロウ",
      "hiragana and half-width readings become katakana");
check(C.cleanText("山田\t花子\r\n") === "山田 花子" && C.cleanText("a\u0085b\u007fc") === "a b c" &&
      C.toKatakana("やまだ\tはなこ") === "ヤマダ ハナコ", "tabs, line breaks and C1 controls become spaces");
check(C.birthOk("", "2026-12-04") && C.birthOk("1900-01-01", "2026-12-04") && C.birthOk("2026-12-04", "2026-12-04") &&
      !C.birthOk("1899-12-31", "2026-12-04") && !C.birthOk("2026-12-05", "2026-12-04") &&
      !C.birthOk("2023-02-29", "2026-12-04") && !C.birthOk("20250-01-01", "2026-12-04"),
      "birth dates from 1900 to today, real days only");
check(C.packKatakana("ヤマダ ハナコ").length === 7 && C.packKatakana("Yamada") === null, "katakana packs to a byte each");

const card = {
  householdId: "0123456789abcdef", address: "多摩市落合1-2", phone: "090-1234-5678",
  members: [
    { personId: "1111111111111111", name: "山田 花子", reading: "ヤマダ ハナコ", birth: "1960-05-01", sex: "female",
      consent: true, needs: ["illness", "allergy"], needsOther: "アレルギー: そば" },
    { personId: "2222222222222222", name: "髙橋 𠮷男", reading: "タカハシ ヨシオ", birth: "", sex: "male", consent: false,
      needs: [], needsOther: "" },
    { personId: "3333333333333333", name: "Nguyễn Văn An", reading: "グエン", birth: "2019-02-28", sex: "other",
      consent: true, needs: ["infant", "language", "other"], needsOther: "" },
    { personId: "4444444444444444", name: "﨑 邉", reading: "Saki", birth: "2000-12-31", sex: "unsaid", consent: false,
      needs: ["care", "medical_device", "pregnant", "disability"], needsOther: "車いす" },
  ],
};
const refuses = (change) => {
  try {
    C.cardText(change(structuredClone(card)));
    return false;
  } catch (e) {
    return true;
  }
};
check(refuses((c) => { c.members[0].name = "山田\t花子"; return c; }) &&
      refuses((c) => { c.address = "a\nb"; return c; }) && refuses((c) => { c.members[1].birth = "1850-01-01"; return c; }),
      "the encoder refuses what the kiosk would (a control character, a birth year before 1900)");
const text = C.cardText(card);
check(text.startsWith("SC:") && /^[0-9A-Z $%*+\-./:]+$/.test(text.slice(3)), "the card text is SC: and Base45");
console.log("TEXT " + text);
process.exit(failed ? 1 : 0);
