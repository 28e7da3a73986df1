// shelterctl's card commands: make-card, import-card, decode, scan, pass.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iostream>

#include "core/checkin.hpp"
#include "core/csv.hpp"
#include "core/fs_util.hpp"
#include "core/qr_image.hpp"
#include "core/qr_payload.hpp"
#include "core/secrets.hpp"
#include "kiosk/cli/cli.hpp"
#include "print/card_sheet.hpp"
#include "print/residents.hpp"

namespace fs = std::filesystem;

namespace shelter::cli {

namespace {

// The keys a code is checked against: the store's list from the server and
// the device's own key (for passes). Without a database: no keys at all.
Result<signing::KeyRing> keys_of(Store* store) {
  if (!store) return signing::KeyRing{};
  auto listed = store->trusted_keys();
  if (!listed) return listed.error().context("trusted keys");
  signing::KeyRing ring(std::move(*listed));
  auto own = load_secrets(secrets_path(store->path()));
  if (own && !own->device_key.empty()) ring.add_own(own->device_key, "device");
  return ring;
}

// "signed by the city (card key 0123...)", "not signed", ...
std::string signature_status(const qr::Parsed& p, signing::Verdict v) {
  const std::string id = p.signature ? p.signature->key_id : "";
  const std::string whose = p.pass ? "device key " + id : "card key " + id;
  switch (v) {
    case signing::Verdict::Valid:
      return p.pass ? "signed by a trusted kiosk (" + whose + ")" : "signed by the city (" + whose + ")";
    case signing::Verdict::Unsigned:
      return p.pass ? "not signed: refused" : "not signed by the city";
    case signing::Verdict::UnknownKey:
      return "signed by an unknown " + whose + (p.pass ? ": refused" : ": read as unsigned");
    case signing::Verdict::RevokedKey:
      return "signed by the revoked " + whose + (p.pass ? ": refused" : ": read as unsigned");
    case signing::Verdict::BadSignature:
      return "its signature does not match (" + whose + "): altered or forged" +
             (p.pass ? ", refused" : ", read as unsigned");
  }
  return "unknown";
}

}  // namespace

// Reads the one QR code in an image: 0 found (text on stdout), 1 none, 2
// unreadable. What the code is and its signature go to stderr, checked
// against the keys of the database (--db) when there is one.
int cmd_decode(const Common& c, const std::string& image) {
  auto found = qrimage::read_file(image);
  if (!found) {
    std::cerr << "shelterctl: decode: " << found.error().message << "\n";
    return 2;
  }
  if (found->empty()) {
    std::cerr << "shelterctl: decode: no QR code found in " << image << "\n";
    return 1;
  }
  if (found->size() > 1)
    std::cerr << "shelterctl: decode: " << found->size() << " QR codes found; printing the first\n";
  std::cout << found->front().text << "\n";
  const qr::Parsed parsed = qr::parse(found->front().text);
  if (parsed.ok()) {
    std::unique_ptr<Store> store;
    if (fs::exists(c.db)) {
      Store::Options ro;
      ro.create = false;
      ro.read_only = true;
      if (auto s = Store::open(c.db, ro)) store = std::move(s).value();
    }
    auto ring = keys_of(store.get());
    std::cerr << "shelterctl: decode: " << (parsed.pass ? "pass" : "household card") << ", version " << parsed.version
              << ", " << (ring ? signature_status(parsed, qr::verify(parsed, *ring)) : ring.error().message)
              << (store ? "" : " (no database to check the keys against)") << "\n";
  } else if (parsed.error != qr::ParseError::NotShelterCode) {
    std::cerr << "shelterctl: decode: " << qr::describe(parsed.error) << "\n";
  }
  return 0;
}

namespace {

struct ScannedCard {
  qr::HouseholdCard card;
  qr::Parsed parsed;
};

Result<ScannedCard> card_from_image(const std::string& image) {
  auto found = qrimage::read_file(image);
  if (!found) return found.error();
  if (found->empty()) return fail("no QR code found in " + image);
  for (const auto& f : *found) {
    qr::Parsed parsed = qr::parse(f.text);
    if (parsed.card) return ScannedCard{*parsed.card, parsed};
    if (parsed.pass) return fail("this is a check-in pass, not a household card");
    if (found->size() == 1) {
      std::string msg(qr::describe(parsed.error));
      if (!parsed.detail.empty()) msg += " (" + parsed.detail + ")";
      return fail(msg);
    }
  }
  return fail("none of the QR codes in " + image + " is a household card");
}

int checkin_card(const Common& c, Store& s, const qr::HouseholdCard& scanned, signing::Verdict verdict,
                 const std::string& stay, const std::vector<int>& members) {
  // As at the kiosk: only a city-signed card's ids name persons.
  auto prefill = verdict == signing::Verdict::Valid ? Result<qr::HouseholdCard>(scanned) : card_as_prefill(s, scanned);
  if (!prefill) return report(prefill.error().context("check in card"));
  if (verdict != signing::Verdict::Valid) std::cout << "Not signed by the city: its members are new persons here\n";
  const qr::HouseholdCard& card = *prefill;
  auto here = members_already_here(s, card);
  if (!here) return report(here.error().context("check in card"));
  std::vector<size_t> chosen;
  for (size_t i = 0; i < card.members.size(); ++i) {
    if (!members.empty() && std::find(members.begin(), members.end(), static_cast<int>(i + 1)) == members.end())
      continue;
    if ((*here)[i]) std::cout << "Already here: member " << (i + 1) << " (" << card.members[i].person_id << ")\n";
    chosen.push_back(i);
  }
  auto arrivals_r = card_arrivals(s, card, chosen, stay, author_of(c.staff));
  if (!arrivals_r) return report(arrivals_r.error().context("check in card"));
  const auto& arrivals = *arrivals_r;
  if (arrivals.empty()) {
    std::cout << "Nothing to record\n";
    return 0;
  }
  auto r = s.record(arrivals);
  if (!r) return report(r.error().context("check in card"));
  const auto arrived = std::count_if(r->begin(), r->end(), [](const Event& e) { return e.type == EventType::Arrived; });
  std::cout << "Checked in " << arrived << " of " << card.members.size() << " member(s) of household "
            << card.household_id << "\n";
  return 0;
}

}  // namespace

int cmd_import_card(const Common& c, const std::string& image, const std::string& stay,
                    const std::vector<int>& members) {
  auto store = open_store_as(c);
  if (!store) return report(store.error().context("import card"));
  auto card = card_from_image(image);
  if (!card) return report(card.error().context("import card " + image));
  auto ring = keys_of(store->get());
  if (!ring) return report(ring.error().context("import card"));
  const signing::Verdict verdict = qr::verify(card->parsed, *ring);
  std::cout << "Card " << signature_status(card->parsed, verdict) << "\n";
  return checkin_card(c, **store, card->card, verdict, stay, members);
}

namespace {

// The text of a scanned code, handled as the kiosk handles it: a household
// card checks its members in, a pass arrives / goes out / comes back.
int cmd_scan(const Common& c, const std::string& text, const std::string& stay) {
  const qr::Parsed parsed = qr::parse(text);
  if (!parsed.ok())
    return report(fail("scan: " + std::string(qr::describe(parsed.error)) +
                       (parsed.detail.empty() ? "" : " (" + parsed.detail + ")")));
  auto store = open_store_as(c);
  if (!store) return report(store.error().context("scan"));
  auto ring = keys_of(store->get());
  if (!ring) return report(ring.error().context("scan"));
  const signing::Verdict verdict = qr::verify(parsed, *ring);
  if (parsed.card) {
    std::cout << "Card " << signature_status(parsed, verdict) << "\n";
    return checkin_card(c, **store, *parsed.card, verdict, stay, {});
  }
  // As at the kiosk: only a pass signed by a trusted kiosk moves anyone.
  if (verdict != signing::Verdict::Valid) return report(fail("scan: pass " + signature_status(parsed, verdict)));
  auto action = pass_action(**store, *parsed.pass, author_of(c.staff));
  if (!action) return report(action.error().context("scan pass"));
  auto r = (*store)->record(action->event);
  if (!r) return report(r.error().context("scan pass"));
  switch (action->kind) {
    case PassAction::Kind::Arrived:
      std::cout << "Arrived: ";
      break;
    case PassAction::Kind::WentOut:
      std::cout << "Went out: ";
      break;
    case PassAction::Kind::CameBack:
      std::cout << "Came back: ";
      break;
    case PassAction::Kind::ArrivedUnknown:
      std::cout << "Arrived (details will come from the server): ";
      break;
  }
  std::cout << parsed.pass->person_id << "\n";
  return 0;
}

// Prints the text of a pass for a person (to reprint a lost one).
int cmd_pass(const Common& c, const std::string& person, const std::string& png_out) {
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("pass"));
  auto id = resolve_person(**store, person);
  if (!id) return report(id.error().context("pass"));
  auto rec = (*store)->person(*id);
  if (!rec) return report(rec.error().context("pass"));
  qr::Pass pass{*id, (*rec)->household_id, (*store)->shelter_id(), today_utc()};
  auto key = ensure_device_key(secrets_path((*store)->path()));
  if (!key) return report(key.error().context("pass"));
  auto text = qr::encode_pass(pass, qr::signer_for(*key));
  if (!text) return report(text.error().context("pass"));
  if (!png_out.empty()) {
    // The pass as a picture, to print or show again (a lost pass reprinted).
    auto m = qrimage::encode(*text);
    if (!m) return report(m.error().context("pass: QR image"));
    const auto png = qrimage::to_png(*m, 10);
    if (auto st = write_file_atomic(png_out, std::string(png.begin(), png.end()), 0644); !st)
      return report(st.error().context("pass: write " + png_out));
  }
  std::cout << *text << "\n";
  return 0;
}

}  // namespace

