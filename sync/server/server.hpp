#pragma once
// shelter-server: merges every kiosk's events (the same rules as a kiosk's
// store: core/) and serves each shelter's feed and the counts. Storage is
// behind ServerStore so that a PostgreSQL backend can join the SQLite one.
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/store.hpp"
#include "core/usb_export.hpp"
#include "sync/protocol.hpp"
#include "sync/server/auth.hpp"

namespace shelter::sync {

// One request from a kiosk's daemon, as recorded for headquarters: when each
// kiosk last pushed and pulled, and how far its clock is from the server's.
struct DeviceContact {
  std::string device_id, shelter_id;
  bool push = false;  // false: a pull
  std::int64_t at_ms = 0;
  std::optional<std::int64_t> clock_skew_ms;  // the kiosk's clock minus the server's
  int future_events = 0;  // events stamped more than kFutureSlackMs ahead of the server
};
inline constexpr std::int64_t kFutureSlackMs = 5 * 60 * 1000;

class ServerStore {
 public:
  virtual ~ServerStore() = default;
  // Stores a batch whose events are all of the pushing kiosk's shelter
  // (serve_push checks that): duplicates acknowledged, conflicts refused
  // (the others still stored), stamps more than kFutureSlackMs ahead of
  // now_ms clamped.
  virtual Result<PushReply> push(const PushRequest& request, std::int64_t now_ms) = 0;
  virtual Result<PullReply> pull(const std::string& shelter_id, std::int64_t after, int limit) = 0;
  virtual Result<nlohmann::json> counts(const std::string& shelter_id) = 0;  // "" = every shelter
  // 安否 search: persons whose name or reading contains `text`, and who
  // consented to disclosure. Never anyone else.
  // [{"id", "name", "reading", "birth", "shelter", "presence"}].
  virtual Result<nlohmann::json> search_consenting(const std::string& text) = 0;
  // Every person record, for the roster and PFIF exports (merged duplicates
  // left out); with consenting_only, only those who consented to disclosure.
  virtual Result<std::vector<PersonRecord>> persons(bool consenting_only) = 0;
  // Arrivals and departures (left) per shelter and hour of event time since
  // since_ms: [{"shelter", "hour" (ms), "arrived", "left"}].
  virtual Result<nlohmann::json> timeline(std::int64_t since_ms) = 0;
  // The shelters headquarters knows: [{"id", "name", "capacity"}].
  virtual Result<nlohmann::json> shelters() = 0;
  virtual Status set_shelter(const std::string& id, const std::string& name, int capacity) = 0;
  // Records a contact; returns the clock skew recorded before it, if any.
  virtual Result<std::optional<std::int64_t>> note_contact(const DeviceContact& contact) = 0;
  // Every kiosk that has been in contact: [{"device", "shelter", "last_push",
  // "last_pull", "clock_skew_ms", "future_events"}] (times in ms, null = never).
  virtual Result<nlohmann::json> devices() = 0;
  // Credentials (see auth.hpp).
  virtual Result<TokenCheck> authenticate(const std::string& token) = 0;
  virtual Result<Principal> enrol(const std::string& code, const std::string& device_id, std::string& token_out) = 0;
  virtual Result<std::string> create_enrolment(const std::string& shelter_id, const std::string& device_id,
                                               int hours) = 0;
  // A headquarters account; returns its API token. With a password the
  // account can also sign in to the dashboard (login).
  virtual Result<std::string> add_user(const std::string& name, const std::string& role,
                                       const std::string& password) = 0;
  // Dashboard sign-in: a session token valid for kSessionHours.
  virtual Result<std::string> login(const std::string& name, const std::string& password) = 0;
  virtual Status end_session(const std::string& token) = 0;
  // The highest device_seq stored from this device id (0: none), for the
  // enrol reply: a replacement tablet continues after the lost one.
  virtual Result<std::int64_t> last_device_seq(const std::string& device_id) = 0;
  // A lost tablet or a departed user (see Auth::revoke).
  virtual Result<int> revoke(const std::string& device_id, const std::string& user_name) = 0;
};

// The embedded default: one SQLite file, writes serialised.
Result<std::unique_ptr<ServerStore>> open_sqlite_server_store(const std::string& path);
// PostgreSQL 15 (libpqxx), e.g. "postgresql://shelter@127.0.0.1:5432/shelter";
// several server processes may share it.
Result<std::unique_ptr<ServerStore>> open_pg_server_store(const std::string& url);

Status check_shelter(const std::string& id, const std::string& name, int capacity);

// A pull reply from a feed page (up to limit + 1 rows, to tell whether there
// is more) and, for persons entering the feed in it, their earlier events
// (Store::feed_backfill). The reply never holds more than kMaxBatchEvents
// events: the page is shortened until page and backfill fit.
using Backfill = std::function<Result<std::vector<Event>>(const std::vector<PersonId>& persons)>;
Result<PullReply> feed_reply(std::vector<std::pair<std::int64_t, Event>> page, int limit, std::int64_t after,
                             const Backfill& backfill);

// The server's side of /v1/push and /v1/pull, without a socket: the HTTP
// routes, the merge simulation (tests/sim) and fuzzing call these.
struct ApiReply {
  int status = 200;
  std::string body;      // JSON
  int future_events = 0;  // push: events stamped too far ahead (clamped), for the kiosk status
};
ApiReply serve_enrol(ServerStore& st, std::string_view body, std::int64_t now_ms);
ApiReply serve_push(ServerStore& st, const Principal& p, std::string_view body, std::int64_t now_ms);
ApiReply serve_pull(ServerStore& st, const Principal& p, const std::string& shelter, std::int64_t after, int limit,
                    std::int64_t now_ms);

// A USB export carried to headquarters (`shelter-server import`): stored by
// serve_push, as pushes from the file's device, in batches: the same merge
// and the same rules (an event of another shelter or in conflict is refused
// by itself). The replies' acknowledgements and refusals, added up.
Result<PushReply> import_usb_at_server(ServerStore& st, const UsbExport& x, std::int64_t now_ms);

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8470;
  std::string dashboard_dir;  // static files served at / (empty: none)
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
