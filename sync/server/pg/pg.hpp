#pragma once
// The PostgreSQL backend, private to sync/server/pg/: for a city that
// outgrows one machine. Several server processes may share one database,
// each with a small pool of connections (pool.cpp: reads run in parallel; a
// connection that broke is dropped and a new one made for the next
// request). Batches are written one transaction at a time, batches that
// arrive meanwhile together in the next one (merge.cpp: the merge is
// core/'s, exactly as the kiosk's SQLite store does). A person's projected
// state is one row (state.cpp: the fields with their stamps as compact
// JSON): a batch of arrivals writes one row per person, not one per field.
// Rows go in by COPY (copy.hpp). The schema and its upgrades: schema.cpp;
// the read models and credentials: store.cpp.
#include <pqxx/pqxx>

#include <condition_variable>
#include <cstdint>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/projection.hpp"
#include "sync/server/pg/copy.hpp"
#include "sync/server/store.hpp"

namespace shelter::sync::pg {

// A PostgreSQL array literal ("{...}"), built element by element.
class ArrayText {
 public:
  ArrayText& add(std::string_view text) {
    comma();
    text_ += '"';
    for (char c : text) {
      if (c == '"' || c == '\\') text_ += '\\';
      text_ += c;
    }
    text_ += '"';
    return *this;
  }
  ArrayText& add(std::int64_t n) {
    comma();
    text_ += std::to_string(n);
    return *this;
  }
  std::string str() const { return text_ + '}'; }

 private:
  void comma() {
    if (text_.size() > 1) text_ += ',';
  }
  std::string text_ = "{";
};

// libpqxx reports errors by exception; the rest of the program by Result.
template <typename F>
auto guarded(const char* what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const pqxx::broken_connection& e) {
    return fail(std::string(what) + ": database connection lost: " + e.what());
  } catch (const std::exception& e) {
    return fail(std::string(what) + ": " + e.what());
  }
}

// state.cpp: the person-state codec.
Event read_event(const pqxx::row& r);
// A person's fields with their stamps, each stamp written once, as compact
// JSON; state_from_json also reads the first form.
std::string state_json(const PersonState& p);
PersonState state_from_json(const std::string& id, const std::string& text);
// The COPY fields present_at and household_key of p's person row: the
// household p counts in while present at a shelter, else NULL NULL.
CopyRows& household_columns(CopyRows& row, const PersonState& p);
// p's whole person row (kPersonColumns).
void person_row(CopyRows& rows, const PersonState& p);
inline const std::vector<std::string> kPersonColumns = {"person_id",  "state",         "name",     "reading",
                                                        "present_at", "household_key", "match_key"};

// schema.cpp: creates or upgrades the schema, under an advisory lock.
void create_schema(pqxx::work& w);

// merge.cpp: the statements every connection prepares (each batch runs them).
void prepare_session(pqxx::connection& c);

// The connection pool.
class Pool {
 public:
  explicit Pool(std::string url) : url_(std::move(url)) {}
  // The first connection creates the schema; each connection then has its
  // own temporary tables.
  Status connect();

  // Runs f on a pooled connection (made on demand, up to kPoolSize; waits
  // for one otherwise). A connection that broke is not given back. When an
  // idle connection turns out dead (PostgreSQL restarted, or an admin ended
  // the backend while it sat in the pool) f runs once more on a new one:
  // such a connection fails at its first statement, before anything commits.
  template <typename F>
  auto with_conn(const char* what, F&& f) -> decltype(f(std::declval<pqxx::connection&>())) {
    std::unique_ptr<pqxx::connection> c;
    {
      std::unique_lock lock(mu_);
      free_.wait(lock, [&] { return !idle_.empty() || open_ < kPoolSize; });
      if (!idle_.empty()) {
        c = std::move(idle_.back());
        idle_.pop_back();
      } else {
        ++open_;
      }
    }
    bool reused = c != nullptr;
    bool broken = false;
    auto attempt = [&]() -> decltype(f(*c)) {
      try {
        broken = false;
        if (!c) {
          c = std::make_unique<pqxx::connection>(url_);
          prepare_session(*c);
        }
        return f(*c);
      } catch (const pqxx::broken_connection&) {
        broken = true;
        throw;
      }
    };
    auto result = guarded(what, attempt);
    if (broken && reused) {
      c.reset();
      result = guarded(what, attempt);
    }
    std::lock_guard lock(mu_);
    if (c && !broken && c->is_open()) {
      idle_.push_back(std::move(c));
    } else {
      --open_;
    }
    free_.notify_one();
    return result;
  }

 private:
  static constexpr int kPoolSize = 8;  // cpp-httplib's worker threads
  std::string url_;
  std::mutex mu_;
  std::condition_variable free_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int open_ = 0;
};

