// shelterctl's admin commands: init, backup, restore, enrol, check, rebuild,
// export-unsynced, trust-hq-key, import, demo.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "core/backup.hpp"
#include "core/fs_util.hpp"
#include "core/pin.hpp"
#include "core/sealing.hpp"
#include "core/usb_export.hpp"
#include "core/volunteers.hpp"
#include "kiosk/app/config.hpp"
#include "kiosk/cli/cli.hpp"
#include "sync/daemon/city_ca.hpp"
#include "sync/daemon/syncer.hpp"

namespace fs = std::filesystem;

namespace shelter::cli {

int cmd_init(const Common& c, const std::string& shelter, const std::string& device, const std::string& name) {
  // Checked before the file is created, so a typo leaves no empty database.
  if (!is_valid_slug(shelter)) return report(fail("init: shelter id '" + shelter + "' must be 1-32 of a-z 0-9 - _"));
  if (!is_valid_slug(device)) return report(fail("init: device id '" + device + "' must be 1-32 of a-z 0-9 - _"));
  auto store = open_store(c.db, false);
  if (!store) return report(store.error().context("init"));
  if (auto st = (*store)->init_identity(shelter, device, name); !st) return report(st.error().context("init"));
  std::cout << "Initialised " << c.db << " for device " << device << " at shelter " << shelter << "\n";
  return 0;
}

namespace {

int cmd_backup(const Common& c, const std::string& dir, int keep) {
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("backup"));
  bool hq = false;
  auto path = rolling_backup(**store, dir, keep, &hq);
  if (!path) return report(path.error());
  std::cout << "Backed up to " << *path << " (sealed to this tablet's key"
            << (hq ? " and headquarters'" : "; no headquarters key yet: only this tablet can restore it") << ")\n";
  return 0;
}

}  // namespace

void adopt_folder_owner(const std::string& path) {
  if (::geteuid() != 0) return;
  const auto dir = std::filesystem::absolute(path).parent_path();
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return;
  for (const std::string& p : {path, path + "-wal", path + "-shm", path + ".secret", path + ".secret.lock"})
    if (::chown(p.c_str(), st.st_uid, st.st_gid) != 0 && errno != ENOENT)
      std::cerr << "shelterctl: warning: cannot give " << p << " to its folder's owner\n";
}

namespace {

int cmd_restore(const Common& c, const std::string& backup, bool force) {
  if (auto st = restore_backup(backup, c.db, force); !st) return report(st.error());
  adopt_folder_owner(c.db);
  std::cout << "Restored " << c.db << " from " << backup << "\n";
  return 0;
}

// Sets `key = "value"` in a TOML text: replaces the key's line if it is
// there (not commented out), else appends one.
std::string set_toml_string(const std::string& text, const std::string& key, const std::string& value) {
  const std::string line = key + " = " + nlohmann::json(value).dump();  // a JSON string is a TOML basic string
  std::string out;
  bool done = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string l = text.substr(pos, end - pos);
    const size_t first = l.find_first_not_of(" \t");
    if (!done && first != std::string::npos && l.compare(first, key.size(), key) == 0) {
      const size_t eq = l.find_first_not_of(" \t", first + key.size());
      if (eq != std::string::npos && l[eq] == '=') {
        l = line;
        done = true;
      }
    }
    out += l + "\n";
    pos = end + 1;
  }
  if (!done) out += line + "\n";
  return out;
}