// Builds household cards from a residents CSV (print/residents.hpp:
// English or Japanese headers). Rows sharing a household value form one
// card. Ids come from household_id / person_id columns when present;
// otherwise new ones are made and written back to
// <out>/residents-with-ids.csv, so printing again gives the same cards.
// Bad input writes nothing.
int cmd_make_card(const std::string& csv_path, const std::string& out_dir, const std::string& format,
                  const std::string& layout, const std::string& card_key) {
  // The city's card key (shelter-server card-key): cards it signs are
  // trusted by every kiosk; without it cards are made unsigned.
  qr::Signer signer;
  if (!card_key.empty()) {
    auto key = signing::read_key_file(card_key);
    if (!key) return report(key.error().context("make-card: --card-key"));
    if (key->kind != "card")
      return report(fail("make-card: " + card_key + " is a " + key->kind + " key, not a card key"));
    signer = qr::signer_for(key->pair);
  }
  auto text = read_file_bytes(csv_path);
  if (!text) return report(text.error().context("make-card"));
  auto residents = print::read_residents(*text);
  if (!residents) return report(residents.error().context("make-card: " + csv_path));

  // Encode everything first: one bad household writes no files at all.
  struct Output {
    std::string label, payload;
    qrimage::QrMatrix matrix;
  };
  std::vector<Output> outputs;
  for (const auto& hh : residents->households) {
    auto payload = qr::encode_card(hh.card, signer);
    if (!payload) return report(payload.error().context("make-card: household " + hh.label));
    auto matrix = qrimage::encode(*payload);
    if (!matrix) return report(matrix.error().context("make-card: household " + hh.label));
    outputs.push_back({hh.label, *payload, *matrix});
  }
  std::string pdf;
  if (format == "pdf") {
    auto made = print::card_sheets_pdf(residents->households, signer,
                                       layout == "cut" ? print::SheetLayout::Cut : print::SheetLayout::A4);
    if (!made) return report(made.error().context("make-card"));
    pdf = std::move(*made);
  }
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return report(fail("make-card: create " + out_dir + ": " + ec.message()));
  if (format == "pdf") {
    const std::string path = (fs::path(out_dir) / ("household-cards-" + layout + ".pdf")).string();
    if (auto st = write_file_atomic(path, pdf, 0600); !st) return report(st.error().context("make-card"));
    std::cout << path << "  " << outputs.size() << " household(s), layout " << layout << "\n";
  }
  for (const auto& o : outputs) {
    std::string safe;
    for (char ch : o.label) safe += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_') ? ch : '_';
    const std::string base = (fs::path(out_dir) / ("household-" + safe)).string();
    if (format == "png" || format == "both") {
      auto png = qrimage::to_png(o.matrix);
      if (auto st = write_file_atomic(base + ".png",
                                      std::string_view(reinterpret_cast<const char*>(png.data()), png.size()), 0600);
          !st)
        return report(st.error().context("make-card"));
    }
    if (format == "svg" || format == "both") {
      if (auto st = write_file_atomic(base + ".svg", qrimage::to_svg(o.matrix), 0600); !st)
        return report(st.error().context("make-card"));
    }
    if (format != "pdf")
      std::cout << base << "  QR version " << o.matrix.version << ", " << o.payload.size() << " characters\n";
    else
      std::cout << "household " << o.label << "  QR version " << o.matrix.version << ", " << o.payload.size()
                << " characters\n";
    if (format == "pdf" && layout == "cut" && print::cut_card_module_mm(o.matrix.size) < print::kMinCutModuleMm)
      std::cerr << "shelterctl: make-card: household " << o.label << ": its code is dense for a cut card (QR version "
                << o.matrix.version << "): print it with --layout a4 for a webcam to read it well\n";
  }
  std::string ids_csv;
  for (const auto& row : residents->with_ids) ids_csv += csv::format_row(row);
  const std::string ids_path = (fs::path(out_dir) / "residents-with-ids.csv").string();
  if (auto st = write_file_atomic(ids_path, ids_csv, 0600); !st) return report(st.error().context("make-card"));
  std::cout << "Made " << outputs.size() << " card(s)"
            << (signer ? ", signed with card key " + signer.key_id : std::string(", not signed")) << "; ids kept in "
            << ids_path << "\n";
  return 0;
}

