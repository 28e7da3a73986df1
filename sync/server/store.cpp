// What both server stores share: the shelter checks and the pull reply.
#include "sync/server/store.hpp"

#include <algorithm>

namespace shelter::sync {

Status check_shelter(const std::string& id, const std::string& name, int capacity) {
  if (!is_valid_slug(id)) return fail("shelter id must be 1-32 of a-z 0-9 - _");
  if (name.size() > 200 || !is_valid_utf8(name)) return fail("shelter name: at most 200 bytes of UTF-8");
  if (capacity < 0 || capacity > 1'000'000) return fail("capacity must be 0 to 1000000");
  return {};
}

Result<std::string> ServerStore::login(const std::string& name, const std::string& password) {
  auto account = find_account(name);
  if (!account) return account.error();
  // A sign-in waits up to 2 s for a hash slot: a flood of them is answered
  // "busy" instead of queueing without end.
  if (!sign_in_guard_.enter_hash(2000)) return fail("busy: too many sign-ins at once; try again in a moment");
  const bool ok = account_password_matches(*account, password);
  sign_in_guard_.leave_hash();
  if (!ok) return fail("wrong name or password");
  return open_session(**account);
}

Status ServerStore::with_local_store(const std::function<Status(Store&)>&) {
  return fail("a shelter hub keeps its records in SQLite (--db FILE), not PostgreSQL");
}

Result<std::optional<signing::TrustedKey>> ServerStore::hq_public_key() {
  auto all = keys();
  if (!all) return all.error();
  std::optional<signing::TrustedKey> found;
  for (auto& k : *all)
    if (k.kind == "hq" && !k.revoked) found = std::move(k);
  return found;
}

Result<PullReply> feed_reply(std::vector<std::pair<std::int64_t, Event>> page, int limit, std::int64_t after,
                             const Backfill& backfill) {
  PullReply reply;
  reply.more = static_cast<int>(page.size()) > limit;
  if (reply.more) page.resize(static_cast<size_t>(limit));
  std::vector<Event> earlier;
  for (;;) {
    std::vector<PersonId> persons;
    for (const auto& [seq, e] : page) persons.push_back(e.person_id);
    std::sort(persons.begin(), persons.end());
    persons.erase(std::unique(persons.begin(), persons.end()), persons.end());
    auto b = backfill(persons);
    if (!b) return b.error().context("feed backfill");
    earlier = std::move(*b);
    if (page.size() + earlier.size() <= kMaxBatchEvents) break;
    if (page.size() == 1) {  // one person with a huge history: the newest of it
      earlier.erase(earlier.begin(), earlier.end() - static_cast<std::ptrdiff_t>(kMaxBatchEvents - 1));
      break;
    }
    page.resize(page.size() / 2);
    reply.more = true;
  }
  reply.next_cursor = page.empty() ? after : page.back().first;
  reply.events = std::move(earlier);
  for (auto& [seq, e] : page) reply.events.push_back(std::move(e));
  reply.server_time_ms = system_millis();  // core's one clock reading
  return reply;
}

}  // namespace shelter::sync
