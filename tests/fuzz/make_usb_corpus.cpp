// Writes the seed corpus of fuzz_usb_import from real files: a kiosk store
// (device tama-01-a at tama-01) with the target's fixed keys
// (usb_fuzz_keys.hpp) records a household's arrival, an outing and a
// correction, then exports them as the kiosk does.
//   usage: make_usb_corpus DIR   (tests/fuzz/corpus/usb_import)
// Files: sealed-v2.usb (make_sealed_export), sealed-v2-cut.usb (the same cut
// in the sealed body), v1.usb (format_usb_export), and for the target's
// second and third readings the sealed file's header with its opened
// contents (plain-v2-signed.txt) and with its events only (plain-v2-events.txt).
// A sealed box is random, so running it again writes other sealed bytes.
#include <cstdio>
#include <filesystem>
#include <string>

#include "core/fs_util.hpp"
#include "core/secrets.hpp"
#include "core/store.hpp"
#include "core/usb_export.hpp"
#include "tests/fuzz/usb_fuzz_keys.hpp"

namespace {

using namespace shelter;

int die(const std::string& what) {
  std::fprintf(stderr, "make_usb_corpus: %s\n", what.c_str());
  return 1;
}

NewEvent arrival(const PersonId& person, const HouseholdId& household, const std::string& name, const char* birth) {
  PersonInfo p;
  p.name = name;
  p.reading = "ヤマダ";
  p.sex = Sex::Female;
  p.birth = *parse_birth(birth);
  p.consent = true;
  NewEvent e;
  e.person_id = person;
  e.household_id = household;
  e.body = person_body(p);
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc != 2) return die("usage: make_usb_corpus DIR");
  const fs::path out = argv[1];
  char tmpl[] = "/tmp/make-usb-corpus.XXXXXX";
  if (!mkdtemp(tmpl)) return die("mkdtemp failed");
  const std::string db = (fs::path(tmpl) / "kiosk.db").string();
  auto store = Store::open(db);
  if (!store || !(*store)->init_identity("tama-01", "tama-01-a", "Tama 1")) return die("open the kiosk store");
  Store& st = **store;
  auto keyed = update_secrets(secrets_path(db), [](DeviceSecrets& s) {
    s.device_key = fuzz::usb_device_key();
    return true;
  });
  const sealing::BoxKeyPair& hq = fuzz::usb_hq_key();
  if (!keyed || !st.set_trusted_keys({{"hq", hq.key_id(), "", "", hq.public_key, false}})) return die("keys");
  const HouseholdId household = new_id();
  const PersonId hanako = new_id(), taro = new_id();
  NewEvent out_event;
  out_event.type = EventType::WentOut;
  out_event.person_id = taro;
  out_event.author = "staff:佐藤";
  NewEvent fix;
  fix.type = EventType::Corrected;
  fix.person_id = hanako;
  fix.author = "staff:佐藤";
  fix.body = {{"phone", "090-0000-0000"}};
  for (const NewEvent& e : {arrival(hanako, household, "山田 花子", "1950-04-01"),
                            arrival(taro, household, "山田 太郎", "1948"), out_event, fix})
    if (!st.record(e)) return die("record an event");

  size_t events = 0;
  auto sealed = make_sealed_export(st, true, events);
  auto x = collect_unsynced(st, true);
  if (!sealed || !x) return die("export");
  auto h = read_usb_header(*sealed);
  auto inner = sealing::open(hq, std::string_view(*sealed).substr(h ? h->line.size() : 0));
  if (!h || !inner) return die("open the sealed file again");
  const std::string events_only = inner->substr(0, inner->rfind('\n', inner->size() - 2) + 1);
  const std::pair<const char*, std::string> files[] = {
      {"sealed-v2.usb", *sealed},
      {"sealed-v2-cut.usb", sealed->substr(0, h->line.size() + (sealed->size() - h->line.size()) / 2)},
      {"v1.usb", format_usb_export(*x)},
      {"plain-v2-signed.txt", h->line + *inner},
      {"plain-v2-events.txt", h->line + events_only},
  };
  std::error_code ec;
  fs::create_directories(out, ec);
  for (const auto& [name, bytes] : files)
    if (!write_file_atomic((out / name).string(), bytes, 0644)) return die(std::string("write ") + name);
  fs::remove_all(tmpl, ec);
  std::printf("make_usb_corpus: %zu event(s), 5 files in %s\n", events, out.c_str());
  return 0;
}