void add_import_card(CLI::App& app, Common& c, Commands& cmds) {
  struct Args {
    std::string image, stay = "shelter";
    std::vector<int> members;
  };
  auto a = std::make_shared<Args>();
  auto* import_card = app.add_subcommand("import-card", "Check in a household from an image of its QR card");
  import_card->add_option("image", a->image, "PNG or JPEG image")->required();
  import_card->add_option("--stay", a->stay, "shelter, car or home")->check(CLI::IsMember(stay_names()));
  import_card->add_option("--members", a->members, "Only these members (1-based), e.g. --members 1 3");
  cmds.add(import_card, [&c, a] { return cmd_import_card(c, a->image, a->stay, a->members); });
}

void add_scan(CLI::App& app, Common& c, Commands& cmds) {
  struct Args {
    std::string text, stay = "shelter";
  };
  auto a = std::make_shared<Args>();
  auto* scan = app.add_subcommand("scan", "Handle the text of a scanned card or pass as the kiosk does");
  scan->add_option("text", a->text, "The code's text (from decode)")->required();
  scan->add_option("--stay", a->stay, "shelter, car or home")->check(CLI::IsMember(stay_names()));
  cmds.add(scan, [&c, a] { return cmd_scan(c, a->text, a->stay); });
}

void add_pass(CLI::App& app, Common& c, Commands& cmds) {
  auto person = std::make_shared<std::string>();
  auto* pass_cmd = app.add_subcommand("pass", "Print the text of a pass for a person (to reprint a lost one)");
  pass_cmd->add_option("person", *person, "Person id or prefix")->required();
  auto png_out = std::make_shared<std::string>();
  pass_cmd->add_option("--png", *png_out, "Also write the pass as a QR image (PNG) to this file");
  cmds.add(pass_cmd, [&c, person, png_out] { return cmd_pass(c, *person, *png_out); });
}

