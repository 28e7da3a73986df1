#pragma once
// The local SQLite store: the append-only event log and the projections
// folded from it, updated in the same transaction. One Store per thread;
// other processes (the sync daemon) open the same file (WAL mode).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/event.hpp"
#include "core/hlc.hpp"
#include "core/projection.hpp"
#include "core/result.hpp"
#include "core/signing.hpp"
#include "core/volunteer_keys.hpp"

namespace shelter {

namespace sql {
class Db;
class Stmt;
}  // namespace sql

// A person as the projections see them now.
struct PersonRecord {
  PersonId id;
  HouseholdId household_id;
  std::string shelter_id;
  Presence presence = Presence::None;
  StayType stay = StayType::Shelter;
  PersonInfo info;
  PersonId merged_into;
  Hlc updated_hlc = 0;
  bool operator==(const PersonRecord&) const = default;
};

// A new local event: the store fills in id, device, sequence and clock.
struct NewEvent {
  EventType type = EventType::Arrived;
  PersonId person_id;
  HouseholdId household_id;
  std::string shelter_id;  // empty: this device's shelter
  std::string author = "self";
  nlohmann::json body = nlohmann::json::object();
  // Non-zero: stamp just after this (an event recorded again in place of one
  // the server refused keeps its place in time), not now.
  Hlc stamp_after = 0;
};

struct PersonQuery {
  std::string shelter_id;            // empty: every shelter
  std::optional<Presence> presence;  // empty: any
  std::string text;                  // substring of name or reading; empty: all
  HouseholdId household_id;          // empty: any household
  bool include_merged = false;
  int limit = 1000;
};

// What a server made of one pushed event (Store::admit).
struct Admission {
  enum class Kind { Stored, Duplicate, Refused } kind = Kind::Stored;
  std::string code;               // when refused: "conflict" (the id is stored with other content), "seq_taken",
                                  // "not_this_shelter" (core/write_rules.hpp)
  std::string reason;             // a sentence for logs and the kiosk's staff
  std::int64_t expected_seq = 0;  // seq_taken: the device's next free seq on the server
  Hlc clamp = 0;                  // the clamp the stored event has (0: none)
};

// An own event the server refused for good, as shown to staff.
struct RefusedEvent {
  std::string id, code, reason, at, reissued_as;  // reissued_as: the copy recorded instead ("" = none)
};

// A registration of this shelter that did not apply: a card scanned for a
// person known already, whose details differ from what is stored. Staff
// approve it (a correction) or dismiss it (Store::settle_card_difference).
struct CardDifference {
  std::string event_id;
  PersonId person_id;
  std::string name;  // as stored
  struct Field {
    std::string field, stored, card;
  };
  std::vector<Field> fields;
};

struct DuplicatePair {
  // a < b; the same match key (core/name_match.hpp) and compatible births,
  // neither hidden by a merge, not dismissed as "not the same person".
  PersonId a, b;
};

// Meta key where the sync daemon keeps this device's clock error against
// the server (server minus local, ms); the store stamps events with the
// corrected time.
inline constexpr const char* kClockOffsetMeta = "clock_offset_ms";
// The least device_seq for this device's next event. Set (to the time in ms)
// when a backup is restored or a device is enrolled, because the server may
// hold later events of this device id than the file does (written after the
// backup, or by the tablet this one replaces): new events must not reuse
// their sequence numbers.
inline constexpr const char* kDeviceSeqFloorMeta = "device_seq_floor";
// The local log position the sync daemon has pushed up to (the server holds
// every pushable event at or before it). Written by the daemon only.
inline constexpr const char* kSyncPushedSeqMeta = "sync_pushed_seq";
// The push cursor towards the shelter's hub (sync/server/hub_relay.hpp),
// kept apart so that a kiosk switching between hub and city sends each
// everything it has not acknowledged.
inline constexpr const char* kHubPushedSeqMeta = "hub_pushed_seq";

class Store {
 public:
  struct Options {
    bool create = true;  // create the file if missing
    bool read_only = false;
    std::function<std::int64_t()> wall_clock = system_millis;  // for tests and simulations
  };

  static Result<std::unique_ptr<Store>> open(const std::string& path, Options options);
  static Result<std::unique_ptr<Store>> open(const std::string& path) { return open(path, Options{}); }
  ~Store();

  // Identity of this device, kept in the meta table (set once by init).
  Status init_identity(const std::string& shelter_id, const std::string& device_id, const std::string& shelter_name);
  const std::string& device_id() const { return device_id_; }
  const std::string& shelter_id() const { return shelter_id_; }
  // The file this store was opened from; its secrets (sync token, signing
  // key) live beside it, in secrets_path(path()) (core/secrets.hpp).
  const std::string& path() const { return path_; }
  Result<std::optional<std::string>> meta(const std::string& key);
  // A meta value that is a number (0 when unset; an error when not a number).
  Result<std::int64_t> meta_int(const std::string& key);
  Status set_meta(const std::string& key, const std::string& value);

