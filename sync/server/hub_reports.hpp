#pragma once
// What each shelter hub last told the city about its kiosks (POST
// /v1/hub/report), for the dashboard's link view. Kept in memory only: a
// hub reports at every relay round, so a restarted city knows again within
// seconds, and nothing here is a record anyone must keep.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace shelter::sync {

struct HubKiosk {
  std::string device_id;
  std::optional<std::int64_t> last_push_ms, last_pull_ms;  // the kiosk's last sync with the hub
};

struct HubReport {
  std::string hub_device, shelter_id;
  std::int64_t at_ms = 0;    // when the city received it: the hub's last relay
  std::int64_t waiting = 0;  // events at the hub not yet relayed, when it reported
  std::vector<HubKiosk> kiosks;
};

class HubReports {
 public:
  void put(HubReport report) {
    std::lock_guard lock(mu_);
    by_hub_[report.hub_device] = std::move(report);
  }
  std::vector<HubReport> all() const {
    std::lock_guard lock(mu_);
    std::vector<HubReport> out;
    for (const auto& [hub, r] : by_hub_) out.push_back(r);
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, HubReport> by_hub_;
};

}  // namespace shelter::sync
