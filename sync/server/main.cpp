// shelter-server: the municipal server. Embedded default: SQLite file
// shelter-server.db, listening on 127.0.0.1:8470.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <filesystem>
#include <iostream>

#include "core/backup.hpp"
#include "core/fs_util.hpp"
#include "core/sealing.hpp"
#include "core/signing.hpp"
#include "core/usb_export.hpp"
#include "sync/daemon/city_ca.hpp"
#include "sync/discovery/discovery.hpp"
#include "sync/server/district_list.hpp"
#include "sync/server/hub_service.hpp"
#include "sync/server/server.hpp"

namespace {
shelter::sync::Server* g_server = nullptr;

// A web folder (dashboard, prereg): next to the source tree when run from a build
// folder, else where the package installs them.
std::string default_assets_dir(const char* argv0, const char* name) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::canonical(fs::path(argv0), ec);
  if (!ec)
    for (fs::path dir = exe.parent_path(); !dir.empty() && dir != dir.root_path(); dir = dir.parent_path())
      if (fs::exists(dir / "assets" / name / "index.html", ec)) return (dir / "assets" / name).string();
  return std::string("/usr/share/shelter-checkin/assets/") + name;
}
}  // namespace

namespace {

// A USB export at headquarters: a sealed file opened and checked
// (routes.hpp, open_sealed_export); a version 1 file only with --unsigned,
// and then only if its header's device is enrolled at its header's shelter.
shelter::Result<shelter::UsbExport> open_import(shelter::sync::ServerStore& st, const std::string& bytes,
                                                bool allow_unsigned) {
  auto h = shelter::read_usb_header(bytes);
  if (!h) return h.error();
  auto keys = st.keys();
  if (!keys) return keys.error();
  if (h->version == shelter::kUsbSealedVersion) return shelter::sync::open_sealed_export(st.hq_secret(), *keys, bytes);
  if (!allow_unsigned)
    return shelter::fail(
        "a version 1 file (unsigned: anyone could have made it): export it again at the kiosk with this version; a "
        "file made before the upgrade is taken with --unsigned");
  auto x = shelter::parse_usb_export(bytes);
  if (!x) return x.error();
  const bool enrolled = std::any_of(keys->begin(), keys->end(), [&](const shelter::signing::TrustedKey& k) {
    return k.kind == "device" && k.device_id == x->device_id && k.shelter_id == x->shelter_id;
  });
  if (!enrolled)
    return shelter::fail("--unsigned: device " + x->device_id + " was never enrolled at shelter " + x->shelter_id);
  std::cerr << "shelter-server: import: an unsigned version 1 file, taken as device " << x->device_id << " of shelter "
            << x->shelter_id << " (--unsigned)\n";
  return x;
}

// The public half of the server's current headquarters key (what GET
// /v1/keys gives kiosks) to a file, for a kiosk that cannot reach the server.
int write_hq_public(shelter::sync::ServerStore& st, const std::string& path) {
  auto key = st.hq_public_key();
  if (!key) {
    std::cerr << "shelter-server: hq-key: " << key.error().message << "\n";
    return 1;
  }
  if (!*key) {
    std::cerr << "shelter-server: hq-key: there is no headquarters key yet: make one with hq-key --out FILE\n";
    return 1;
  }
  if (auto s = shelter::sealing::write_hq_public_file(path, (*key)->public_key); !s) {
    std::cerr << "shelter-server: hq-key: " << s.error().message << "\n";
    return 1;
  }
  std::cout << "Public key of headquarters key " << (*key)->key_id << " written to " << path
            << ": on a kiosk that cannot reach the server, run shelterctl trust-hq-key " << path
            << " and check that it shows " << (*key)->key_id << ".\n";
  return 0;
}

// The card key a server signs card sheets with: a card key file whose key
// this server lists and has not revoked, so that every kiosk trusts it.
shelter::Result<shelter::signing::KeyPair> load_card_key(shelter::sync::ServerStore& st, const std::string& path) {
  auto key = shelter::signing::read_key_file(path);
  if (!key) return key.error();
  if (key->kind != "card") return shelter::fail(path + " is a " + key->kind + " key, not a card key");
  auto keys = st.keys();
  if (!keys) return keys.error();
  const std::string id = key->pair.key_id();
  for (const auto& k : *keys)
    if (k.kind == "card" && k.key_id == id)
      return k.revoked ? shelter::Result<shelter::signing::KeyPair>(shelter::fail("card key " + id + " is revoked"))
                       : shelter::Result<shelter::signing::KeyPair>(key->pair);
  return shelter::fail("card key " + id + " is not this server's (make one with card-key --out FILE)");
}

int make_hq_key(shelter::sync::ServerStore& st, const std::string& out, const std::string& public_out, bool force) {
  if (out.empty() && public_out.empty()) {
    std::cerr << "shelter-server: hq-key: give --out FILE (a new key), --public-out FILE (the current key's public "
                 "half), or both\n";
    return 1;
  }
  if (out.empty()) return write_hq_public(st, public_out);
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(out, ec) && !force) {
    std::cerr << "shelter-server: hq-key: " << out << " exists; give --force to replace it\n";
    return 1;
  }
  const auto pair = shelter::sealing::generate();
  if (auto s = shelter::sealing::write_hq_key_file(out, pair); !s) {
    std::cerr << "shelter-server: hq-key: " << s.error().message << "\n";
    return 1;
  }
  auto id = st.add_hq_key(pair.public_key);
  if (!id) {
    fs::remove(out, ec);
    std::cerr << "shelter-server: " << id.error().message << "\n";
    return 1;
  }
  std::cout << "Headquarters key " << *id << " written to " << out
            << "; kiosks seal USB exports and backups to it from their next sync. Give the server --hq-key " << out
            << " (hq-key in its config), and keep a copy offline: without it no sealed file opens.\n";
  return public_out.empty() ? 0 : write_hq_public(st, public_out);
}