// Updates a TOML config file atomically; `validate` must accept the result
// or the file is left as it was.
Status update_config(const std::string& path, const std::vector<std::pair<std::string, std::string>>& values,
                     const std::function<Status(const std::string&)>& validate) {
  std::string text;
  struct stat owner {};
  const bool existed = ::stat(path.c_str(), &owner) == 0;
  if (existed) {
    auto old = read_file_bytes(path, 1u << 20);
    if (!old) return old.error();
    text = *old;
  }
  const std::string before = text;
  for (const auto& [k, v] : values) text = set_toml_string(text, k, v);
  if (auto st = write_file_atomic(path, text, existed ? (owner.st_mode & 07777) : 0640); !st) return st;
  // The new file keeps the old one's owner (root:shelter-kiosk 0640 from the package).
  if (existed && ::geteuid() == 0 && ::chown(path.c_str(), owner.st_uid, owner.st_gid) != 0)
    return fail("give " + path + " back to its owner: " + std::strerror(errno));
  if (auto st = validate(path); !st) {
    if (before.empty())
      std::filesystem::remove(path);
    else
      (void)write_file_atomic(path, before, 0640);
    return st.error().context(path + " would not be valid, left as it was");
  }
  return {};
}

// Enrols this kiosk with the municipal server in one step: device identity,
// one-time code, the first lead (name and PIN: core/volunteers.hpp), and
// both config files.
int cmd_enrol(const Common& c, const std::string& shelter, const std::string& device, const std::string& name,
              const std::string& server, const std::string& code, const std::string& lead,
              const std::string& kiosk_config, const std::string& sync_config, bool insecure, const std::string& ca,
              const std::string& ca_sha256, bool hub) {
  const std::string ctx = hub ? "enrol with the hub" : "enrol";
  if (auto st = sync::check_server_url(server, insecure); !st) return report(st.error().context(ctx + ": --server"));
  // The city CA: given as a file, or fetched and checked against its pinned
  // fingerprint; kept beside the database for the daemon (ca-file).
  std::string ca_pem;
  if (!ca.empty()) {
    auto pem = read_file_bytes(ca, 1u << 20);
    if (!pem) return report(pem.error().context(ctx + ": --ca"));
    if (auto fp = sync::certificate_fingerprint(*pem); !fp) return report(fp.error().context(ctx + ": --ca " + ca));
    ca_pem = std::move(*pem);
  } else if (!ca_sha256.empty()) {
    auto pem = sync::fetch_city_ca(server, ca_sha256, 20);
    if (!pem) return report(pem.error().context(ctx + ": --ca-sha256"));
    ca_pem = std::move(*pem);
  }
  const std::string ca_file =
      ca_pem.empty() ? std::string()
                     : (std::filesystem::absolute(c.db).parent_path() / (hub ? "hub-ca.pem" : "city-ca.pem"))
                           .lexically_normal()
                           .string();
  if (auto st = check_volunteer_name(lead); !st) return report(st.error().context(ctx + ": --lead"));
  auto pin = read_pin_stdin("PIN of " + lead);
  if (!pin) return report(pin.error().context(ctx));
  Store::Options create;
  auto store = Store::open(c.db, create);
  if (!store) return report(store.error().context(ctx));
  if (auto st = (*store)->init_identity(shelter, device, name); !st) return report(st.error().context(ctx));
  // A tablet enrolled again keeps its team; the lead named here gets this
  // PIN, and their key goes to the server with the code, which vouches for it.
  // The same lead with the same PIN keeps their key: what they signed
  // before enrolment still verifies.
  auto known = find_volunteer(**store, lead);
  if (!known) return report(known.error().context(ctx));
  const bool same = *known && (*known)->role == VolunteerRole::Lead && !(*known)->public_key.empty() &&
                    pin_matches((*known)->pin_hash, *pin);
  if (!same)
    if (auto st = add_volunteer(**store, lead, *pin, VolunteerRole::Lead, "shelterctl enrol", true); !st)
      return report(st.error().context(ctx));
  auto lead_row = find_volunteer(**store, lead);
  if (!lead_row || !*lead_row) return report(fail(ctx + ": the lead was not stored"));
  auto lead_key = signing::from_hex((*lead_row)->public_key, signing::kPublicKeyBytes);
  if (!lead_key) return report(lead_key.error().context(ctx + ": lead key"));
  if (!ca_file.empty())
    if (auto st = write_file_atomic(ca_file, ca_pem, 0644); !st) return report(st.error().context(ctx + ": city CA"));
  sync::SyncOptions options;
  options.server = server;
  options.ca_file = ca_file;
  options.hub = hub;
  {
    sync::Syncer syncer(**store, options);
    if (auto st = syncer.enrol(code, {lead, *lead_key}); !st) return report(st.error().context(ctx));
  }
  const std::string db = std::filesystem::absolute(c.db).string();
  store->reset();  // closed, so that the files can change hands
  adopt_folder_owner(db);
  if (!kiosk_config.empty())
    if (auto st = update_config(kiosk_config,
                                {{"db", db}, {"shelter_id", shelter}, {"device_id", device}, {"shelter_name", name}},
                                [](const std::string& p) -> Status {
                                  auto cfg = kiosk::load_config(p);
                                  if (!cfg) return cfg.error();
                                  return {};
                                });
        !st)
      return report(st.error().context(ctx));
  std::vector<std::pair<std::string, std::string>> sync_keys{{"db", db}, {hub ? "hub" : "server", server}};
  if (insecure) sync_keys.emplace_back("insecure", "true");
  if (!ca_file.empty()) sync_keys.emplace_back(hub ? "hub-ca-file" : "ca-file", ca_file);
  if (!sync_config.empty())
    if (auto st = update_config(sync_config, sync_keys, [](const std::string&) -> Status { return {}; }); !st)
      return report(st.error().context(ctx));
  std::cout << "Enrolled " << device << " at shelter " << shelter << " with " << server << "; lead " << lead
            << " may sign in to staff mode\n";
  return 0;
}

