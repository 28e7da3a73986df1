// Dashboard sign-in under attack (sync/server/sign_in_guard.hpp): wrong
// tries slow down the name and the address with growing waits, a waiting
// try costs no hash, and a flood finds the hash slots full and is told so.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "sync/server/routes.hpp"
#include "test_support.hpp"

using namespace shelter;
using namespace shelter::sync;

TEST_CASE("wrong sign-ins wait longer each time, per name and per address") {
  SignInGuard g;
  const std::int64_t t = 1'000'000;
  for (int i = 0; i < SignInGuard::kFreeTries; ++i) {
    CHECK(g.wait_ms("hq", "10.0.0.9", t) == 0);
    g.failed("hq", "10.0.0.9", t);
  }
  CHECK(g.wait_ms("hq", "10.0.0.9", t) == 0);  // the free tries are used up, no wait yet
  g.failed("hq", "10.0.0.9", t);
  CHECK(g.wait_ms("hq", "", t) == 1000);
  CHECK(g.wait_ms("other-name", "10.0.0.9", t) == 1000);  // the address waits too
  CHECK(g.wait_ms("other-name", "10.0.0.7", t) == 0);
  g.failed("hq", "10.0.0.9", t + 1000);
  CHECK(g.wait_ms("hq", "", t + 1000) == 2000);
  g.failed("hq", "10.0.0.9", t + 3000);
  CHECK(g.wait_ms("hq", "", t + 3000) == 4000);
  for (int i = 0; i < 40; ++i) g.failed("hq", "10.0.0.9", t);
  CHECK(g.wait_ms("hq", "", t) == SignInGuard::kMaxWaitMs);
  g.succeeded("hq");
  CHECK(g.wait_ms("hq", "", t) == 0);
  CHECK(g.wait_ms("hq", "10.0.0.9", t) > 0);  // the address still waits
}

TEST_CASE("hash slots: a third sign-in at once waits, then is told the server is busy") {
  SignInGuard g;
  REQUIRE(g.enter_hash(0));
  REQUIRE(g.enter_hash(0));
  CHECK_FALSE(g.enter_hash(50));
  g.leave_hash();
  CHECK(g.enter_hash(50));
  g.leave_hash();
  g.leave_hash();
}

namespace {

ApiReply sign_in(ServerStore& st, const std::string& name, const std::string& password, std::int64_t now,
                 const std::string& address = "192.0.2.1") {
  ApiRequest req;
  req.method = "POST";
  req.path = "/v1/login";
  req.remote_address = address;
  req.body = nlohmann::json{{"name", name}, {"password", password}}.dump();
  return route(st, req, now);
}

}  // namespace

TEST_CASE("POST /v1/login: 401, then 429 with Retry-After, the same for an unknown name") {
  test::TempDir dir;
  auto opened = open_sqlite_server_store(dir.file("server.db"));
  REQUIRE(opened);
  ServerStore& st = **opened;
  REQUIRE(st.add_user("hq", "counts", "correct horse battery"));
  const std::int64_t t = 1'800'000'000'000;
  CHECK(sign_in(st, "hq", "correct horse battery", t).status == 200);
  for (const std::string name : {"hq", "nobody"}) {
    const std::string address = "192.0.2." + std::to_string(name.size());
    INFO(name);
    for (int i = 0; i <= SignInGuard::kFreeTries; ++i) {
      const ApiReply r = sign_in(st, name, "wrong password", t, address);
      CHECK(r.status == 401);
      CHECK(r.body.find("wrong name or password") != std::string::npos);
    }
    const ApiReply waiting = sign_in(st, name, "correct horse battery", t, address);
    CHECK(waiting.status == 429);
    CHECK(waiting.retry_after == 1);
    // After the wait, the right password signs in and the name is forgiven.
    if (name == "hq") {
      CHECK(sign_in(st, name, "correct horse battery", t + 1000, address).status == 200);
      CHECK(sign_in(st, name, "correct horse battery", t + 1000, "198.51.100.1").status == 200);
    }
  }
}

TEST_CASE("POST /v1/login: with every hash slot taken the answer is 503 busy, not a queue") {
  test::TempDir dir;
  auto opened = open_sqlite_server_store(dir.file("server.db"));
  REQUIRE(opened);
  ServerStore& st = **opened;
  REQUIRE(st.add_user("hq", "counts", "correct horse battery"));
  for (int i = 0; i < SignInGuard::kMaxConcurrentHashes; ++i) REQUIRE(st.sign_in_guard().enter_hash(0));
  const ApiReply r = sign_in(st, "hq", "correct horse battery", 1'800'000'000'000);
  CHECK(r.status == 503);
  CHECK(r.retry_after > 0);
  CHECK(r.body.find("busy") != std::string::npos);
  for (int i = 0; i < SignInGuard::kMaxConcurrentHashes; ++i) st.sign_in_guard().leave_hash();
  CHECK(sign_in(st, "hq", "correct horse battery", 1'800'000'000'000).status == 200);
}