int open_backup(const shelter::sealing::BoxKeyPair& hq, const std::string& in, const std::string& out) {
  if (hq.empty()) {
    std::cerr << "shelter-server: open-backup: give --hq-key FILE (headquarters' key)\n";
    return 1;
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(out, ec)) {
    std::cerr << "shelter-server: open-backup: " << out << " exists\n";
    return 1;
  }
  if (auto s = shelter::open_backup(in, out, hq); !s) {
    std::cerr << "shelter-server: " << s.error().message << "\n";
    return 1;
  }
  std::cout << "Opened " << in << " into " << out
            << " (plain: personal data in clear). Restore it on the tablet (shelterctl restore), then delete it.\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"shelter-server: merges shelter kiosks' check-ins"};
  std::string db = "shelter-server.db";
  shelter::sync::ServerOptions options;
  app.add_option("--db", db, "SQLite database file");
  std::string pg;
  app.add_option("--pg", pg, "PostgreSQL URL instead of SQLite, e.g. postgresql://shelter@127.0.0.1/shelter");
  app.add_option("--host", options.host, "Address to listen on");
  app.add_option("--port", options.port, "Port (0: any free port)")->check(CLI::Range(0, 65535));
  bool insecure = false;
  app.add_flag("--insecure", insecure,
               "Allow --host other than loopback: plain HTTP across a network (a lab only; the package puts "
               "nginx with TLS in front, docs/security.md)");
  std::string shelter, device, name, role;
  int hours = 168;
  auto* code_cmd = app.add_subcommand("enrol-code", "Make a one-time enrolment code for a kiosk, print it, exit");
  code_cmd->add_option("--shelter", shelter, "Shelter id")->required();
  code_cmd->add_option("--device", device, "Device id of the kiosk")->required();
  code_cmd->add_option("--hours", hours, "Valid for (default 168 = one week)");
  bool hub_code = false;
  code_cmd->add_flag("--hub", hub_code, "A code for a shelter hub (it relays its shelter's kiosks), not a kiosk");
  shelter::sync::HubSetupArgs hub;
  auto* hub_cmd = app.add_subcommand(
      "hub-setup",
      "Make this server a shelter's hub (docs/operations.md, \"Shelter hub\"); with --code, enrol it "
      "with the city; exit");
  hub_cmd->add_option("--shelter", hub.shelter_id, "The shelter whose kiosks it serves");
  hub_cmd->add_option("--device", hub.device_id, "The hub's device id at the city, e.g. tama-01-hub");
  hub_cmd->add_option("--city", hub.city, "The city server, e.g. https://shelter.city.example:8443");
  auto* hub_ca = hub_cmd->add_option("--city-ca", hub.city_ca, "The city CA file (PEM)");
  hub_cmd->add_option("--city-ca-sha256", hub.city_ca_sha256, "Or its fingerprint: fetched from the city and checked")
      ->excludes(hub_ca);
  hub_cmd->add_option("--code", hub.code, "A hub code from the city (shelter-server enrol-code --hub)");
  hub_cmd->add_flag("--insecure", hub.insecure, "Allow plain http:// to the city (a lab only)");
  std::string announce_ca;
  int announce_port = 8443;
  app.add_option("--announce-ca", announce_ca,
                 "A hub: announce it on the LAN through avahi-daemon (DNS-SD), with this CA's fingerprint: the hub's "
                 "TLS CA its kiosks pinned");
  app.add_option("--announce-port", announce_port, "A hub: the port kiosks reach it on (the TLS edge)")
      ->check(CLI::Range(1, 65535));
  int relay_interval = 5;
  app.add_option("--relay-interval", relay_interval, "A hub: seconds between relays to the city when all is well")
      ->check(CLI::Range(1, 3600));
  std::string hq_key_file;
  app.add_option("--hq-key", hq_key_file,
                 "Headquarters' secret key file (shelter-server hq-key): opens USB exports (import, POST /v1/import) "
                 "and backups (open-backup)");
  std::string card_key_file;
  app.add_option("--card-key", card_key_file,
                 "The city's card key file (shelter-server card-key --out): signs the household card sheets the "
                 "dashboard prints (POST /v1/card-sheets); without it they are printed unsigned");
  std::string list_key_file;
  app.add_option("--list-key", list_key_file,
                 "Key file sealing the neighbourhood list (POST /v1/district-list); made when missing. Default with "
                 "SQLite: <db>.list-key; with --pg the list routes need it");
  std::string import_file;
  bool import_unsigned = false;
  auto* import_cmd = app.add_subcommand(
      "import", "Merge a sealed USB export file (shelterctl export-unsynced, the kiosk's USB button) and exit");
  import_cmd->add_option("file", import_file, "The file")->required();
  import_cmd->add_flag("--unsigned", import_unsigned,
                       "Also take a version 1 (unsigned) file made before the upgrade: its header is trusted");
  std::string hq_key_out, hq_public_out;
  bool hq_key_force = false;
  auto* hq_key_cmd = app.add_subcommand(
      "hq-key",
      "Make headquarters' box key: the secret to a file (--hq-key of this server), the public key to every kiosk, "
      "which seals USB exports and backups to it; or write the current key's public file (--public-out); exit");
  hq_key_cmd->add_option("--out", hq_key_out, "Secret key file of a new key to write (mode 0600)");
  hq_key_cmd->add_option("--public-out", hq_public_out,
                         "Public key file to write, of the new key or, without --out, of the current one: for "
                         "shelterctl trust-hq-key on a kiosk that cannot reach the server");
  hq_key_cmd->add_flag("--force", hq_key_force, "Replace an existing file (keep the old one: it opens older files)");
  std::string backup_in, backup_out;
  auto* open_backup_cmd = app.add_subcommand(
      "open-backup", "Open a kiosk's sealed backup with headquarters' key into a plain database file, exit");
  open_backup_cmd->add_option("file", backup_in, "The backup (.backup)")->required();
  open_backup_cmd->add_option("--out", backup_out, "Plain SQLite file to write (mode 0600), for shelterctl restore")
      ->required();
  auto* user_cmd = app.add_subcommand("add-user", "Make a headquarters account, print its API token, exit");
  user_cmd->add_option("--name", name, "Who")->required();
  user_cmd
      ->add_option("--role", role, "counts, search (安否 search of consenting persons) or roster (also full exports)")
      ->required();
  bool password_stdin = false;
  user_cmd->add_flag("--password-stdin", password_stdin,
                     "Read a dashboard sign-in password (10+ characters) from stdin");
  std::string revoke_device, revoke_user, revoke_key;
  auto* revoke_cmd =
      app.add_subcommand("revoke", "Shut out a lost kiosk, a departed headquarters user or a signing key, exit");
  auto* rd =
      revoke_cmd->add_option("--device", revoke_device, "Device id: its token, unused codes and pass-signing key");
  auto* ru =
      revoke_cmd->add_option("--user", revoke_user, "Account name: its API token, sessions and password")->excludes(rd);
  revoke_cmd->add_option("--key", revoke_key, "Key id (16 hex digits): a card key or a device's key")
      ->excludes(rd)
      ->excludes(ru);
  std::string card_key_out;
  bool card_key_force = false;
  auto* card_key_cmd = app.add_subcommand(
      "card-key",
      "Make the city's card-signing key: the secret to a file (for the office that prints cards), the "
      "public key to every kiosk; exit");
  card_key_cmd->add_option("--out", card_key_out, "Secret key file to write (mode 0600), for shelterctl make-card")
      ->required();
  card_key_cmd->add_flag("--force", card_key_force, "Replace an existing file (its key stays trusted until revoked)");
  std::string shelter_name;
  int capacity = 0;
  auto* shelter_cmd =
      app.add_subcommand("set-shelter", "Name a shelter and set its capacity (for the dashboard), exit");
  shelter_cmd->add_option("--shelter", shelter, "Shelter id")->required();
  shelter_cmd->add_option("--name", shelter_name, "Display name, e.g. 多摩第一小学校")->required();
  shelter_cmd->add_option("--capacity", capacity, "How many persons it can take")->required();
  options.dashboard_dir = default_assets_dir(argv[0], "dashboard");
  app.add_option("--dashboard", options.dashboard_dir, "Folder of the headquarters dashboard (served at /)");
  options.prereg_dir = default_assets_dir(argv[0], "prereg");
  app.add_option("--prereg", options.prereg_dir, "Folder of the residents' pre-registration page (served at /prereg/)");
  app.add_option("--prereg-vendor", options.prereg_vendor_dir,
                 "Folder holding qrcode.js of Debian's node-qrcode-generator (served at /prereg/vendor/)");
  // The options above may also come from a TOML file (config/server.example.toml).
  app.set_config("--config", "", "TOML file with these options (command-line values win)");
  app.allow_config_extras(CLI::config_extras_mode::error);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  shelter::sealing::BoxKeyPair hq_secret;
  if (!hq_key_file.empty() && !*hq_key_cmd) {
    auto k = shelter::sealing::read_hq_key_file(hq_key_file);
    if (!k) {
      std::cerr << "shelter-server: " << k.error().message << "\n";
      return 1;
    }
    hq_secret = std::move(*k);
  }
  if (*open_backup_cmd) return open_backup(hq_secret, backup_in, backup_out);
  auto store = pg.empty() ? shelter::sync::open_sqlite_server_store(db) : shelter::sync::open_pg_server_store(pg);
  if (!store) {
    std::cerr << "shelter-server: " << store.error().message << "\n";
    return 1;
  }
  (*store)->set_hq_secret(hq_secret);
  if (!list_key_file.empty()) {
    auto k = shelter::sync::load_or_make_list_key(list_key_file);
    if (!k) {
      std::cerr << "shelter-server: --list-key: " << k.error().message << "\n";
      return 1;
    }
    (*store)->set_list_key(std::move(*k));
  }
  if (!card_key_file.empty() && !*card_key_cmd) {
    auto k = load_card_key(**store, card_key_file);
    if (!k) {
      std::cerr << "shelter-server: --card-key: " << k.error().message << "\n";
      return 1;
    }
    (*store)->set_card_key(std::move(*k));
  }
  if (*hq_key_cmd) return make_hq_key(**store, hq_key_out, hq_public_out, hq_key_force);
  if (*import_cmd) {
    auto bytes = shelter::read_file_bytes(import_file, 2ull << 30);
    if (!bytes) {
      std::cerr << "shelter-server: import: " << bytes.error().message << "\n";
      return 1;
    }
    auto x = open_import(**store, *bytes, import_unsigned);
    if (!x) {
      std::cerr << "shelter-server: import " << import_file << ": " << x.error().message << "\n";
      return 1;
    }
    auto r = shelter::sync::import_usb_at_server(**store, *x, shelter::system_millis());
    if (!r) {
      std::cerr << "shelter-server: import " << import_file << ": " << r.error().message << "\n";
      return 1;
    }
    const int added = r->new_events;
    const int refused = static_cast<int>(r->refused.size());
    for (const auto& f : r->refused)
      std::cerr << "shelter-server: import " << import_file << ": refused " << f.id << ": " << f.reason << "\n";
    std::cout << "Imported " << added << " new of " << x->events.size() << " event(s) from device " << x->device_id
              << (refused ? ", refused " + std::to_string(refused) : std::string()) << "\n";
    return refused ? 3 : 0;
  }
  if (*card_key_cmd) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::exists(card_key_out, ec) && !card_key_force) {
      std::cerr << "shelter-server: card-key: " << card_key_out << " exists; give --force to replace it\n";
      return 1;
    }
    const auto pair = shelter::signing::generate();
    if (auto st = shelter::signing::write_key_file(card_key_out, pair, "card"); !st) {
      std::cerr << "shelter-server: card-key: " << st.error().message << "\n";
      return 1;
    }
    auto id = (*store)->add_card_key(pair.public_key);
    if (!id) {
      fs::remove(card_key_out, ec);
      std::cerr << "shelter-server: " << id.error().message << "\n";
      return 1;
    }
    std::cout << "Card key " << *id << " written to " << card_key_out
              << "; kiosks trust it from their next sync. Keep the file offline, with the office that prints cards.\n";
    return 0;
  }
  if (*revoke_cmd && !revoke_key.empty()) {
    auto n = (*store)->revoke_key(revoke_key);
    if (!n) {
      std::cerr << "shelter-server: " << n.error().message << "\n";
      return 1;
    }
    std::cout << "Revoked key " << revoke_key << "\n";
    return 0;
  }
  if (*revoke_cmd) {
    auto n = (*store)->revoke(revoke_device, revoke_user);
    if (!n) {
      std::cerr << "shelter-server: " << n.error().message << "\n";
      return 1;
    }
    std::cout << "Revoked " << *n << " credential(s) of "
              << (revoke_device.empty() ? "user " + revoke_user : "device " + revoke_device) << "\n";
    return 0;
  }
  if (*shelter_cmd) {
    if (auto st = (*store)->set_shelter(shelter, shelter_name, capacity); !st) {
      std::cerr << "shelter-server: set-shelter: " << st.error().message << "\n";
      return 1;
    }
    return 0;
  }
  if (*hub_cmd) return shelter::sync::hub_setup(**store, db, hub);
  auto hub_settings = pg.empty() ? shelter::sync::load_hub_settings(**store)
                                 : shelter::Result<std::optional<shelter::sync::HubSettings>>(std::nullopt);
  if (!hub_settings) {
    std::cerr << "shelter-server: " << hub_settings.error().message << "\n";
    return 1;
  }
  // A hub enrols kiosks of its own shelter only, and no hubs.
  if (*code_cmd && *hub_settings && (hub_code || shelter != (*hub_settings)->shelter_id)) {
    std::cerr << "shelter-server: enrol-code: this server is the hub of shelter " << (*hub_settings)->shelter_id
              << ": it enrols that shelter's kiosks only\n";
    return 1;
  }
  if (*code_cmd || *user_cmd) {
    std::string password;
    if (password_stdin && !std::getline(std::cin, password)) {
      std::cerr << "shelter-server: add-user: no password on stdin\n";
      return 1;
    }
    auto secret = *code_cmd ? (*store)->create_enrolment(shelter, device, hours, hub_code ? "hub" : "")
                            : (*store)->add_user(name, role, password);
    if (!secret) {
      std::cerr << "shelter-server: " << secret.error().message << "\n";
      return 1;
    }
    std::cout << *secret << "\n";
    return 0;
  }
  if (!insecure && !shelter::sync::is_loopback_host(options.host)) {
    std::cerr << "shelter-server: --host " << options.host
              << ": plain HTTP across a network would show tokens, passwords and evacuees' records to anyone on it. "
                 "Listen on 127.0.0.1 behind the packaged nginx edge (TLS, limits: docs/operations.md), or give "
                 "--insecure in a lab\n";
    return 2;
  }
  std::unique_ptr<shelter::sync::HubRelayLoop> relay;
  if (*hub_settings) relay = std::make_unique<shelter::sync::HubRelayLoop>(**store, **hub_settings, relay_interval);
  std::unique_ptr<shelter::sync::HubPublisher> announcer;
  if (*hub_settings && !announce_ca.empty()) {
    auto pem = shelter::read_file_bytes(announce_ca, 1u << 20);
    auto fp = pem ? shelter::sync::certificate_fingerprint(*pem) : shelter::Result<std::string>(pem.error());
    auto started = fp ? shelter::sync::HubPublisher::start(
                            {(*hub_settings)->shelter_id, (*hub_settings)->device_id, announce_port, *fp})
                      : shelter::Result<std::unique_ptr<shelter::sync::HubPublisher>>(fp.error());
    if (!started) {
      std::cerr << "shelter-server: --announce-ca: " << started.error().message << "\n";
      return 1;
    }
    announcer = std::move(*started);
    std::cerr << "shelter-server: hub of " << (*hub_settings)->shelter_id << ": " << announcer->state() << "\n";
  }
  shelter::sync::Server server(**store, options);
  g_server = &server;
  std::signal(SIGTERM, [](int) {
    if (g_server) g_server->stop();
  });
  std::signal(SIGINT, [](int) {
    if (g_server) g_server->stop();
  });
  if (auto st = server.run(); !st) {
    std::cerr << "shelter-server: " << st.error().message << "\n";
    return 1;
  }
  return 0;
}
