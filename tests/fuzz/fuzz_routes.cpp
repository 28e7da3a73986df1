// libFuzzer target for the server's whole HTTP API without a socket: any
// method, path, query, credentials, clock header and body, through the
// route dispatcher (sync/server/routes.hpp) against a SQLite server store in
// a temporary directory. The input is lines:
//   METHOD \n PATH[?k=v&...] \n AUTHORIZATION \n X-SHELTER-TIME \n BODY...
// AUTHORIZATION "kiosk", "hq", "search" or "roster" stands for the bearer
// token of an enrolled kiosk (device d1 of shelter tama-01), a counts-role,
// a search-role and a roster-role headquarters account (the last reaches
// the CSV readers: card sheets, the district list); anything else is sent
// as given.
// Invariants: nothing crashes; every status is one the API answers; a JSON
// reply parses; a refusal carries an error message; an unauthenticated
// request never gets a 200 from a route that needs a token.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "sync/server/routes.hpp"

namespace {

using namespace shelter;

struct World {
  std::filesystem::path dir;
  std::unique_ptr<sync::ServerStore> store;
  std::string kiosk, hq, search, roster;

  World() {
    char tmpl[] = "/tmp/fuzz-routes.XXXXXX";
    if (!mkdtemp(tmpl)) std::abort();
    dir = tmpl;
    auto st = sync::open_sqlite_server_store((dir / "server.db").string());
    if (!st) std::abort();
    store = std::move(st).value();
    if (!store->set_shelter("tama-01", "Tama 1", 300)) std::abort();
    auto code = store->create_enrolment("tama-01", "d1", 24);
    // With a signing key, so GET /v1/keys has one to list.
    if (!code || !store->enrol(*code, "d1", signing::to_hex(signing::generate().public_key), kiosk)) std::abort();
    // No passwords: argon2 would make every input slow. /v1/login is still
    // reached (and refused) with any name.
    auto counts = store->add_user("ops", "counts", "");
    auto searcher = store->add_user("desk", "search", "");
    auto clerk = store->add_user("clerk", "roster", "");
    if (!counts || !searcher || !clerk) std::abort();
    hq = *counts;
    search = *searcher;
    roster = *clerk;
  }
  ~World() {
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

World& world() {
  static World w;  // destroyed at exit: the temporary directory goes
  return w;
}

std::string next_line(std::string_view& in) {
  const size_t nl = in.find('\n');
  std::string line(in.substr(0, nl));
  in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  World& w = world();
  std::string_view in(reinterpret_cast<const char*>(data), size);
  sync::ApiRequest req;
  req.method = next_line(in);
  std::string target = next_line(in);
  const std::string who = next_line(in);
  req.shelter_time = next_line(in);
  req.body = std::string(in);
  const size_t q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string::npos) {
    std::string_view query = std::string_view(target).substr(q + 1);
    while (!query.empty()) {
      const size_t amp = query.find('&');
      const std::string_view kv = query.substr(0, amp);
      const size_t eq = kv.find('=');
      req.params.emplace(std::string(kv.substr(0, eq)),
                         eq == std::string_view::npos ? std::string() : std::string(kv.substr(eq + 1)));
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    }
  }
  req.authorization = who == "kiosk"    ? "Bearer " + w.kiosk
                      : who == "hq"     ? "Bearer " + w.hq
                      : who == "search" ? "Bearer " + w.search
                      : who == "roster" ? "Bearer " + w.roster
                                        : who;
  const sync::ApiReply reply = sync::route(*w.store, req, 1'750'000'000'000);
  // 429: the sign-in guard slows repeated wrong passwords (issue 20).
  // 413: a CSV over its route's size limit.
  static const std::set<int> kStatuses = {200, 400, 401, 403, 404, 413, 429, 503};
  if (!kStatuses.count(reply.status)) std::abort();
  if (reply.content_type == "application/json" && !nlohmann::json::accept(reply.body)) std::abort();
  if (reply.status != 200 && sync::error_message(reply.body).empty()) std::abort();
  static const std::set<std::string> kPublic = {"/v1/health", "/v1/vocabulary", "/v1/enrol", "/v1/login"};
  // The harness's accounts have no password and enrolment codes are never
  // given out here: only its four tokens open a route that needs one.
  const bool token = who == "kiosk" || who == "hq" || who == "search" || who == "roster";
  if (reply.status == 200 && !token && !kPublic.count(req.path)) std::abort();
  return 0;
}