  // Appends local events in one durable transaction (a household's check-in
  // is one commit) and updates the projections. Nothing is written if any
  // event is invalid or the disk is full.
  Result<std::vector<Event>> record(const std::vector<NewEvent>& drafts);
  Result<Event> record(const NewEvent& draft);
  // The volunteer signed in (core/volunteer_keys.hpp): each event recorded
  // with their author from now on is signed with their key, the signature
  // kept for the push. nullopt when they sign out. An event of another
  // staff author is recorded unsigned, and the server refuses it.
  void set_staff_signer(std::optional<StaffKey> key) {
    signers_.clear();
    if (key) signers_.push_back(std::move(*key));
  }
  // Another author who signs (tools and simulations with several at once).
  void add_staff_signer(StaffKey key) { signers_.push_back(std::move(key)); }
  // The signatures (raw bytes) of those of `events` that have one, by id.
  Result<std::map<std::string, std::string>> staff_signatures(const std::vector<Event>& events);
  // Keeps signatures of events from elsewhere (a pull, the server's push),
  // so that a file or a push of them carries them on; one kept is not replaced.
  Status keep_staff_signatures(const std::map<std::string, std::string>& signatures);

  // Appends events from other devices (sync, USB import). Events already in
  // the log are skipped, but a clamp the server gave one is learnt; returns
  // how many were new. All or nothing. `origin` is kept with each new event:
  // "pull", "hub" (pulled from the shelter's hub) or "import" (imported
  // events of this shelter are relayed to the
  // server by the daemon).
  Result<int> apply_remote(const std::vector<Event>& events, const std::string& origin = "pull");

  // The municipal server's merge of a pushed batch, in one transaction: an
  // event already stored with the same content is a duplicate; one whose id
  // is stored with other content, or whose (device, seq) another event
  // holds, or that its kiosk may not write (core/write_rules.hpp: another
  // shelter's person), is refused (the rest of the batch is stored); an event stamped
  // more than `future_slack_ms` ahead of `now_ms` is stored with a clamp.
  // Without `judge` (a shelter hub) no event is refused for what it writes
  // or for a taken seq (only for its author, or an id held with other
  // content) and none is clamped: the city judges and clamps it against
  // everything it knows, and the hub passes its refusals and clamps on to
  // its kiosks (sync/server/hub_relay.hpp).
  Result<std::vector<Admission>> admit(const std::vector<Event>& events, std::int64_t now_ms,
                                       std::int64_t future_slack_ms, bool judge = true);
  // Clamps the server gave own events (push reply): kept and folded in.
  Status apply_clamps(const std::vector<std::pair<std::string, Hlc>>& clamps);
  // The server refused own event `id` for good. Kept for staff; when
  // `reissue`, the same change is recorded again as a new event (new seq,
  // at least `seq_floor`), so a check-in written under a seq the server
  // had already taken still reaches it. Idempotent: a second call for the
  // same id does nothing.
  Status note_refused(const std::string& id, const std::string& code, const std::string& reason, bool reissue,
                      std::int64_t seq_floor);
  Result<std::vector<RefusedEvent>> refused_events();

  // Events the daemon pushes, after local position `after_seq`: this
  // device's own, and events of other devices of this shelter imported from
  // a file (relayed). With `from_hub`, also those of this shelter pulled
  // from its hub (origin "hub"): a kiosk that falls back to the city sends
  // what its events may depend on, which the hub may not have relayed yet.
  // *scanned_to: the last position looked at.
  Result<std::vector<std::pair<std::int64_t, Event>>> pushable_after(std::int64_t after_seq, int limit,
                                                                     std::int64_t* scanned_to, bool from_hub = false);
  // Events stored with `origin` ("push": a shelter hub's kiosks' pushes,
  // which it relays to the city) after local position `after_seq`, clamps
  // left out; *scanned_to: the last position returned, or after_seq.
  Result<std::vector<std::pair<std::int64_t, Event>>> origin_after(const std::string& origin, std::int64_t after_seq,
                                                                   int limit, std::int64_t* scanned_to);
  Result<std::int64_t> origin_count(const std::string& origin, std::int64_t after_seq);
  // How many pushable events lie after `after_seq`.
  Result<std::int64_t> pushable_count(std::int64_t after_seq);
  // The daemon's push cursor (kSyncPushedSeqMeta; 0 before the first push).
  Result<std::int64_t> sync_pushed_seq();
  // Events not yet pushed to any server (the city, or the shelter's hub,
  // which relays them): the staff screen's "unsynced" figure and the
  // daemon's backlog.
  Result<std::int64_t> unsynced_count();

  // The public keys this kiosk trusts (from the server's GET /v1/keys),
  // replaced whole; unchanged keys are not written again.
  Status set_trusted_keys(const std::vector<signing::TrustedKey>& given);
  Result<std::vector<signing::TrustedKey>> trusted_keys();

