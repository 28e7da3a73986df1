// The headquarters roles (sync/server/auth.hpp) as properties: for every
// role and every permission, and for every route of the API and every kind
// of caller, what is allowed is exactly the table in docs/security.md, and
// each role holds everything the one before it holds (counts ⊂ search ⊂
// roster). A new route that is not in the table below fails the test.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sync/server/auth.hpp"
#include "sync/server/routes.hpp"
#include "test_support.hpp"

using namespace shelter;
using namespace shelter::sync;

namespace {

const std::vector<std::string> kRoles = {"counts", "search", "roster"};
// Strings that are not roles: near misses, other kinds of caller, nothing.
const std::vector<std::string> kNotRoles = {"",      "Roster", "roster ", " search", "admin", "kiosk",
                                            "count", "all",    "*",       "root",    "hq",    "roster\n"};

// The documented table: what each role may do.
const std::map<std::string, std::set<std::string>> kGranted = {
    {"counts", {"counts"}},
    {"search", {"counts", "search"}},
    {"roster", {"counts", "search", "roster"}},
};

}  // namespace

TEST_CASE("is_role knows exactly the three roles") {
  for (const auto& r : kRoles) CHECK(is_role(r));
  for (const auto& r : kNotRoles) CHECK_FALSE(is_role(r));
}

TEST_CASE("role_allows is exactly the documented table") {
  const std::string role = GENERATE(from_range(kRoles));
  const std::string needed = GENERATE(from_range(kRoles));
  INFO(role << " needs " << needed);
  CHECK(role_allows(role, needed) == (kGranted.at(role).count(needed) == 1));
}

TEST_CASE("an unknown role holds nothing, an unknown permission is held by nobody") {
  const std::string other = GENERATE(from_range(kNotRoles));
  for (const auto& r : kRoles) {
    INFO("'" << other << "' against " << r);
    CHECK_FALSE(role_allows(other, r));
    CHECK_FALSE(role_allows(r, other));
  }
  CHECK_FALSE(role_allows(other, other));
}

TEST_CASE("each role holds everything the role before it holds: counts ⊂ search ⊂ roster") {
  for (size_t i = 0; i + 1 < kRoles.size(); ++i)
    for (const auto& needed : kRoles)
      if (role_allows(kRoles[i], needed)) CHECK(role_allows(kRoles[i + 1], needed));
  CHECK_FALSE(role_allows("counts", "search"));
  CHECK_FALSE(role_allows("search", "roster"));
}

namespace {

// Who calls: nobody, a kiosk of tama-01, the hub of tama-01, or an account
// of each role.
const std::vector<std::string> kCallers = {"nobody", "kiosk", "hub", "counts", "search", "roster"};

// Every route, with a request that is well formed for a caller allowed to
// make it, and who is allowed. "nobody" in the set: the route is public.
struct RouteCase {
  const char* method;
  const char* path;
  std::map<std::string, std::string> params;
  std::string body;
  std::set<std::string> allowed;
};

const std::set<std::string> kEveryone = {"nobody", "kiosk", "hub", "counts", "search", "roster"};
const std::set<std::string> kHeadquarters = {"counts", "search", "roster"};

std::vector<RouteCase> route_table() {
  return {
      {"GET", "/v1/health", {}, "", kEveryone},
      {"GET", "/v1/vocabulary", {}, "", kEveryone},
      // Public, but a code is needed: an empty body is a 400 for anyone.
      {"POST", "/v1/enrol", {}, "{}", kEveryone},
      {"POST", "/v1/login", {}, "{}", kEveryone},
      // A hub pushes and registers as itself, its own device id in the body
      // (tests/sim/test_hub.cpp): this body names the kiosk's, so 403 for it.
      {"POST", "/v1/push", {}, R"({"v":1,"device":"tama-01-a","events":[]})", {"kiosk"}},
      {"POST", "/v1/volunteers", {}, R"({"v":1,"device":"tama-01-a","volunteers":[]})", {"kiosk"}},
      {"GET", "/v1/pull", {{"shelter", "tama-01"}}, "", {"kiosk", "hub"}},
      {"GET", "/v1/keys", {}, "", {"kiosk", "hub"}},
      // A relayed USB file: an empty one is a 400 for a kiosk (sealed files: test_usb_sealed.cpp, test_sync.py).
      {"POST", "/v1/import", {}, "", {"kiosk", "hub"}},
      {"GET", "/v1/counts", {{"shelter", "tama-01"}}, "", {"kiosk", "hub", "counts", "search", "roster"}},
      {"POST", "/v1/hub/report", {}, R"({"v":1,"kiosks":[]})", {"hub"}},
      {"GET", "/v1/hub/volunteers", {}, "", {"hub"}},
      {"GET", "/v1/hub/status", {}, "", {"kiosk", "hub"}},
      {"GET", "/v1/devices", {}, "", kHeadquarters},
      {"GET", "/v1/me", {}, "", kHeadquarters},
      {"GET", "/v1/shelters", {}, "", kHeadquarters},
      {"GET", "/v1/timeline", {}, "", kHeadquarters},
      // Every role gets routes and counts; roster also the persons (test_sequences "8").
      {"GET", "/v1/transfers", {{"since", "0"}}, "", kHeadquarters},
      {"GET", "/v1/export/counts.csv", {}, "", kHeadquarters},
      {"GET", "/v1/search", {{"q", "山田 花子"}}, "", {"search", "roster"}},
      {"GET", "/v1/export/roster.csv", {}, "", {"roster"}},
      {"GET", "/v1/export/pfif.xml", {}, "", {"roster"}},
      {"GET", "/v1/duplicates", {}, "", {"roster"}},
      {"POST", "/v1/card-sheets", {{"layout", "cut"}}, "household,name\n1,山田 太郎\n", {"roster"}},
      {"POST", "/v1/district-list", {}, "district,name\n一丁目,山田 太郎\n", {"roster"}},
      {"GET", "/v1/district-list/status", {}, "", {"roster"}},
      // Last: an account's sign-out (its API token has no session to end).
      {"POST", "/v1/logout", {}, "", kHeadquarters},
  };
}

}  // namespace

