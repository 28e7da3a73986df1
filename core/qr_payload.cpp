#include "core/qr_payload.hpp"

#include <sodium.h>

#include <cstdint>
#include <cstring>

#include "core/base45.hpp"

namespace shelter::qr {

namespace {

constexpr char kKindCard = 'H';
constexpr char kKindPass = 'P';
constexpr size_t kCheckBytes = 8;
// Version 2's signature block, before the check: a type byte, then for
// Ed25519 the key id and the signature.
constexpr unsigned kSigNone = 0;
constexpr unsigned kSigEd25519 = 1;
constexpr size_t kMaxField = 255;  // str8 length limit

// Member flags byte.
constexpr std::uint8_t kFlagSexMask = 0x03;
constexpr std::uint8_t kFlagConsent = 0x04;
constexpr std::uint8_t kFlagReadingPacked = 0x08;
constexpr std::uint8_t kFlagKnownBits = 0x0F;

// ---- katakana packing -------------------------------------------------------
// A reading is nearly always full-width katakana, 3 bytes each in UTF-8. Packed,
// each character is one byte: 0x00-0x5F = U+30A0-U+30FF, 0x60 = ASCII space,
// 0x61 = U+3000 (ideographic space). The mapping is one-to-one, so unpacking
// gives back the exact bytes.
std::optional<std::string> pack_katakana(std::string_view utf8) {
  std::string out;
  for (size_t i = 0; i < utf8.size();) {
    auto c = static_cast<unsigned char>(utf8[i]);
    if (c == ' ') {
      out += '\x60';
      ++i;
      continue;
    }
    if (i + 3 > utf8.size()) return std::nullopt;
    auto c1 = static_cast<unsigned char>(utf8[i + 1]), c2 = static_cast<unsigned char>(utf8[i + 2]);
    if (c != 0xE3 || (c1 & 0xC0) != 0x80 || (c2 & 0xC0) != 0x80) return std::nullopt;
    unsigned cp = ((c & 0x0Fu) << 12) | ((c1 & 0x3Fu) << 6) | (c2 & 0x3Fu);
    if (cp >= 0x30A0 && cp <= 0x30FF) {
      out += static_cast<char>(cp - 0x30A0);
    } else if (cp == 0x3000) {
      out += '\x61';
    } else {
      return std::nullopt;
    }
    i += 3;
  }
  return out;
}

std::optional<std::string> unpack_katakana(std::string_view packed) {
  std::string out;
  for (unsigned char b : packed) {
    unsigned cp;
    if (b < 0x60) {
      cp = 0x30A0 + b;
    } else if (b == 0x60) {
      out += ' ';
      continue;
    } else if (b == 0x61) {
      cp = 0x3000;
    } else {
      return std::nullopt;
    }
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

// ---- checksum ----------------------------------------------------------------
std::string check_bytes(std::string_view record) {
  unsigned char full[crypto_generichash_BYTES_MIN];
  crypto_generichash(full, sizeof full, reinterpret_cast<const unsigned char*>(record.data()), record.size(), nullptr,
                     0);
  return std::string(reinterpret_cast<const char*>(full), kCheckBytes);
}

// ---- field rules shared by encoder and parser ----------------------------------

bool valid_birth(const BirthDate& b) {
  return parse_birth(to_string(b)) == std::optional<BirthDate>(b);
}

// Returns an empty string when `s` is acceptable as text field `name`.
std::string text_field_problem(std::string_view name, std::string_view s) {
  if (s.size() > kMaxField) return std::string(name) + " is longer than 255 bytes";
  if (!is_valid_utf8(s)) return std::string(name) + " is not valid UTF-8";
  if (has_control_chars(s)) return std::string(name) + " contains control characters";
  return {};
}

std::string id_bytes(std::string_view hex) {
  std::string out(8, '\0');
  for (size_t i = 0; i < 8; ++i) {
    auto nib = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    out[i] = static_cast<char>(nib(hex[2 * i]) << 4 | nib(hex[2 * i + 1]));
  }
  return out;
}

std::string id_hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

// ---- writer --------------------------------------------------------------------
struct Writer {
  std::string out;
  void u8(unsigned v) { out += static_cast<char>(v & 0xFF); }
  void u16(unsigned v) {
    u8(v >> 8);
    u8(v);
  }
  void raw(std::string_view s) { out += s; }
  void str8(std::string_view s) {
    u8(static_cast<unsigned>(s.size()));
    out += s;
  }
  void date(const BirthDate& d) {
    u16(d.year);
    u8(d.month);
    u8(d.day);
  }
};

// ---- reader --------------------------------------------------------------------
struct Reader {
  std::string_view in;
  size_t pos = 0;
  bool short_read = false;

  bool need(size_t n) {
    if (short_read || in.size() - pos < n) {
      short_read = true;
      return false;
    }
    return true;
  }
  unsigned u8() {
    if (!need(1)) return 0;
    return static_cast<unsigned char>(in[pos++]);
  }
  unsigned u16() {
    unsigned hi = u8();
    return hi << 8 | u8();
  }
  std::string raw(size_t n) {
    if (!need(n)) return {};
    std::string s(in.substr(pos, n));
    pos += n;
    return s;
  }
  std::string str8() { return raw(u8()); }
  BirthDate date() {
    BirthDate d;
    d.year = static_cast<std::uint16_t>(u16());
    d.month = static_cast<std::uint8_t>(u8());
    d.day = static_cast<std::uint8_t>(u8());
    return d;
  }
};

// Ends a version 2 record: the signature block (signed over everything
// before the signature itself) and the check.
Result<std::string> finish(Writer& w, const Signer& signer) {
  if (!signer) {
    w.u8(kSigNone);
  } else {
    w.u8(kSigEd25519);
    auto id = signing::from_hex(signer.key_id, signing::kKeyIdBytes);
    if (!id || !signing::is_key_id(signer.key_id)) return fail("signing key id must be 16 hex digits");
    w.raw(*id);
    const std::string sig = signer.sign(w.out);
    if (sig.size() != signing::kSignatureBytes)
      return fail("signing failed (a " + std::to_string(signing::kSignatureBytes) + "-byte signature is needed)");
    w.raw(sig);
  }
  w.raw(check_bytes(w.out));
  return std::string(kPrefix) + base45::encode(w.out);
}

Parsed failure(ParseError e, std::string detail = {}) {
  Parsed p;
  p.error = e;
  p.detail = std::move(detail);
  return p;
}

// Checks text fields after the structure and checksum are known good: a bad
// field in a record with a good checksum was written that way by its maker.
ParseError check_text(std::string_view name, std::string_view s, std::string& detail) {
  if (!is_valid_utf8(s)) {
    detail = std::string(name) + " is not valid UTF-8";
    return ParseError::InvalidUtf8;
  }
  if (has_control_chars(s)) {
    detail = std::string(name) + " contains control characters";
    return ParseError::InvalidField;
  }
  return ParseError::None;
}

}  // namespace

bool HouseholdCard::operator==(const HouseholdCard& o) const {
  if (household_id != o.household_id || address != o.address || phone != o.phone || members.size() != o.members.size())
    return false;
  for (size_t i = 0; i < members.size(); ++i)
    if (members[i].person_id != o.members[i].person_id || !(members[i].info == o.members[i].info)) return false;
  return true;
}

std::string_view describe(ParseError e) {
  switch (e) {
    case ParseError::None:
      return "valid";
    case ParseError::NotShelterCode:
      return "this QR code is not a shelter check-in code";
    case ParseError::BadEncoding:
      return "this QR code looks like a shelter code but is not encoded correctly";
    case ParseError::Oversized:
      return "this QR code is too long to be a shelter code";
    case ParseError::Truncated:
      return "this shelter code is incomplete (cut off)";
    case ParseError::UnsupportedVersion:
      return "this shelter code was made by a newer version; please use the form";
    case ParseError::OutdatedPass:
      return "this pass is from an older version and is not signed; please ask a volunteer";
    case ParseError::UnknownKind:
      return "this shelter code is of an unknown kind";
    case ParseError::BadChecksum:
      return "this shelter code is damaged or was altered";
    case ParseError::InvalidUtf8:
      return "this shelter code contains unreadable text";
    case ParseError::InvalidField:
      return "this shelter code contains an invalid value";
    case ParseError::TrailingData:
      return "this shelter code has extra data at its end";
  }
  return "unknown error";
}

std::string_view error_name(ParseError e) {
  switch (e) {
    case ParseError::None:
      return "none";
    case ParseError::NotShelterCode:
      return "not_shelter_code";
    case ParseError::BadEncoding:
      return "bad_encoding";
    case ParseError::Oversized:
      return "oversized";
    case ParseError::Truncated:
      return "truncated";
    case ParseError::UnsupportedVersion:
      return "unsupported_version";
    case ParseError::OutdatedPass:
      return "outdated_pass";
    case ParseError::UnknownKind:
      return "unknown_kind";
    case ParseError::BadChecksum:
      return "bad_checksum";
    case ParseError::InvalidUtf8:
      return "invalid_utf8";
    case ParseError::InvalidField:
      return "invalid_field";
    case ParseError::TrailingData:
      return "trailing_data";
  }
  return "unknown";
}

Signer signer_for(const signing::KeyPair& key) {
  return Signer{key.key_id(), [key](std::string_view message) { return signing::sign(key, message); }};
}

Result<std::string> encode_card(const HouseholdCard& card, const Signer& signer) {
  if (!is_valid_id(card.household_id)) return fail("household id must be 16 hex digits");
  if (card.members.empty() || card.members.size() > kMaxMembers)
    return fail("a card holds 1 to " + std::to_string(kMaxMembers) + " members, not " +
                std::to_string(card.members.size()));
  for (auto [name, value] :
       {std::pair<std::string_view, std::string_view>{"address", card.address}, {"phone", card.phone}})
    if (auto p = text_field_problem(name, value); !p.empty()) return fail(p);
  Writer w;
  w.u8(kVersion);
  w.u8(kKindCard);
  w.raw(id_bytes(card.household_id));
  w.str8(card.address);
  w.str8(card.phone);
  w.u8(static_cast<unsigned>(card.members.size()));
  for (size_t i = 0; i < card.members.size(); ++i) {
    const auto& m = card.members[i];
    const std::string who = "member " + std::to_string(i + 1) + ": ";
    if (!is_valid_id(m.person_id)) return fail(who + "person id must be 16 hex digits");
    if (m.info.name.empty()) return fail(who + "name is empty");
    for (auto [name, value] : {std::pair<std::string_view, std::string_view>{"name", m.info.name},
                               {"reading", m.info.reading},
                               {"needs_other", m.info.needs_other}})
      if (auto p = text_field_problem(name, value); !p.empty()) return fail(who + p);
    if (!valid_birth(m.info.birth)) return fail(who + "birth date is not a real date");
    if (m.info.needs & ~kAllNeeds) return fail(who + "unknown need bits");
    auto packed = pack_katakana(m.info.reading);
    std::uint8_t flags = static_cast<std::uint8_t>(m.info.sex) & kFlagSexMask;
    if (m.info.consent) flags |= kFlagConsent;
    if (packed) flags |= kFlagReadingPacked;
    w.raw(id_bytes(m.person_id));
    w.u8(flags);
    w.date(m.info.birth);
    w.u16(m.info.needs);
    w.str8(m.info.name);
    w.str8(packed ? *packed : m.info.reading);
    w.str8(m.info.needs_other);
  }
  return finish(w, signer);
}

Result<std::string> encode_pass(const Pass& pass, const Signer& signer) {
  if (!is_valid_id(pass.person_id)) return fail("person id must be 16 hex digits");
  if (!is_valid_id(pass.household_id)) return fail("household id must be 16 hex digits");
  if (!is_valid_slug(pass.shelter_id)) return fail("shelter id must be a slug");
  if (!valid_birth(pass.issued) || pass.issued.month == 0) return fail("issue date must be a full date");
  Writer w;
  w.u8(kVersion);
  w.u8(kKindPass);
  w.raw(id_bytes(pass.person_id));
  w.raw(id_bytes(pass.household_id));
  w.str8(pass.shelter_id);
  w.date(pass.issued);
  return finish(w, signer);
}

size_t record_bytes(std::string_view text) {
  if (text.substr(0, kPrefix.size()) != kPrefix) return 0;
  return base45::decode(text.substr(kPrefix.size())).bytes.size();
}

Parsed parse(std::string_view text) {
  if (text.substr(0, kPrefix.size()) != kPrefix) return failure(ParseError::NotShelterCode);
  if (text.size() > kMaxTextChars) return failure(ParseError::Oversized);
  auto decoded = base45::decode(text.substr(kPrefix.size()));
  // A cut-off text most often ends in the middle of a 3-character group.
  if (decoded.error == base45::DecodeError::Incomplete) return failure(ParseError::Truncated);
  if (decoded.error != base45::DecodeError::None) return failure(ParseError::BadEncoding);
  const std::string& bytes = decoded.bytes;
  if (bytes.size() < 2) return failure(ParseError::Truncated);
  const unsigned version = static_cast<unsigned char>(bytes[0]);
  if (version != 1 && version != kVersion)
    return failure(ParseError::UnsupportedVersion, "version " + std::to_string(version));
  const char kind = bytes[1];
  if (kind != kKindCard && kind != kKindPass) return failure(ParseError::UnknownKind);
  // A version 1 pass has no signature (at best a MAC under a key only its
  // shelter had): nothing can vouch for it any more.
  if (kind == kKindPass && version == 1) return failure(ParseError::OutdatedPass);

  Reader r{bytes, 2};
  Parsed out;
  HouseholdCard card;
  Pass pass;
  std::vector<std::uint8_t> member_flags;
  if (kind == kKindCard) {
    card.household_id = id_hex(r.raw(8));
    card.address = r.str8();
    card.phone = r.str8();
    unsigned count = r.u8();
    if (!r.short_read && (count == 0 || count > kMaxMembers))
      return failure(ParseError::InvalidField, "member count " + std::to_string(count));
    for (unsigned i = 0; i < count && !r.short_read; ++i) {
      CardMember m;
      m.person_id = id_hex(r.raw(8));
      member_flags.push_back(static_cast<std::uint8_t>(r.u8()));
      m.info.birth = r.date();
      m.info.needs = static_cast<std::uint16_t>(r.u16());
      m.info.name = r.str8();
      m.info.reading = r.str8();
      m.info.needs_other = r.str8();
      card.members.push_back(std::move(m));
    }
  } else {
    pass.person_id = id_hex(r.raw(8));
    pass.household_id = id_hex(r.raw(8));
    pass.shelter_id = r.str8();
    pass.issued = r.date();
  }
  unsigned sig_type = kSigNone;
  std::string key_id, signature;
  size_t signed_end = 0;
  if (version >= 2) {
    sig_type = r.u8();
    if (sig_type == kSigEd25519) {
      key_id = r.raw(signing::kKeyIdBytes);
      signed_end = r.pos;
      signature = r.raw(signing::kSignatureBytes);
    }
  }
  const size_t record_end = r.pos;
  r.raw(kCheckBytes);
  if (r.short_read) return failure(ParseError::Truncated);
  if (r.pos != bytes.size()) return failure(ParseError::TrailingData, std::to_string(bytes.size() - r.pos) + " bytes");
  const std::string expected = check_bytes(std::string_view(bytes).substr(0, record_end));
  if (sodium_memcmp(expected.data(), bytes.data() + record_end, kCheckBytes) != 0)
    return failure(ParseError::BadChecksum);

  // Values, now that the bytes are known to be what the maker wrote.
  if (sig_type != kSigNone && sig_type != kSigEd25519)
    return failure(ParseError::InvalidField, "signature type " + std::to_string(sig_type));
  out.version = static_cast<int>(version);
  if (sig_type == kSigEd25519) {
    out.signature = Signature{id_hex(key_id), std::move(signature)};
    out.signed_bytes = bytes.substr(0, signed_end);
  }
  std::string detail;
  if (kind == kKindPass) {
    if (!is_valid_slug(pass.shelter_id)) return failure(ParseError::InvalidField, "shelter id");
    if (!valid_birth(pass.issued) || pass.issued.month == 0) return failure(ParseError::InvalidField, "issue date");
    out.pass = std::move(pass);
    return out;
  }
  for (auto [name, value] :
       {std::pair<std::string_view, std::string_view>{"address", card.address}, {"phone", card.phone}})
    if (auto e = check_text(name, value, detail); e != ParseError::None) return failure(e, detail);
  for (size_t i = 0; i < card.members.size(); ++i) {
    auto& m = card.members[i];
    const std::string who = "member " + std::to_string(i + 1) + " ";
    const std::uint8_t flags = member_flags[i];
    if (flags & ~kFlagKnownBits) return failure(ParseError::InvalidField, who + "flags");
    m.info.sex = static_cast<Sex>(flags & kFlagSexMask);
    m.info.consent = (flags & kFlagConsent) != 0;
    if (flags & kFlagReadingPacked) {
      auto unpacked = unpack_katakana(m.info.reading);
      if (!unpacked) return failure(ParseError::InvalidField, who + "reading");
      m.info.reading = std::move(*unpacked);
    }
    if (!valid_birth(m.info.birth)) return failure(ParseError::InvalidField, who + "birth date");
    if (m.info.needs & ~kAllNeeds) return failure(ParseError::InvalidField, who + "needs");
    if (m.info.name.empty()) return failure(ParseError::InvalidField, who + "name is empty");
    for (auto [name, value] : {std::pair<std::string_view, std::string_view>{"name", m.info.name},
                               {"reading", m.info.reading},
                               {"needs_other", m.info.needs_other}})
      if (auto e = check_text(who + std::string(name), value, detail); e != ParseError::None) return failure(e, detail);
    m.info.address = card.address;
    m.info.phone = card.phone;
  }
  out.card = std::move(card);
  return out;
}

signing::Verdict verify(const Parsed& parsed, const signing::KeyRing& keys) {
  if (!parsed.ok() || !parsed.signature) return signing::Verdict::Unsigned;
  return keys.check(parsed.pass ? "device" : "card", parsed.signature->key_id, parsed.signed_bytes,
                    parsed.signature->bytes);
}

}  // namespace shelter::qr