void add_make_card(CLI::App& app, Common&, Commands& cmds) {
  struct Args {
    std::string csv_in, out_dir = "cards", format = "png", layout = "a4", card_key;
  };
  auto a = std::make_shared<Args>();
  auto* make_card = app.add_subcommand("make-card", "Make printable household QR cards from a residents CSV");
  make_card
      ->add_option("csv", a->csv_in,
                   "Residents CSV (UTF-8) with columns household,name[,reading,sex,birth,needs,needs_other,consent,"
                   "address,phone,district,shelter,household_id,person_id] or their Japanese names "
                   "(世帯番号,氏名,フリガナ,...): docs/residents-csv.md")
      ->required();
  make_card->add_option("--out", a->out_dir, "Output folder (default: cards)");
  make_card->add_option("--format", a->format, "png, svg, both (bare QR images) or pdf (printed card sheets)")
      ->check(CLI::IsMember({"png", "svg", "both", "pdf"}));
  make_card->add_option("--layout", a->layout, "For pdf: a4 (a page per household) or cut (10 cards per page)")
      ->check(CLI::IsMember({"a4", "cut"}));
  make_card->add_option("--card-key", a->card_key,
                        "The city's card key file (shelter-server card-key): sign the cards, so kiosks trust them");
  cmds.add(make_card, [a] { return cmd_make_card(a->csv_in, a->out_dir, a->format, a->layout, a->card_key); });
}

void add_decode(CLI::App& app, Common& c, Commands& cmds) {
  auto image = std::make_shared<std::string>();
  auto* decode =
      app.add_subcommand("decode", "Print the text of the QR code in an image (exit 1: none, 2: unreadable)");
  decode->add_option("image", *image, "PNG or JPEG image")->required();
  cmds.add(decode, [&c, image] { return cmd_decode(c, *image); });
}

}  // namespace shelter::cli
