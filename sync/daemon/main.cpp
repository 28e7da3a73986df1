// shelter-sync: runs beside each kiosk. Syncs now, then every --interval
// seconds; after a failure it waits with exponential back-off and jitter
// (1 s doubling to --max-backoff), so a link that is down for days costs
// nothing and a link that comes back is used within a minute.
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <random>
#include <thread>

#include "core/backup.hpp"
#include "core/fs_util.hpp"
#include "sync/daemon/city_ca.hpp"
#include "sync/daemon/syncer.hpp"
#include "sync/discovery/discovery.hpp"

namespace {
std::atomic<bool> g_stop{false};
}

int main(int argc, char** argv) {
  CLI::App app{"shelter-sync: sends this kiosk's check-ins to the municipal server and fetches its shelter's"};
  std::string db = "shelter-kiosk.db";
  shelter::sync::SyncOptions options;
  bool once = false;
  int interval = 15, max_backoff = 60;
  app.add_option("--db", db, "The kiosk's SQLite database");
  app.add_option("--server", options.server, "Server URL, e.g. https://shelter.city.example:8443");
  bool insecure = false;
  app.add_flag("--insecure", insecure, "Allow plain http:// to another machine (a network you trust)");
  app.add_option("--ca-file", options.ca_file,
                 "The city CA (PEM) the server's certificate must chain to (shelterctl enrol writes it)");
  std::string hub_url, hub_ca_file;
  app.add_option("--hub", hub_url,
                 "The shelter's hub, e.g. https://192.168.1.10:8443, or auto (found on the LAN through avahi-daemon, "
                 "trusted through --hub-ca-file): synced with first; the city directly only while the hub does not "
                 "answer (shelterctl enrol --hub sets it)");
  app.add_option("--hub-ca-file", hub_ca_file, "The hub's CA (PEM), pinned at enrolment with the hub");
  app.add_option("--batch", options.batch, "Events per request")->check(CLI::Range(1, 2000));
  app.add_option("--interval", interval, "Seconds between rounds when all is well")->check(CLI::Range(1, 3600));
  app.add_option("--max-backoff", max_backoff, "Longest wait after failures, seconds")->check(CLI::Range(1, 3600));
  app.add_option("--timeout", options.timeout_seconds, "Seconds to wait on a slow or silent server before giving up")
      ->check(CLI::Range(1, 600));
  app.add_flag("--once", once, "One round, then exit (0: in sync, 1: failed)");
  std::string code;
  app.add_option("--enrol", code, "Enrol this kiosk with a one-time code from the server's administrator, then exit");
  std::string backup_dir;
  int backup_every = 10, backup_keep = 48;
  app.add_option("--backup-dir", backup_dir, "Second location for rolling online backups of the kiosk's database");
  app.add_option("--backup-every", backup_every, "Minutes between backups")->check(CLI::Range(1, 24 * 60));
  app.add_option("--backup-keep", backup_keep, "Backups kept (the oldest go)")->check(CLI::Range(1, 10000));
  // Every option above may also come from a TOML file (config/sync.example.toml);
  // an unknown key there is an error that names it.
  app.set_config("--config", "", "TOML file with these options (command-line values win)");
  app.allow_config_extras(CLI::config_extras_mode::error);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (auto st = shelter::sync::check_server_url(options.server, insecure); !st) {
    std::cerr << "shelter-sync: " << st.error().message << "\n";
    return 1;
  }
  // A hub found on the network is trusted only through its CA pinned at
  // enrolment: anyone on the shelter's Wi-Fi can announce one.
  std::string hub_ca_sha256;
  if (hub_url == "auto") {
    auto pem = shelter::read_file_bytes(hub_ca_file, 1u << 20);
    auto fp = pem ? shelter::sync::certificate_fingerprint(*pem) : shelter::Result<std::string>(pem.error());
    if (hub_ca_file.empty() || !fp) {
      std::cerr << "shelter-sync: --hub auto needs --hub-ca-file, the hub's CA pinned at enrolment"
                << (hub_ca_file.empty() ? std::string() : ": " + fp.error().message) << "\n";
      return 1;
    }
    hub_ca_sha256 = *fp;
  } else if (!hub_url.empty())
    if (auto st = shelter::sync::check_server_url(hub_url, insecure); !st) {
      std::cerr << "shelter-sync: --hub: " << st.error().message << "\n";
      return 1;
    }
  if (!options.ca_file.empty())
    if (auto pem = shelter::read_file_bytes(options.ca_file, 1u << 20); !pem) {
      std::cerr << "shelter-sync: --ca-file: " << pem.error().message << "\n";
      return 1;
    }
  auto store = shelter::Store::open(db, shelter::Store::Options{.create = false});
  if (!store) {
    std::cerr << "shelter-sync: " << store.error().message << "\n";
    return 1;
  }
  if ((*store)->device_id().empty()) {
    std::cerr << "shelter-sync: " << db << " has no device identity yet (start the kiosk or run shelterctl init)\n";
    return 1;
  }
  shelter::sync::Syncer syncer(**store, options);
  std::unique_ptr<shelter::sync::Syncer> hub;
  auto connect_hub = [&](const std::string& url) {
    shelter::sync::SyncOptions h = options;
    h.server = url;
    h.ca_file = hub_ca_file;
    h.hub = true;
    hub = std::make_unique<shelter::sync::Syncer>(**store, h);
  };
  if (!hub_url.empty() && hub_url != "auto") connect_hub(hub_url);
  if (!code.empty()) {
    if (auto st = syncer.enrol(code); !st) {
      std::cerr << "shelter-sync: " << st.error().message << "\n";
      return 1;
    }
    std::cerr << "shelter-sync: enrolled " << (*store)->device_id() << " at shelter " << (*store)->shelter_id() << "\n";
    return 0;
  }
  std::signal(SIGTERM, [](int) { g_stop = true; });
  std::signal(SIGINT, [](int) { g_stop = true; });
  std::mt19937 rng(std::random_device{}());
  double backoff = 1;
  auto next_backup = std::chrono::steady_clock::now();
  while (!g_stop) {
    // Backups run here, beside the kiosk, so the kiosk never waits for them.
    if (!backup_dir.empty() && std::chrono::steady_clock::now() >= next_backup) {
      bool hq = false;
      auto b = shelter::rolling_backup(**store, backup_dir, backup_keep, &hq);
      if (b) {
        // Sealed to this tablet's key, and to headquarters' once the kiosk has it.
        (void)(*store)->set_meta("backup_last",
                                 shelter::utc_now("%Y-%m-%d %H:%M:%SZ") + " " + *b +
                                     (hq ? "" : " (no headquarters key yet: only this tablet opens it)"));
      } else {
        std::cerr << "shelter-sync: " << b.error().message << "\n";
        (void)(*store)->set_meta("backup_last",
                                 "error " + shelter::utc_now("%Y-%m-%d %H:%M:%SZ") + ": " + b.error().message);
      }
      next_backup = std::chrono::steady_clock::now() + std::chrono::minutes(backup_every);
    }
    // The hub first: the shelter's kiosks agree through it with no line to
    // the city. The city directly only when the hub does not answer (or
    // there is none), if this kiosk holds a city token.
    shelter::Result<shelter::sync::SyncReport> r = shelter::fail("not enrolled with the hub or the city");
    if (hub_url == "auto" && !hub) {
      // Looked for again after every failed round: the hub may have a new address.
      auto found = shelter::sync::find_hubs((*store)->shelter_id(), 3000);
      if (!found) std::cerr << "shelter-sync: hub: " << found.error().message << "\n";
      for (const auto& h : found ? *found : std::vector<shelter::sync::FoundHub>{})
        if (h.ca_sha256.empty() || shelter::sync::same_fingerprint(h.ca_sha256, hub_ca_sha256)) {
          std::cerr << "shelter-sync: hub found at " << h.url << " (" << h.hub_device << ")\n";
          connect_hub(h.url);
          break;
        }
      if (!hub) {
        r = shelter::fail(found ? "no hub of this shelter is announced on the network (with the pinned CA)"
                                : "hub: " + found.error().message);
        (void)(*store)->set_meta("hub_sync_state",
                                 "error " + shelter::utc_now("%Y-%m-%d %H:%M:%SZ") + ": " + r.error().message);
      }
    }
    if (hub && hub->enrolled()) {
      r = hub->sync_once();
      hub->record_state(r);
      if (r) {
        if (auto st = hub->note_hub_link(); !st) std::cerr << "shelter-sync: " << st.error().message << "\n";
      } else {
        std::cerr << "shelter-sync: hub: " << r.error().message << "\n";
        if (hub_url == "auto") hub.reset();
      }
    }
    if (!r && (hub_url.empty() || syncer.enrolled())) {
      r = syncer.sync_once();
      syncer.record_state(r);
    }
    if (r) {
      std::cerr << "shelter-sync: in sync (sent " << r->pushed << ", received " << r->pulled << ")\n";
      backoff = 1;
    } else {
      // Only this loop logs; everything below returns errors with context.
      std::cerr << "shelter-sync: " << r.error().message << "\n";
    }
    if (once) return r ? 0 : 1;
    double wait = interval;
    if (!r) {
      wait = std::uniform_real_distribution<double>(backoff / 2, backoff)(rng);
      backoff = std::min<double>(backoff * 2, max_backoff);
    }
    for (auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int>(wait * 1000));
         !g_stop && std::chrono::steady_clock::now() < until;)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return 0;
}
