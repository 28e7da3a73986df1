#pragma once
// shelter-server: merges every kiosk's events (the same rules as a kiosk's
// store: core/) and serves each shelter's feed and the counts. Storage is
// behind ServerStore (store.hpp: SQLite or PostgreSQL); the API's routes are
// plain functions (routes.hpp); Server binds them to HTTP (http.cpp).
#include <memory>
#include <string>

#include "sync/server/routes.hpp"
#include "sync/server/store.hpp"

namespace shelter::sync {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8470;
  std::string dashboard_dir;  // static files served at / (empty: none)
  // The residents' pre-registration page at /prereg/ (empty: none), and the
  // folder of Debian's qrcode-generator it loads as /prereg/vendor/qrcode.js.
  std::string prereg_dir{};
  std::string prereg_vendor_dir = "/usr/share/javascript/qrcode-generator";
};

// Runs until stop() (from another thread) or a signal handler calls it.
class Server {
 public:
  Server(ServerStore& store, ServerOptions options);
  ~Server();
  // Binds and serves; returns when stopped. Error if the port cannot be bound.
  Status run();
  void stop();
  int port() const;  // the bound port (useful with port 0)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shelter::sync