int cmd_check(const Common& c) {
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("check"));
  auto ok = (*store)->integrity_check();
  if (!ok) return report(ok.error().context("check"));
  std::cout << "integrity: " << *ok << "\n";
  auto events = (*store)->event_count();
  if (!events) return report(events.error().context("check"));
  std::cout << "events: " << *events << "\n";
  return *ok == "ok" ? 0 : kExitFail;
}

int cmd_rebuild(const Common& c) {
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("rebuild"));
  if (auto st = (*store)->rebuild_projections(); !st) return report(st.error());
  std::cout << "Projections rebuilt from " << *(*store)->event_count() << " event(s)\n";
  return 0;
}

int cmd_export_unsynced(const Common& c, const std::string& path, bool all) {
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("export-unsynced"));
  size_t events = 0;
  auto file = make_sealed_export(**store, all, events);
  if (!file) return report(file.error().context("export-unsynced"));
  if (auto st = write_file_atomic(path, *file, 0600); !st) return report(st.error().context("export-unsynced"));
  std::cout << "Wrote " << events << " event(s) to " << path
            << " (signed by this kiosk, sealed to headquarters: only headquarters opens it)\n";
  return 0;
}

// Headquarters' public key from a file (shelter-server hq-key --public-out),
// for a kiosk that cannot reach the server: it becomes the key exports and
// backups are sealed to, as if a sync had brought it, in place of any other
// current one; the next sync replaces the list with the server's. A key
// that list showed revoked was replaced at headquarters: a stale file.
int cmd_trust_hq_key(const Common& c, const std::string& path) {
  auto key = sealing::read_hq_public_file(path);
  if (!key) return report(key.error().context("trust-hq-key"));
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("trust-hq-key"));
  auto keys = (*store)->trusted_keys();
  if (!keys) return report(keys.error().context("trust-hq-key"));
  const std::string id = key->key_id();
  std::vector<signing::TrustedKey> kept;
  std::string replaced;
  bool known = false;
  for (auto& k : *keys) {
    if (k.kind == "hq" && k.key_id == id && k.revoked)
      return report(fail("trust-hq-key: headquarters key " + id +
                         " was replaced (revoked in the server's list at this kiosk's last sync): ask headquarters "
                         "for the current public file (shelter-server hq-key --public-out)"));
    if (k.kind == "hq" && k.key_id == id) known = true;
    if (k.kind == "hq" && k.key_id != id && !k.revoked)
      replaced = k.key_id;
    else
      kept.push_back(std::move(k));
  }
  if (known && replaced.empty()) {
    std::cout << "Headquarters key " << id << " is already this kiosk's; nothing changed\n";
    return 0;
  }
  if (!known) kept.push_back({"hq", id, "", "", key->public_key, false});
  if (auto st = (*store)->set_trusted_keys(kept); !st) return report(st.error().context("trust-hq-key"));
  std::cout << "Headquarters key " << id << " is now this kiosk's"
            << (replaced.empty() ? std::string() : " (in place of " + replaced + ")")
            << ": USB exports and backups are sealed to it. Check that headquarters' shelter-server hq-key showed "
            << id << ".\n";
  return 0;
}

