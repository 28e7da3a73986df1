// The kiosk's write path in a loop, for the crash soak: each arrival is
// committed with Store::record (as the kiosk's confirm button does) and only
// then acknowledged on stdout, one person id per line. The soak kills this
// process with -9 at random moments; every id it printed must survive.
// usage: crash_writer DB
#include <cstdio>
#include <iostream>
#include <thread>

#include "core/store.hpp"

int main(int argc, char** argv) {
  using namespace shelter;
  if (argc != 2) return 2;
  auto store = Store::open(argv[1]);
  if (!store) {
    std::cerr << "crash_writer: " << store.error().message << "\n";
    return 1;
  }
  for (unsigned i = 0;; ++i) {
    PersonInfo info;
    info.name = "Crash test " + std::to_string(i);
    info.reading = "クラッシュ";
    info.birth = *parse_birth(std::to_string(1930 + i % 90));
    NewEvent e;
    e.type = EventType::Arrived;
    e.person_id = new_id();
    e.household_id = new_id();
    e.body = person_body(info);
    e.body["stay"] = "shelter";
    auto r = (*store)->record(e);
    if (!r) {
      std::cerr << "crash_writer: " << r.error().message << "\n";  // busy: try again
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    std::printf("%s\n", e.person_id.c_str());
    std::fflush(stdout);
  }
}
