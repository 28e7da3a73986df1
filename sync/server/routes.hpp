#pragma once
// The server's HTTP API without a socket: each route is a function from a
// plain request to a plain reply, authentication and role checks included.
// http.cpp binds them to cpp-httplib; the merge simulation (tests/sim) and
// the fuzz targets (tests/fuzz) call them directly.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/usb_export.hpp"
#include "sync/server/store.hpp"

namespace shelter::sync {

struct ApiRequest {
  std::string method;                         // "GET", "POST"
  std::string path;                           // without the query, e.g. "/v1/pull"
  std::map<std::string, std::string> params;  // query parameters
  std::string authorization;                  // the Authorization header ("Bearer <token>")
  std::string shelter_time;                   // the X-Shelter-Time header (a daemon's clock, ms)
  std::string remote_address;                 // the client's IP address ("" when not over the network)
  std::string body;
};

struct ApiReply {
  int status = 200;
  std::string body;  // JSON unless content_type says otherwise
  std::string content_type = "application/json";
  std::string attachment;        // a download's file name (Content-Disposition), "" for none
  int retry_after = 0;           // seconds, for a 429 or 503 (Retry-After), 0 for none
  int future_events = 0;         // push: events stamped too far ahead (clamped), for the kiosk status
  std::vector<std::string> log;  // what happened, for the server's log (never whose data)
  std::string log_refusal;       // logged for a refusal instead of its message (which may quote the request)
};

// The routes, as (method, path): what the HTTP layer binds. Any other
// request is not the API's (static files or 404).
struct RouteName {
  const char* method;
  const char* path;
};
const std::vector<RouteName>& api_routes();

// Answers one request to a route of api_routes() (404 for any other) at
// now_ms: authenticates the bearer token, checks the role, and records a
// kiosk's contact (ServerStore::note_contact) after a push or pull.
ApiReply route(ServerStore& st, const ApiRequest& request, std::int64_t now_ms);

// A JSON reply (200), and a refusal with {"error": message}.
ApiReply json_reply(std::string body);
ApiReply refused(int status, const std::string& message);

// The server's side of /v1/enrol, /v1/push and /v1/pull for an
// authenticated principal (sync_routes.cpp): route() and the merge
// simulation call these.
ApiReply serve_enrol(ServerStore& st, std::string_view body, std::int64_t now_ms);
ApiReply serve_push(ServerStore& st, const Principal& p, std::string_view body, std::int64_t now_ms);
// POST /v1/volunteers: a kiosk registers its volunteers' keys; each is
// answered (Credentials::register_volunteer).
ApiReply serve_volunteers(ServerStore& st, const Principal& p, std::string_view body);
// `refused_after`: at a shelter hub, the city's refusals of events it
// acknowledged are given after this position (hub_relay.hpp).
ApiReply serve_pull(ServerStore& st, const Principal& p, const std::string& shelter, std::int64_t after, int limit,
                    std::int64_t now_ms, std::int64_t refused_after = 0);

// /v1/hub/*, shelter hubs (hub_routes.cpp): POST report and GET volunteers
// at the city for a hub's token; GET status at any server for a kiosk's.
ApiReply serve_hub(ServerStore& st, const Principal& p, const ApiRequest& req, std::int64_t now_ms);
// POST /v1/import at a server without headquarters' key: a shelter hub
// queues the sealed file and its relay passes it on to the city; any other
// server answers 503 (no --hq-key).
ApiReply hub_queue_import(ServerStore& st, const Principal& p, const ApiRequest& req);
// A hub's own link to the city (null when this server is not a hub), and
// the hubs' last reports (city side), for GET /v1/devices.
nlohmann::json hub_link_json(ServerStore& st);
nlohmann::json hub_reports_json(ServerStore& st);

// GET /v1/duplicates for a `roster` account (duplicates_route.cpp): every
// candidate pair across shelters with both persons' details; each read is
// logged, who and how many pairs.
ApiReply serve_duplicates(ServerStore& st, const Principal& p);

// POST /v1/card-sheets?layout=a4|cut for a `roster` account
// (card_sheets_route.cpp): the body is a residents CSV (print/residents.hpp),
// the reply the household card sheets as a PDF, signed with the server's
// card key (ServerStore::card_key) if it has one. Nothing is kept.
inline constexpr size_t kMaxCardSheetCsvBytes = 2u << 20;
inline constexpr size_t kMaxCardSheetHouseholds = 2000;
ApiReply serve_card_sheets(ServerStore& st, const Principal& p, const ApiRequest& req);

// POST /v1/district-list (a CSV body, replacing any earlier list) and GET
// /v1/district-list/status (JSON per district) for a `roster` account
// (district_list_route.cpp, docs/district-list.md).
ApiReply serve_district_list_upload(ServerStore& st, const Principal& p, const ApiRequest& req, std::int64_t now_ms);
ApiReply serve_district_list_status(ServerStore& st, const Principal& p);

// A USB export carried to headquarters (`shelter-server import`): stored by
// serve_push, as pushes from the file's device, in batches: the same merge
// and the same rules (an event of another shelter or in conflict is refused
// by itself). The replies' acknowledgements and refusals, added up.
Result<PushReply> import_usb_at_server(ServerStore& st, const UsbExport& x, std::int64_t now_ms);

// Opens a sealed (version 2) USB export with headquarters' secret key and
// checks it against `keys` (ServerStore::keys): the signature must be by the
// header's device key, enrolled for the header's device and shelter and not
// revoked. Any failure refuses the whole file. Its events then go through
// import_usb_at_server (per event: shelter, write rules, clamp).
Result<UsbExport> open_sealed_export(const sealing::BoxKeyPair& hq, const std::vector<signing::TrustedKey>& keys,
                                     std::string_view file);

// The server's log (standard error): one line per thing that happened.
void log_line(const std::string& what);

}  // namespace shelter::sync