int cmd_import(const Common& c, const std::string& path, bool allow_unsigned) {
  auto bytes = read_file_bytes(path, 2ull << 30);
  if (!bytes) return report(bytes.error().context("import"));
  auto header = read_usb_header(*bytes);
  if (!header) return report(header.error().context("import " + path));
  if (header->version == kUsbSealedVersion) {
    // Sealed to headquarters: this kiosk cannot read it; its daemon relays it.
    auto store = open_store(c.db);
    if (!store) return report(store.error().context("import"));
    auto queued = queue_for_relay(**store, *bytes);
    if (!queued) return report(queued.error().context("import " + path));
    adopt_folder_owner(relay_dir(c.db));
    adopt_folder_owner(*queued);
    std::cout << "Queued " << header->events << " event(s) of device " << header->device_id
              << " for the server: the sync daemon relays the sealed file, and the events come back with its next "
                 "pull\n";
    return 0;
  }
  if (!allow_unsigned)
    return report(fail("import " + path +
                       ": a version 1 file (unsigned): export it again at its kiosk with this version; a file made "
                       "before the upgrade is taken with --unsigned"));
  auto x = parse_usb_export(*bytes);
  if (!x) return report(x.error().context("import " + path));
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("import"));
  auto added = import_usb_export(**store, *x);
  if (!added) return report(added.error().context("import " + path));
  std::cout << "Imported " << *added << " new of " << x->events.size() << " event(s) from device " << x->device_id
            << "\n";
  return 0;
}

// The demo: what a shelter's first hour looks like, end to end, in a folder.
int cmd_demo(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return report(fail("demo: create " + dir + ": " + ec.message()));
  const std::string db = (fs::path(dir) / "shelter.db").string();
  fs::remove(db, ec);
  fs::remove(db + "-wal", ec);
  fs::remove(db + "-shm", ec);
  const std::string residents = (fs::path(dir) / "residents.csv").string();
  const std::string csv_text =
      "household,name,reading,sex,birth,needs,needs_other,consent,address,phone\r\n"
      "1,髙橋 一郎,タカハシ イチロウ,M,1948-05-12,care,,1,東京都多摩市落合1-2-3,042-000-0000\r\n"
      "1,髙橋 和子,タカハシ カズコ,F,1951-09-30,medical_device,在宅酸素,1,,\r\n"
      "1,髙橋 𠮷男,タカハシ ヨシオ,M,2021-01-20,infant,,0,,\r\n"
      "1,﨑山 邉子,サキヤマ ヘンコ,F,1990-03-03,pregnant,,1,,\r\n";
  if (auto st = write_file_atomic(residents, csv_text, 0600); !st) return report(st.error().context("demo"));
  Common c;
  c.db = db;
  std::cout << "== 1. A neighbourhood group prints household cards from a residents list\n";
  if (int rc = cmd_make_card(residents, (fs::path(dir) / "cards").string(), "both")) return rc;
  std::cout << "\n== 2. The shelter's kiosk store is initialised\n";
  if (int rc = cmd_init(c, "tama-01", "tama-01-a", "多摩第一小学校")) return rc;
  const std::string card_png = (fs::path(dir) / "cards" / "household-1.png").string();
  std::cout << "\n== 3. The card is read from its image\n";
  if (int rc = cmd_decode(c, card_png)) return rc;
  std::cout << "\n== 4. The household checks in with one scan\n";
  if (int rc = cmd_import_card(c, card_png, "shelter", {})) return rc;
  std::cout << "\n== 5. A walk-in without a card registers\n";
  PersonArgs walk_in;
  walk_in.name = "Nguyen Van An";
  walk_in.reading = "グエン ヴァン アン";
  walk_in.sex = "M";
  walk_in.birth = "1995";
  walk_in.needs = "language";
  walk_in.stay = "car";
  walk_in.consent = true;
  if (int rc = cmd_checkin(c, walk_in, "")) return rc;
  std::cout << "\n== 6. Counts for headquarters\n";
  if (int rc = cmd_counts(c, "", false, false)) return rc;
  std::cout << "\nThe demo's files are in " << dir << "\n";
  return 0;
}

}  // namespace

