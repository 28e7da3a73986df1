#include "core/volunteers.hpp"

#include <algorithm>

#include "core/model.hpp"
#include "core/pin.hpp"
#include "core/sqlite.hpp"

namespace shelter {

const char* to_string(VolunteerRole r) {
  return r == VolunteerRole::Lead ? "lead" : "volunteer";
}

Status check_volunteer_name(const std::string& name) {
  if (name.empty()) return fail("a volunteer's name is needed");
  if (name.size() > kMaxVolunteerNameBytes)
    return fail("a volunteer's name is at most " + std::to_string(kMaxVolunteerNameBytes) + " bytes");
  if (!is_valid_utf8(name) || has_control_chars(name)) return fail("a volunteer's name must be plain text");
  auto space = [](char c) { return c == ' ' || c == '\t'; };
  if (space(name.front()) || space(name.back()) || name.rfind("\xE3\x80\x80", 0) == 0 ||
      (name.size() >= 3 && name.compare(name.size() - 3, 3, "\xE3\x80\x80") == 0))
    return fail("a volunteer's name must not start or end with a space");
  return {};
}

namespace {

constexpr const char* kColumns =
    "name, pin_hash, role, enrolled_at, enrolled_by, key_salt, public_key, vouched_by, vouch, server_note";

Volunteer read_row(sql::Stmt& s) {
  return Volunteer{s.text(0), s.text(1), s.text(2) == "lead" ? VolunteerRole::Lead : VolunteerRole::Volunteer,
                   s.text(3), s.text(4), s.text(5),
                   s.text(6), s.text(7), s.text(8),
                   s.text(9)};
}

Result<std::vector<Volunteer>> select_volunteers(Store& store, const std::string& where_order,
                                                 const std::string& name) {
  auto q = store.db().prepare(std::string("SELECT ") + kColumns + " FROM volunteer " + where_order);
  if (!q) return q.error().context("read volunteers");
  if (!name.empty()) (*q)->bind(1, name);
  auto rows = (*q)->rows<Volunteer>(read_row);
  if (!rows) return rows.error().context("read volunteers");
  return rows;
}

// A key for `name` with `role` from `pin`: salt, public key, vouch (hex).
struct NewKey {
  std::string salt, public_key, vouched_by, vouch;
};
Result<NewKey> make_key(Store& store, const std::string& name, VolunteerRole role, const std::string& pin,
                        const StaffKey* voucher) {
  const std::string salt = new_volunteer_salt();
  auto pair = derive_volunteer_key(pin, salt);
  if (!pair) return pair.error();
  NewKey k{signing::to_hex(salt), signing::to_hex(pair->public_key), "", ""};
  if (voucher) {
    k.vouched_by = volunteer_of(voucher->author);
    k.vouch = signing::to_hex(
        signing::sign(voucher->pair, volunteer_statement(store.shelter_id(), name, to_string(role), pair->public_key)));
  }
  return k;
}

}  // namespace

Result<std::vector<Volunteer>> list_volunteers(Store& store) {
  return select_volunteers(store, "ORDER BY role = 'volunteer', name", "");
}

Result<std::optional<Volunteer>> find_volunteer(Store& store, const std::string& name) {
  auto rows = select_volunteers(store, "WHERE name = ?1", name);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<Volunteer>{};
  return std::optional<Volunteer>(std::move(rows->front()));
}

Result<std::vector<Volunteer>> volunteers_to_register(Store& store) {
  return select_volunteers(store, "WHERE public_key <> '' AND server_note = '' ORDER BY role = 'volunteer', name", "");
}

Status note_volunteer_registration(Store& store, const std::string& name, const std::string& public_key,
                                   const std::string& note) {
  auto q = store.db().prepare("UPDATE volunteer SET server_note = ?3 WHERE name = ?1 AND public_key = ?2");
  if (!q) return q.error().context("note volunteer registration");
  (*q)->bind(1, name).bind(2, public_key).bind(3, note);
  return (*q)->run().context("note volunteer registration");
}

Result<StaffKey> volunteer_signing_key(Store& store, const Volunteer& v, const std::string& pin) {
  const std::string ctx = "sign in " + v.name;
  if (v.key_salt.empty()) {
    auto k = make_key(store, v.name, v.role, pin, nullptr);
    if (!k) return k.error().context(ctx);
    auto q = store.db().prepare(
        "UPDATE volunteer SET key_salt = ?2, public_key = ?3, vouched_by = '', vouch = '', server_note = '' "
        "WHERE name = ?1 AND key_salt = ''");
    if (!q) return q.error().context(ctx);
    (*q)->bind(1, v.name).bind(2, k->salt).bind(3, k->public_key);
    if (auto st = (*q)->run(); !st) return st.error().context(ctx);
    auto again = find_volunteer(store, v.name);
    if (!again) return again.error().context(ctx);
    if (!*again || (*again)->key_salt.empty()) return fail(ctx + ": removed meanwhile");
    return volunteer_signing_key(store, **again, pin);
  }
  auto salt = signing::from_hex(v.key_salt, kVolunteerSaltBytes);
  if (!salt) return salt.error().context(ctx + ": key salt");
  auto pair = derive_volunteer_key(pin, *salt);
  if (!pair) return pair.error().context(ctx);
  if (signing::to_hex(pair->public_key) != v.public_key) return fail(ctx + ": the PIN does not give their key");
  return StaffKey{staff_author(v.name), std::move(*pair)};
}

Status add_volunteer(Store& store, const std::string& name, const std::string& pin, VolunteerRole role,
                     const std::string& enrolled_by, bool replace, const StaffKey* voucher) {
  if (auto st = check_volunteer_name(name); !st) return st;
  if (auto st = check_pin_rule(pin); !st) return st;
  const std::string hash = hash_pin(pin);
  if (hash.empty()) return fail("hash the PIN: out of memory");
  auto key = make_key(store, name, role, pin, voucher);
  if (!key) return key.error().context("add volunteer");
  auto tx = sql::Tx::begin(store.db());
  if (!tx) return tx.error().context("add volunteer");
  auto existing = find_volunteer(store, name);
  if (!existing) return existing.error();
  if (existing->has_value() && !replace) return fail(name + " is already enrolled");
  if (existing->has_value() && (*existing)->role == VolunteerRole::Lead && role != VolunteerRole::Lead) {
    auto leads = store.db().prepare("SELECT count(*) FROM volunteer WHERE role = 'lead'");
    if (!leads) return leads.error();
    if (auto r = (*leads)->step(); !r) return r.error();
    if ((*leads)->i64(0) <= 1) return fail(name + " is the last lead: enrol another lead first");
  }
  auto q = store.db().prepare(
      "INSERT INTO volunteer(name, pin_hash, role, enrolled_at, enrolled_by, key_salt, public_key, vouched_by, vouch, "
      "server_note) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, '') ON CONFLICT(name) DO UPDATE SET pin_hash = ?2, "
      "role = ?3, enrolled_at = ?4, enrolled_by = ?5, key_salt = ?6, public_key = ?7, vouched_by = ?8, vouch = ?9, "
      "server_note = ''");
  if (!q) return q.error().context("add volunteer");
  (*q)->bind(1, name).bind(2, hash).bind(3, std::string(to_string(role)));
  (*q)->bind(4, utc_now("%Y-%m-%dT%H:%M:%SZ")).bind(5, enrolled_by);
  (*q)->bind(6, key->salt).bind(7, key->public_key).bind(8, key->vouched_by).bind(9, key->vouch);
  if (auto st = (*q)->run(); !st) return st.error().context("add volunteer");
  return (*tx)->commit().context("add volunteer");
}

Status add_demo_lead(Store& store, const std::string& name, const std::string& pin) {
  auto existing = find_volunteer(store, name);
  if (!existing) return existing.error();
  if (existing->has_value()) return {};
  const std::string hash = hash_pin(pin);
  if (hash.empty()) return fail("hash the PIN: out of memory");
  auto key = make_key(store, name, VolunteerRole::Lead, pin, nullptr);
  if (!key) return key.error().context("add the demo lead");
  auto q = store.db().prepare(
      "INSERT INTO volunteer(name, pin_hash, role, enrolled_at, enrolled_by, key_salt, public_key, vouched_by, vouch, "
      "server_note) VALUES(?1, ?2, 'lead', ?3, ?6, ?4, ?5, '', '', '') ON CONFLICT(name) DO NOTHING");
  if (!q) return q.error().context("add the demo lead");
  (*q)->bind(1, name).bind(2, hash).bind(3, utc_now("%Y-%m-%dT%H:%M:%SZ")).bind(4, key->salt).bind(5, key->public_key);
  (*q)->bind(6, std::string(kDemoLeadMark));
  return (*q)->run().context("add the demo lead");
}

Status remove_volunteer(Store& store, const std::string& name) {
  auto tx = sql::Tx::begin(store.db());
  if (!tx) return tx.error().context("remove volunteer");
  auto v = find_volunteer(store, name);
  if (!v) return v.error();
  if (!v->has_value()) return fail(name + " is not enrolled");
  if ((*v)->role == VolunteerRole::Lead) {
    auto leads = store.db().prepare("SELECT count(*) FROM volunteer WHERE role = 'lead'");
    if (!leads) return leads.error();
    if (auto r = (*leads)->step(); !r) return r.error();
    if ((*leads)->i64(0) <= 1) return fail(name + " is the last lead: enrol another lead first");
  }
  auto q = store.db().prepare("DELETE FROM volunteer WHERE name = ?1");
  if (!q) return q.error().context("remove volunteer");
  if (auto st = (*q)->bind(1, name).run(); !st) return st.error().context("remove volunteer");
  return (*tx)->commit().context("remove volunteer");
}

std::int64_t lock_seconds(int lock_number, int first_lock_seconds) {
  static constexpr std::int64_t kFactor[] = {1, 5, 30, 120};
  const int i = std::clamp(lock_number, 1, static_cast<int>(std::size(kFactor))) - 1;
  return kFactor[i] * first_lock_seconds;
}

std::int64_t lock_left_ms(const PinLockout& l, std::int64_t now_ms, int first_lock_seconds) {
  if (l.locks == 0 || l.locked_until_ms <= now_ms) return 0;
  return std::min(l.locked_until_ms - now_ms, lock_seconds(l.locks, first_lock_seconds) * 1000);
}

PinLockout after_wrong_pin(PinLockout l, std::int64_t now_ms, int tries, int first_lock_seconds) {
  if (++l.failures >= tries) {
    l.failures = 0;
    ++l.locks;
    l.locked_until_ms = now_ms + lock_seconds(l.locks, first_lock_seconds) * 1000;
  }
  return l;
}

Result<PinLockout> read_lockout(Store& store) {
  auto q = store.db().prepare("SELECT failures, locks, locked_until_ms FROM staff_lockout WHERE id = 1");
  if (!q) return q.error().context("read the PIN lockout");
  auto row = (*q)->step();
  if (!row) return row.error().context("read the PIN lockout");
  if (!*row) return PinLockout{};
  return PinLockout{static_cast<int>((*q)->i64(0)), static_cast<int>((*q)->i64(1)), (*q)->i64(2)};
}

Result<PinLockout> note_wrong_pin(Store& store, std::int64_t now_ms, int tries, int first_lock_seconds) {
  auto tx = sql::Tx::begin(store.db());
  if (!tx) return tx.error().context("count a wrong PIN");
  auto before = read_lockout(store);
  if (!before) return before.error();
  const PinLockout l = after_wrong_pin(*before, now_ms, tries, first_lock_seconds);
  auto q = store.db().prepare(
      "INSERT INTO staff_lockout(id, failures, locks, locked_until_ms) VALUES(1, ?1, ?2, ?3) "
      "ON CONFLICT(id) DO UPDATE SET failures = ?1, locks = ?2, locked_until_ms = ?3");
  if (!q) return q.error().context("count a wrong PIN");
  if (auto st = (*q)->bind(1, l.failures).bind(2, l.locks).bind(3, l.locked_until_ms).run(); !st)
    return st.error().context("count a wrong PIN");
  if (auto st = (*tx)->commit(); !st) return st.error().context("count a wrong PIN");
  return l;
}

Status clear_lockout(Store& store) {
  auto q = store.db().prepare("DELETE FROM staff_lockout");
  if (!q) return q.error().context("clear the PIN lockout");
  return (*q)->run().context("clear the PIN lockout");
}

}  // namespace shelter
