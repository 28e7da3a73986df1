#pragma once
// What the server keeps, behind one interface with a SQLite backend
// (sqlite_store.cpp) and a PostgreSQL one (pg/). Results are typed: JSON is
// made only by the routes (routes.cpp), counts by core's counts_to_json.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/projection.hpp"
#include "core/sealing.hpp"
#include "core/store.hpp"
#include "sync/protocol.hpp"
#include "sync/server/auth.hpp"
#include "sync/server/hub_reports.hpp"
#include "sync/server/sign_in_guard.hpp"

namespace shelter::sync {

// One request from a kiosk's daemon, as recorded for headquarters: when each
// kiosk last pushed and pulled, and how far its clock is from the server's.
struct DeviceContact {
  std::string device_id, shelter_id;
  bool push = false;  // false: a pull
  std::int64_t at_ms = 0;
  std::optional<std::int64_t> clock_skew_ms;  // the kiosk's clock minus the server's
  int future_events = 0;                      // events stamped more than kFutureSlackMs ahead of the server
};
inline constexpr std::int64_t kFutureSlackMs = 5 * 60 * 1000;

// A kiosk that has been in contact (times in ms; nullopt: never).
struct DeviceStatus {
  std::string device_id, shelter_id;
  std::optional<std::int64_t> last_push_ms, last_pull_ms, clock_skew_ms;
  std::int64_t future_events = 0;
};

// A shelter headquarters knows.
struct ShelterInfo {
  std::string id, name;
  int capacity = 0;
};

// Arrivals and departures at one shelter in one hour of event time.
struct TimelineRow {
  std::string shelter_id;
  std::int64_t hour_ms = 0;
  std::int64_t arrived = 0, left = 0;
};

// A transfer: an arrival at shelter `to` of a person whose previous arrival
// (by effective stamp, Event::effective_hlc, in the fold's order) was at
// another shelter `from`. Arrivals are never refused (a kiosk may move
// anyone whose id it knows), so headquarters is shown each one.
struct Transfer {
  PersonId person_id;
  std::string name;  // the person's name now (roster role only)
  std::string from_shelter, to_shelter;
  std::int64_t at_ms = 0;  // the arrival's effective stamp, ms
  std::string device_id, event_id;
};

// One 安否 search result: a person who consented to disclosure.
struct SearchHit {
  PersonId id;
  std::string name, reading;
  BirthDate birth;
  std::string shelter_id;
  Presence presence = Presence::None;
};

// Two persons who may be the same (core/name_match.hpp), anywhere in the
// city: headquarters' duplicates view (GET /v1/duplicates).
struct DuplicateCandidate {
  PersonRecord a, b;  // a.id < b.id
};

class ServerStore {
 public:
  virtual ~ServerStore() = default;
  // Stores a batch whose events are all of the pushing kiosk's shelter
  // (serve_push checks that): duplicates acknowledged, conflicts refused
  // (the others still stored), stamps more than kFutureSlackMs ahead of
  // now_ms clamped.
  virtual Result<PushReply> push(const PushRequest& request, std::int64_t now_ms) = 0;
  virtual Result<PullReply> pull(const std::string& shelter_id, std::int64_t after, int limit) = 0;
  // One shelter's counts, or every shelter's with any ("").
  virtual Result<std::vector<ShelterCounts>> counts(const std::string& shelter_id) = 0;
  // 安否 search: persons whose name or reading contains `text`, and who
  // consented to disclosure. Never anyone else.
  virtual Result<std::vector<SearchHit>> search_consenting(const std::string& text) = 0;
  // Every person record, for the roster and PFIF exports (merged duplicates
  // left out); with consenting_only, only those who consented to disclosure.
  virtual Result<std::vector<PersonRecord>> persons(bool consenting_only) = 0;
  // Duplicate candidates across every shelter: the same match key and
  // compatible births, neither hidden by a merge nor dismissed, by ids.
  virtual Result<std::vector<DuplicateCandidate>> duplicates() = 0;
  // Arrivals and departures (left) per shelter and hour of event time since
  // since_ms, by hour then shelter.
  virtual Result<std::vector<TimelineRow>> timeline(std::int64_t since_ms) = 0;
  // Transfers whose arrival is stamped (effectively) at or after since_ms,
  // newest first (then by device id and event id, descending): computed
  // from the log at each call, so a late arrival moves them as the fold does.
  virtual Result<std::vector<Transfer>> transfers(std::int64_t since_ms) = 0;
  // The shelters headquarters knows, by id.
  virtual Result<std::vector<ShelterInfo>> shelters() = 0;
  virtual Status set_shelter(const std::string& id, const std::string& name, int capacity) = 0;
  // Records a contact; returns the clock skew recorded before it, if any.
  virtual Result<std::optional<std::int64_t>> note_contact(const DeviceContact& contact) = 0;
  // Every kiosk that has been in contact, by shelter then device.
  virtual Result<std::vector<DeviceStatus>> devices() = 0;
  // Credentials (see auth.hpp).
  virtual Result<TokenCheck> authenticate(const std::string& token) = 0;
  // `public_key` (hex; "" for none): the device's pass-signing key.
  // `lead`: the name and raw public key of the lead named at enrolment
  // (Credentials::enrol), or empty.
  virtual Result<Principal> enrol(const std::string& code, const std::string& device_id, const std::string& public_key,
                                  std::string& token_out, const std::pair<std::string, std::string>& lead = {}) = 0;
  // Volunteers' keys (Credentials::register_volunteer).
  virtual Status register_volunteer(const Principal& p, const VolunteerKey& v) = 0;
  virtual Result<std::vector<VolunteerKeyRow>> volunteer_keys(const std::string& shelter_id) = 0;
  virtual Result<std::string> create_enrolment(const std::string& shelter_id, const std::string& device_id, int hours,
                                               const std::string& role = "") = 0;
  // A headquarters account; returns its API token. With a password the
  // account can also sign in to the dashboard (login).
  virtual Result<std::string> add_user(const std::string& name, const std::string& role,
                                       const std::string& password) = 0;
  // Dashboard sign-in: a session token valid for kSessionHours.
  // "wrong name or password" (the same for an unknown name, at the same
  // cost), or "busy: ..." when kMaxConcurrentHashes sign-ins are already
  // being checked; the hash runs outside the backend's lock.
  Result<std::string> login(const std::string& name, const std::string& password);
  virtual Result<std::optional<UserRow>> find_account(const std::string& name) = 0;
  virtual Result<std::string> open_session(const UserRow& user) = 0;
  // Wrong sign-ins by name and address (POST /v1/login).
  SignInGuard& sign_in_guard() { return sign_in_guard_; }
  // The server's clock: the system's, corrected on a shelter hub by the
  // city's (HubRelay measures it), so that its kiosks, which take the time
  // from the server they sync with, stamp events right even when the hub
  // box lost its clock with its power.
  std::int64_t now_ms() const { return system_millis() + clock_offset_ms_.load(); }
  void set_clock_offset_ms(std::int64_t ms) { clock_offset_ms_ = ms; }
  // The shelter hubs' last reports (city side; hub_routes.cpp).
  HubReports& hub_reports() { return hub_reports_; }
  virtual Status end_session(const std::string& token) = 0;
  // The highest device_seq stored from this device id (0: none), for the
  // enrol reply: a replacement tablet continues after the lost one.
  virtual Result<std::int64_t> last_device_seq(const std::string& device_id) = 0;
  // Which of `ids` the log holds (an event sent again is answered as
  // before, whatever came with it this time).
  virtual Result<std::set<std::string>> stored_ids(const std::vector<std::string>& ids) = 0;
  // Volunteers' signatures of stored staff events (checked at push), passed
  // on with the events in pulls, so that a kiosk's file of them carries
  // them to headquarters.
  virtual Status keep_staff_signatures(const std::map<std::string, std::string>& signatures) = 0;
  virtual Result<std::map<std::string, std::string>> staff_signatures(const std::vector<Event>& events) = 0;
  // A lost tablet or a departed user (see Auth::revoke).
  virtual Result<int> revoke(const std::string& device_id, const std::string& user_name) = 0;
  // Signing keys (see Credentials): the city's card key, revoking a key by
  // id, and every key for GET /v1/keys.
  virtual Result<std::string> add_card_key(const std::string& public_key) = 0;
  virtual Result<std::string> add_hq_key(const std::string& public_key) = 0;
  virtual Result<int> revoke_key(const std::string& key_id) = 0;
  virtual Result<bool> adopt_device_key(const Principal& hub, const std::string& device_id,
                                        const std::string& public_key) = 0;
  virtual Result<std::vector<signing::TrustedKey>> keys() = 0;
  // The neighbourhood list (district_list.hpp), sealed with the list key:
  // one at a time, an upload replaces it. "" when there is none.
  virtual Status put_district_list(const std::string& sealed) = 0;
  virtual Result<std::string> district_list() = 0;
  // A shelter hub's relay (hub_relay.hpp) runs `f` on the core store that
  // holds the hub's log, under the backend's lock. Only the SQLite backend
  // has one (a hub is a small box at the shelter); PostgreSQL refuses.
  virtual Status with_local_store(const std::function<Status(Store&)>& f);
  virtual bool has_local_store() const { return false; }
  // The current headquarters key (kind "hq", not revoked), if any.
  Result<std::optional<signing::TrustedKey>> hq_public_key();

  // Headquarters' secret box key (shelter-server --hq-key FILE): opens USB
  // exports, at `import` and at POST /v1/import. Empty: not configured.
  void set_hq_secret(sealing::BoxKeyPair key) { hq_secret_ = std::move(key); }
  const sealing::BoxKeyPair& hq_secret() const { return hq_secret_; }
  // The city's card key (shelter-server --card-key FILE): signs the card
  // sheets headquarters prints (POST /v1/card-sheets). Empty: unsigned.
  void set_card_key(signing::KeyPair key) { card_key_ = std::move(key); }
  const signing::KeyPair& card_key() const { return card_key_; }
  // The list key (32 bytes; shelter-server --list-key FILE, for SQLite
  // "<db>.list-key" by default): seals the district list. Kept in a file
  // beside the database, never in it. Empty: the list routes answer 503.
  void set_list_key(std::string key) { list_key_ = std::move(key); }
  const std::string& list_key() const { return list_key_; }

 private:
  sealing::BoxKeyPair hq_secret_;
  signing::KeyPair card_key_;
  std::string list_key_;
  SignInGuard sign_in_guard_;
  HubReports hub_reports_;
  std::atomic<std::int64_t> clock_offset_ms_{0};
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

}  // namespace shelter::sync