void add_init(CLI::App& app, Common& c, Commands& cmds) {
  struct Args {
    std::string shelter, device, name;
  };
  auto a = std::make_shared<Args>();
  auto* init = app.add_subcommand("init", "Create the database and set this device's shelter and id");
  init->add_option("--shelter", a->shelter, "Shelter id, e.g. tama-01")->required();
  init->add_option("--device", a->device, "Device id, e.g. tama-01-a")->required();
  init->add_option("--name", a->name, "Shelter display name");
  cmds.add(init, [&c, a] { return cmd_init(c, a->shelter, a->device, a->name); });
}

void add_backup(CLI::App& app, Common& c, Commands& cmds) {
  struct Args {
    std::string dir;
    int keep = 48;
  };
  auto a = std::make_shared<Args>();
  auto* backup = app.add_subcommand("backup", "Write an online backup of the database to a folder (rolling)");
  backup->add_option("dir", a->dir, "Folder, e.g. on a second disk or USB stick")->required();
  backup->add_option("--keep", a->keep, "Backups of this device kept (the oldest go)")->check(CLI::Range(1, 10000));
  cmds.add(backup, [&c, a] { return cmd_backup(c, a->dir, a->keep); });
}

void add_restore(CLI::App& app, Common& c, Commands& cmds) {
  struct Args {
    std::string file;
    bool force = false;
  };
  auto a = std::make_shared<Args>();
  auto* restore = app.add_subcommand("restore", "Put a backup in place of the database (--db)");
  restore->add_option("backup", a->file, "A backup file from `backup` or shelter-sync --backup-dir")->required();
  restore->add_flag("--force", a->force, "Replace an existing database (stop the kiosk and daemon first)");
  cmds.add(restore, [&c, a] { return cmd_restore(c, a->file, a->force); });
}