// Credential rows (the rules: auth.cpp, Credentials).
class PgCredentialRepo final : public CredentialRepo {
 public:
  explicit PgCredentialRepo(Pool& pool) : pool_(pool) {}
  Status insert_enrolment(const EnrolmentRow& row) override;
  Result<std::optional<EnrolmentRow>> find_enrolment(const std::string& code_hash) override;
  Result<bool> redeem_enrolment(const std::string& code_hash, const TokenRow& token,
                                const std::optional<signing::TrustedKey>& key) override;
  Status insert_token(const TokenRow& token) override;
  Result<std::optional<TokenRow>> find_token(const std::string& token_hash) override;
  Status delete_token(const std::string& token_hash, const std::string& kind) override;
  Status insert_user(const UserRow& user, const TokenRow& token) override;
  Result<std::optional<UserRow>> find_user(const std::string& name) override;
  Result<int> delete_device_credentials(const std::string& device_id) override;
  Result<int> delete_user_credentials(const std::string& name) override;
  Status insert_key(const signing::TrustedKey& key, std::int64_t created) override;
  Result<int> revoke_key(const std::string& key_id) override;
  Result<std::vector<signing::TrustedKey>> list_keys() override;
  Status insert_volunteer_key(const VolunteerKeyRow& row, std::int64_t created) override;
  Result<std::vector<VolunteerKeyRow>> volunteer_keys(const std::string& shelter_id) override;

 private:
  Pool& pool_;
};

class PgServerStore final : public ServerStore {
 public:
  explicit PgServerStore(std::string url) : pool_(std::move(url)), credential_rows_(pool_), auth_(credential_rows_) {}
  Status connect() { return pool_.connect(); }

  Result<PushReply> push(const PushRequest& request, std::int64_t now) override;
  Result<PullReply> pull(const std::string& shelter_id, std::int64_t after, int limit) override;
  Result<std::vector<ShelterCounts>> counts(const std::string& shelter_id) override;
  Result<std::vector<SearchHit>> search_consenting(const std::string& text) override;
  Result<std::vector<PersonRecord>> persons(bool consenting_only) override;
  Result<std::vector<DuplicateCandidate>> duplicates() override;
  Result<std::vector<TimelineRow>> timeline(std::int64_t since_ms) override;
  Result<std::vector<Transfer>> transfers(std::int64_t since_ms) override;
  Result<std::vector<ShelterInfo>> shelters() override;
  Status set_shelter(const std::string& id, const std::string& name, int capacity) override;
  Status put_district_list(const std::string& sealed) override;
  Result<std::string> district_list() override;
  Result<std::optional<std::int64_t>> note_contact(const DeviceContact& c) override;
  Result<std::vector<DeviceStatus>> devices() override;
  Result<std::int64_t> last_device_seq(const std::string& device_id) override;
  Result<std::set<std::string>> stored_ids(const std::vector<std::string>& ids) override;
  Status keep_staff_signatures(const std::map<std::string, std::string>& signatures) override;
  Result<std::map<std::string, std::string>> staff_signatures(const std::vector<Event>& events) override;
  // Credentials: the shared rules over this backend's rows.
  Result<TokenCheck> authenticate(const std::string& token) override { return auth_.authenticate(token); }
  Result<Principal> enrol(const std::string& code, const std::string& device_id, const std::string& public_key,
                          std::string& token_out, const std::pair<std::string, std::string>& lead) override {
    return auth_.enrol(code, device_id, public_key, token_out, lead);
  }
  Status register_volunteer(const Principal& p, const VolunteerKey& v) override {
    return auth_.register_volunteer(p, v.name, v.role, v.public_key, v.vouched_by, v.vouch);
  }
  Result<std::vector<VolunteerKeyRow>> volunteer_keys(const std::string& shelter_id) override {
    return auth_.volunteer_keys(shelter_id);
  }
  Result<std::string> add_card_key(const std::string& public_key) override { return auth_.add_card_key(public_key); }
  Result<std::string> add_hq_key(const std::string& public_key) override { return auth_.add_hq_key(public_key); }
  Result<int> revoke_key(const std::string& key_id) override { return auth_.revoke_key(key_id); }
  Result<bool> adopt_device_key(const Principal& hub, const std::string& device_id,
                                const std::string& public_key) override {
    return auth_.adopt_device_key(hub, device_id, public_key);
  }
  Result<std::vector<signing::TrustedKey>> keys() override { return auth_.keys(); }
  Result<std::string> create_enrolment(const std::string& shelter_id, const std::string& device_id, int hours,
                                       const std::string& role) override {
    return auth_.create_enrolment(shelter_id, device_id, hours, role);
  }
  Result<std::string> add_user(const std::string& name, const std::string& role, const std::string& password) override {
    return auth_.add_user(name, role, password);
  }
  Result<std::optional<UserRow>> find_account(const std::string& name) override { return auth_.find_account(name); }
  Result<std::string> open_session(const UserRow& user) override { return auth_.open_session(user); }
  Status end_session(const std::string& token) override { return auth_.end_session(token); }
  Result<int> revoke(const std::string& device_id, const std::string& user_name) override {
    return auth_.revoke(device_id, user_name);
  }

  struct PendingPush {  // a batch waiting for its group's transaction
    const PushRequest* request;
    std::int64_t now_ms;
    std::optional<Result<PushReply>> reply;  // set by whichever thread wrote its group
  };
  // What the group's transaction made of one event id.
  struct Outcome {
    Admission admission;
    bool reported_new = false;  // counted as new in one batch's reply already
  };
  using Outcomes = std::unordered_map<std::string_view, Outcome>;

 private:
  std::vector<Result<PushReply>> store_group(const std::vector<PendingPush*>& group);

  static constexpr size_t kMaxGroupEvents = 4 * kMaxBatchEvents;
  Pool pool_;
  PgCredentialRepo credential_rows_;
  Credentials auth_;
  std::mutex group_mu_;
  std::condition_variable group_cv_;
  std::vector<PendingPush*> waiting_;
  bool writing_ = false;
};

}  // namespace shelter::sync::pg