TEST_CASE("every route allows exactly the documented callers") {
  test::TempDir dir;
  auto opened = open_sqlite_server_store(dir.file("server.db"));
  REQUIRE(opened);
  ServerStore& st = **opened;
  REQUIRE(st.set_shelter("tama-01", "Tama 1", 100));
  std::map<std::string, std::string> token;
  auto code = st.create_enrolment("tama-01", "tama-01-a", 24);
  REQUIRE(code);
  REQUIRE(st.enrol(*code, "tama-01-a", "", token["kiosk"]));
  REQUIRE(st.enrol(st.create_enrolment("tama-01", "tama-01-hub", 24, "hub").value(), "tama-01-hub", "", token["hub"]));
  for (const auto& role : kRoles) {
    auto t = st.add_user("hq-" + role, role, "");
    REQUIRE(t);
    token[role] = *t;
  }

  const auto table = route_table();
  // The table covers exactly the API's routes.
  std::set<std::string> documented, served;
  for (const auto& r : table) documented.insert(std::string(r.method) + " " + r.path);
  for (const auto& r : api_routes()) served.insert(std::string(r.method) + " " + r.path);
  CHECK(documented == served);

  for (const auto& r : table) {
    for (const auto& caller : kCallers) {
      ApiRequest req;
      req.method = r.method;
      req.path = r.path;
      req.params = r.params;
      req.body = r.body;
      if (caller != "nobody") req.authorization = "Bearer " + token[caller];
      const ApiReply reply = route(st, req, 1'800'000'000'000);
      const bool allowed = r.allowed.count(caller) == 1;
      INFO(r.method << " " << r.path << " by " << caller << ": " << reply.status << " " << reply.body.substr(0, 120));
      if (allowed) {
        CHECK(reply.status != 401);
        CHECK(reply.status != 403);
        CHECK(reply.status < 500);
      } else {
        CHECK((reply.status == 401 || reply.status == 403));
        if (caller == "nobody") CHECK(reply.status == 401);
        // A refusal carries a reason and nothing else.
        CHECK(reply.body.find("\"error\"") != std::string::npos);
        CHECK(reply.attachment.empty());
      }
    }
  }
}

TEST_CASE("a well-formed request of an allowed caller is answered with 200") {
  // The same table, the allowed callers only, for the routes whose request
  // above is complete (not enrol or login, which need a real code or
  // password, nor import, which needs a sealed file).
  test::TempDir dir;
  auto opened = open_sqlite_server_store(dir.file("server.db"));
  REQUIRE(opened);
  ServerStore& st = **opened;
  std::map<std::string, std::string> token;
  auto code = st.create_enrolment("tama-01", "tama-01-a", 24);
  REQUIRE(code);
  REQUIRE(st.enrol(*code, "tama-01-a", "", token["kiosk"]));
  REQUIRE(st.enrol(st.create_enrolment("tama-01", "tama-01-hub", 24, "hub").value(), "tama-01-hub", "", token["hub"]));
  for (const auto& role : kRoles) token[role] = st.add_user("hq-" + role, role, "").value();
  for (const auto& r : route_table()) {
    if (std::string(r.path) == "/v1/enrol" || std::string(r.path) == "/v1/login" || std::string(r.path) == "/v1/import")
      continue;
    for (const auto& caller : r.allowed) {
      ApiRequest req;
      req.method = r.method;
      req.path = r.path;
      req.params = r.params;
      req.body = r.body;
      if (caller != "nobody") req.authorization = "Bearer " + token[caller];
      const ApiReply reply = route(st, req, 1'800'000'000'000);
      INFO(r.method << " " << r.path << " by " << caller << ": " << reply.body.substr(0, 120));
      CHECK(reply.status == 200);
    }
  }
}
