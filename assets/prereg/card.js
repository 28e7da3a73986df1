// The household card record of docs/qr-format.md (version 2, kind 'H',
// unsigned), made on the phone: the same bytes as `shelterctl make-card`.
// Pure functions, no page access, so node can test them (tests/prereg).
(function (root) {
  "use strict";

  // ---- BLAKE2b (RFC 7693), for the record's 8-byte check ----------------
  // BigInt words: slow but plain; a card is a few hundred bytes.
  const M64 = (1n << 64n) - 1n;
  const IV = [
    0x6a09e667f3bcc908n, 0xbb67ae8584caa73bn, 0x3c6ef372fe94f82bn, 0xa54ff53a5f1d36f1n,
    0x510e527fade682d1n, 0x9b05688c2b3e6c1fn, 0x1f83d9abfb41bd6bn, 0x5be0cd19137e2179n,
  ];
  const SIGMA = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
  ];
  const rotr = (x, n) => ((x >> BigInt(n)) | (x << BigInt(64 - n))) & M64;

  function compress(h, block, t, last) {
    const m = [];
    for (let i = 0; i < 16; i++) {
      let w = 0n;
      for (let b = 7; b >= 0; b--) w = (w << 8n) | BigInt(block[i * 8 + b]);
      m.push(w);
    }
    const v = h.concat(IV);
    v[12] ^= t & M64;
    v[13] ^= t >> 64n;
    if (last) v[14] ^= M64;
    const g = (a, b, c, d, x, y) => {
      v[a] = (v[a] + v[b] + x) & M64;
      v[d] = rotr(v[d] ^ v[a], 32);
      v[c] = (v[c] + v[d]) & M64;
      v[b] = rotr(v[b] ^ v[c], 24);
      v[a] = (v[a] + v[b] + y) & M64;
      v[d] = rotr(v[d] ^ v[a], 16);
      v[c] = (v[c] + v[d]) & M64;
      v[b] = rotr(v[b] ^ v[c], 63);
    };
    for (let r = 0; r < 12; r++) {
      const s = SIGMA[r % 10];
      g(0, 4, 8, 12, m[s[0]], m[s[1]]);
      g(1, 5, 9, 13, m[s[2]], m[s[3]]);
      g(2, 6, 10, 14, m[s[4]], m[s[5]]);
      g(3, 7, 11, 15, m[s[6]], m[s[7]]);
      g(0, 5, 10, 15, m[s[8]], m[s[9]]);
      g(1, 6, 11, 12, m[s[10]], m[s[11]]);
      g(2, 7, 8, 13, m[s[12]], m[s[13]]);
      g(3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    for (let i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
  }

  // Unkeyed BLAKE2b with an output of `outlen` bytes (1..64).
  function blake2b(bytes, outlen) {
    const h = IV.slice();
    h[0] ^= 0x01010000n ^ BigInt(outlen);
    const blocks = Math.max(1, Math.ceil(bytes.length / 128));
    for (let i = 0; i < blocks; i++) {
      const block = new Uint8Array(128);
      const chunk = bytes.subarray(i * 128, (i + 1) * 128);
      block.set(chunk);
      compress(h, block, BigInt(i * 128 + chunk.length), i === blocks - 1);
    }
    const out = new Uint8Array(outlen);
    for (let i = 0; i < outlen; i++) out[i] = Number((h[i >> 3] >> BigInt(8 * (i & 7))) & 0xffn);
    return out;
  }

  // ---- Base45 (RFC 9285) -------------------------------------------------
  const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  function base45(bytes) {
    let s = "";
    for (let i = 0; i < bytes.length; i += 2) {
      if (i + 1 < bytes.length) {
        const n = bytes[i] * 256 + bytes[i + 1];
        s += B45[n % 45] + B45[Math.floor(n / 45) % 45] + B45[Math.floor(n / 2025)];
      } else {
        s += B45[bytes[i] % 45] + B45[Math.floor(bytes[i] / 45)];
      }
    }
    return s;
  }

  // ---- what the kiosk refuses ---------------------------------------------
  // C0 and C1 control characters: the kiosk rejects a card holding any
  // (core/model.cpp has_control_chars).
  const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

  // A pasted tab or line break becomes a space; ends trimmed.
  const cleanText = (text) => text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim();

  // A birth date the kiosk takes and that is not in the future: "" (unknown)
  // or a real "YYYY-MM-DD" from 1900-01-01 to `today` (same form).
  function birthOk(s, today) {
    if (!s) return true;
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
    if (!m) return false;
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const real = new Date(Date.UTC(y, mo - 1, d));
    return y >= 1900 && real.getUTCMonth() === mo - 1 && real.getUTCDate() === d && s <= today;
  }

  // ---- readings ------------------------------------------------------------
  // What a resident types as the reading, as the kiosk keeps it: NFKC (half-
  // width katakana become full width), hiragana turned into katakana.
  function toKatakana(text) {
    let out = "";
    for (const ch of cleanText(text.normalize("NFKC"))) {
      const cp = ch.codePointAt(0);
      out += (cp >= 0x3041 && cp <= 0x3096) || cp === 0x309d || cp === 0x309e ? String.fromCodePoint(cp + 0x60) : ch;
    }
    return out.replace(/\s+/g, " ");
  }

  // One byte a character (0x00-0x5F = U+30A0-U+30FF, 0x60 space, 0x61
  // U+3000), or null when the reading holds anything else.
  function packKatakana(text) {
    const out = [];
    for (const ch of text) {
      const cp = ch.codePointAt(0);
      if (cp === 0x20) out.push(0x60);
      else if (cp === 0x3000) out.push(0x61);
      else if (cp >= 0x30a0 && cp <= 0x30ff) out.push(cp - 0x30a0);
      else return null;
    }
    return Uint8Array.from(out);
  }

  // ---- the record ----------------------------------------------------------
  const NEEDS = ["illness", "pregnant", "infant", "disability", "care", "medical_device", "allergy", "language", "other"];
  const SEX = { unsaid: 0, male: 1, female: 2, other: 3 };
  const utf8 = (s) => new TextEncoder().encode(s);

  function randomId() {
    const b = new Uint8Array(8);
    root.crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  class Writer {
    constructor() { this.bytes = []; }
    u8(x) { this.bytes.push(x & 0xff); }
    u16(x) { this.u8(x >> 8); this.u8(x); }
    raw(arr) { for (const x of arr) this.u8(x); }
    id(hex) { for (let i = 0; i < 16; i += 2) this.u8(parseInt(hex.slice(i, i + 2), 16)); }
    text8(s, what) {
      if (CONTROL.test(s)) throw new Error(what + " holds a control character");
      this.str8(utf8(s), what);
    }
    str8(arr, what) {
      if (arr.length > 255) throw new Error(what + " is longer than 255 bytes");
      this.u8(arr.length);
      this.raw(arr);
    }
  }

  // "YYYY-MM-DD" (or "") -> [year, month, day]; empty is unknown (0, 0, 0).
  function birthParts(s) {
    if (!s) return [0, 0, 0];
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
    if (!m || !birthOk(s, "2999-12-31")) throw new Error("birth date " + s);
    return [Number(m[1]), Number(m[2]), Number(m[3])];
  }

  // card: {householdId, address, phone, members: [{personId, name, reading,
  // birth, sex, consent, needs: [names], needsOther}]} -> record bytes.
  function encodeRecord(card) {
    if (card.members.length < 1 || card.members.length > 15) throw new Error("a card holds 1 to 15 members");
    const w = new Writer();
    w.u8(2);
    w.u8(0x48);
    w.id(card.householdId);
    w.text8(card.address || "", "address");
    w.text8(card.phone || "", "phone");
    w.u8(card.members.length);
    for (const m of card.members) {
      if (!m.name) throw new Error("a name is empty");
      const packed = packKatakana(m.reading || "");
      let flags = SEX[m.sex || "unsaid"] & 3;
      if (m.consent) flags |= 4;
      if (packed) flags |= 8;
      let needs = 0;
      for (const n of m.needs || []) needs |= 1 << NEEDS.indexOf(n);
      const [y, mo, d] = birthParts(m.birth);
      w.id(m.personId);
      w.u8(flags);
      w.u16(y);
      w.u8(mo);
      w.u8(d);
      w.u16(needs);
      w.text8(m.name, "name");
      if (packed) w.str8(packed, "reading");
      else w.text8(m.reading || "", "reading");
      w.text8(m.needsOther || "", "needs");
    }
    w.u8(0);  // signature: none (only the city's office signs cards)
    const body = Uint8Array.from(w.bytes);
    const check = blake2b(body, 16).subarray(0, 8);  // libsodium's generichash at 16 bytes
    const out = new Uint8Array(body.length + 8);
    out.set(body);
    out.set(check, body.length);
    return out;
  }

  const cardText = (card) => "SC:" + base45(encodeRecord(card));

  root.ShelterCard = {
    blake2b, base45, toKatakana, packKatakana, cleanText, birthOk, encodeRecord, cardText, randomId, NEEDS,
  };
})(typeof window !== "undefined" ? window : globalThis);