  // Reading.
  Result<std::optional<PersonRecord>> person(const PersonId& id);
  Result<std::vector<PersonRecord>> persons(const PersonQuery& q);
  // The household's pets (field::kPets) and the member who holds them: of
  // the visible members of `person`'s household (or `person` alone, without
  // one), the one whose pets were written last. Nobody holds them: `person`
  // and "".
  struct HouseholdPets {
    PersonId holder;
    std::string pets;
  };
  Result<HouseholdPets> household_pets(const PersonId& person);
  // Person ids starting with `prefix` (at most `limit`), so people can type
  // the first few digits of an id.
  Result<std::vector<PersonId>> person_ids_with_prefix(const std::string& prefix, int limit = 2);
  Result<ShelterCounts> counts(const std::string& shelter_id, const BirthDate& today = today_utc());
  Result<std::vector<std::string>> shelters_with_counts();
  Result<std::vector<Event>> person_events(const PersonId& id);  // the audit trail, in HLC order
  // Events in local log order after position `after_seq` (0: from the start).
  Result<std::vector<std::pair<std::int64_t, Event>>> events_after(std::int64_t after_seq, int limit);
  // The sync feed of one shelter: its events and later events about persons
  // who were ever there, in this store's log order.
  Result<std::vector<std::pair<std::int64_t, Event>>> shelter_feed_after(const std::string& shelter_id,
                                                                         std::int64_t after_seq, int limit);
  // For persons in a feed page who enter the shelter's feed there (no event
  // at the shelter up to `after_seq`): their events up to `after_seq`, which
  // the feed did not carry because they were stored before the person came
  // (a kiosk elsewhere pushed late).
  Result<std::vector<std::pair<std::int64_t, Event>>> feed_backfill(const std::string& shelter_id,
                                                                    std::int64_t after_seq,
                                                                    const std::vector<PersonId>& persons);
  Result<std::int64_t> event_count();
  Result<std::vector<DuplicatePair>> possible_duplicates();
  // Pairs staff said are not the same person (`not_duplicate` events the
  // server did not refuse), each as (smaller id, larger id).
  Result<std::set<std::pair<PersonId, PersonId>>> dismissed_duplicates();
  // This shelter's registrations whose details differ from what is stored,
  // not yet settled, oldest first.
  Result<std::vector<CardDifference>> card_differences();
  // Staff approved (and corrected) or dismissed this difference.
  Status settle_card_difference(const std::string& event_id);

  // Recomputes every projection from the log (also used to check that the
  // incremental path agrees with a full fold).
  Status rebuild_projections();
  // Folds one person again from the log (after a clamp changed a stamp).
  Status refold_person(const PersonId& id);
  // All projection rows in a canonical text form: equal stores give equal dumps.
  Result<std::string> projection_dump();
  // PRAGMA integrity_check: "ok" or the problems found.
  Result<std::string> integrity_check();

  HybridClock& clock() { return clock_; }
  sql::Db& db() { return *db_; }

 private:
  Store(std::unique_ptr<sql::Db> db, Options options);
  Status migrate();
  // Moves a sync token an earlier version kept in meta into the secrets
  // file beside the database, and wipes it from the file's pages.
  Status move_secrets_out();
  Status load_identity();
  Status load_clock_offset();
  Result<std::vector<Event>> record_locked(const std::vector<NewEvent>& drafts);
  std::vector<StaffKey> signers_;
  Result<Hlc> person_floor(const PersonId& id);
  Result<bool> event_exists(const std::string& id);
  Result<bool> insert_event(const Event& e, const std::string& origin);  // false: already present
  Result<std::optional<Event>> stored_event(const std::string& id);
  // note_refused's two questions about own event `o`: was it judged while
  // an earlier own event, recorded again after it, was missing; and is a
  // copy of it in the log already (its id, or "").
  Result<bool> judged_without_own_history(const Event& o);
  Result<std::string> recorded_copy_of(const Event& o);
  Status project(const Event& e);
  Status project(const Event& e, std::optional<PersonState> before);  // `before`: the person's stored state
  Status store_state(const std::optional<PersonState>& before, const PersonState& after,
                     const std::vector<std::string>& changed);
  Status settle_merges(const std::vector<PersonId>& changed);
  Status rebuild_locked();
  Result<std::optional<PersonState>> load_state(const PersonId& id);
  Status save_person(const PersonState& p, const std::vector<std::string>& changed_fields);
  Status adjust_counts(const PersonState* before, const PersonState& after);
  static PersonRecord read_person_row(sql::Stmt& s);

  std::unique_ptr<sql::Db> db_;
  HybridClock clock_;
  std::string device_id_, shelter_id_;
  std::string path_;
  std::int64_t next_device_seq_ = 1;
  Status resume_own_log();
};

}  // namespace shelter