void add_enrol(CLI::App& app, Common& c, Commands& cmds) {
  struct Args {
    std::string shelter, device, name, server, code, lead, kiosk_config, sync_config, ca, ca_sha256;
    bool insecure = false, hub = false;
  };
  auto a = std::make_shared<Args>();
  auto* enrol = app.add_subcommand(
      "enrol", "Enrol this kiosk with the server: identity, one-time code, first lead (PIN on stdin), configs");
  enrol->add_option("--shelter", a->shelter, "Shelter id, e.g. tama-01")->required();
  enrol->add_option("--device", a->device, "Device id, e.g. tama-01-a")->required();
  enrol->add_option("--name", a->name, "Shelter display name");
  enrol->add_option("--server", a->server, "Server address, e.g. https://shelter.city.example:8443")->required();
  enrol->add_option("--code", a->code, "One-time code from `shelter-server enrol-code`")->required();
  enrol->add_option("--lead", a->lead, "Name of the shelter lead who signs in to staff mode first")->required();
  enrol->add_option("--kiosk-config", a->kiosk_config, "Kiosk TOML to update (db, ids, shelter name)");
  enrol->add_option("--sync-config", a->sync_config, "Sync daemon TOML to update (db, server)");
  enrol->add_flag("--hub", a->hub,
                  "--server is the shelter's hub (shelter-server hub-setup), --code one of its codes: the daemon "
                  "syncs with the hub first and the city directly only when the hub does not answer");
  enrol->add_flag("--insecure", a->insecure,
                  "Allow plain http:// to another machine (a network you trust); the sync config says so too");
  auto* ca = enrol->add_option("--ca", a->ca, "The city CA file (PEM) the server's certificate must chain to");
  enrol
      ->add_option("--ca-sha256", a->ca_sha256,
                   "Or its fingerprint (`shelter-tls fingerprint` on the server): the CA is fetched and checked")
      ->excludes(ca);
  cmds.add(enrol, [&c, a] {
    return cmd_enrol(c, a->shelter, a->device, a->name, a->server, a->code, a->lead, a->kiosk_config, a->sync_config,
                     a->insecure, a->ca, a->ca_sha256, a->hub);
  });
}

void add_check(CLI::App& app, Common& c, Commands& cmds) {
  auto* check = app.add_subcommand("check", "Check the database file's integrity");
  cmds.add(check, [&c] { return cmd_check(c); });
}

void add_rebuild(CLI::App& app, Common& c, Commands& cmds) {
  auto* rebuild = app.add_subcommand("rebuild", "Recompute every projection from the event log");
  cmds.add(rebuild, [&c] { return cmd_rebuild(c); });
}

void add_export_unsynced(CLI::App& app, Common& c, Commands& cmds) {
  struct Args {
    std::string file;
    bool all = false;
  };
  auto a = std::make_shared<Args>();
  auto* export_unsynced = app.add_subcommand(
      "export-unsynced",
      "Write what the city has not acknowledged from this kiosk (its own events, and those it relays from a file or "
      "its hub) to a file (USB stick)");
  export_unsynced->add_option("file", a->file, "Output file")->required();
  export_unsynced->add_flag("--all", a->all, "Every event in the log, not only unsynced ones");
  cmds.add(export_unsynced, [&c, a] { return cmd_export_unsynced(c, a->file, a->all); });
  // The key it seals to, from a file when no sync can bring it.
  auto file = std::make_shared<std::string>();
  auto* trust = app.add_subcommand(
      "trust-hq-key", "Take headquarters' public key from a file, for a kiosk that cannot reach the server");
  trust->add_option("file", *file, "The public key file of shelter-server hq-key --public-out")->required();
  cmds.add(trust, [&c, file] { return cmd_trust_hq_key(c, *file); });
}

void add_import(CLI::App& app, Common& c, Commands& cmds) {
  auto file = std::make_shared<std::string>();
  auto* import_cmd = app.add_subcommand("import", "Merge an export file into this database (server or kiosk)");
  import_cmd->add_option("file", *file, "File from export-unsynced")->required();
  auto allow_unsigned = std::make_shared<bool>(false);
  import_cmd->add_flag("--unsigned", *allow_unsigned,
                       "Apply a version 1 (unsigned) file made before the upgrade here; sealed files are queued for "
                       "the sync daemon to relay");
  cmds.add(import_cmd, [&c, file, allow_unsigned] { return cmd_import(c, *file, *allow_unsigned); });
}

void add_demo(CLI::App& app, Common&, Commands& cmds) {
  auto dir = std::make_shared<std::string>("shelter-demo");
  auto* demo = app.add_subcommand("demo", "Run a short end-to-end demo in a folder");
  demo->add_option("--dir", *dir, "Folder for the demo's files (default: shelter-demo)");
  cmds.add(demo, [dir] { return cmd_demo(*dir); });
}

}  // namespace shelter::cli
