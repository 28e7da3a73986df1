// The HTTP layer: cpp-httplib bound to the routes (routes.hpp), the
// dashboard's static files, the security headers and the log. Nothing here
// decides anything about a request.
#include "sync/server/server.hpp"

#include <httplib.h>

#include <chrono>

namespace shelter::sync {

namespace {

constexpr std::chrono::seconds kBodyDeadline{20};
constexpr size_t kServerThreads = 16;  // deploy/nginx/shelter-checkin.conf: max_conns=48

// Behind the packaged nginx edge every peer is 127.0.0.1; nginx names the
// real one in X-Real-IP (deploy/nginx/shelter-checkin.conf), which the
// sign-in guard needs. Only a loopback peer is believed: a client across
// the network (--host 0.0.0.0) cannot pick its own address.
std::string client_address(const httplib::Request& req) {
  const std::string forwarded = req.get_header_value("X-Real-IP");
  if (is_loopback_host(req.remote_addr) && !forwarded.empty() && forwarded.size() <= 45) return forwarded;
  return req.remote_addr;
}

ApiRequest to_api_request(const httplib::Request& req) {
  ApiRequest r;
  r.method = req.method;
  r.path = req.path;
  for (const auto& [name, value] : req.params) r.params.emplace(name, value);  // the first of repeated names
  r.authorization = req.get_header_value("Authorization");
  r.shelter_time = req.get_header_value("X-Shelter-Time");
  r.remote_address = client_address(req);
  r.body = req.body;  // empty for a POST: read_body reads it
  return r;
}

// A request body, inflated by cpp-httplib (Content-Encoding gzip) but never
// kept beyond kMaxBodyBytes: a small gzip body that inflates to gigabytes
// is refused with 413 once it passes the limit, before the token is even
// looked at (cpp-httplib's own reading would inflate all of it first).
// Returns 0, or the status refusing the body.
// The whole body must arrive within kBodyDeadline: a client sending a byte
// every few seconds (each read within httplib's timeout) is cut off.
int read_body(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader,
              std::string& body) {
  if (req.is_multipart_form_data()) return 400;  // never read: refused unread, the connection closed
  bool over = false;
  bool late = false;
  const auto deadline = std::chrono::steady_clock::now() + kBodyDeadline;
  const bool read = reader([&](const char* data, size_t n) {
    if (body.size() + n > kMaxBodyBytes) {
      over = true;
      return false;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      late = true;
      return false;
    }
    body.append(data, n);
    return true;
  });
  if (read) return 0;
  if (late) return 408;
  return over || res.status == 413 ? 413 : 400;
}

void refuse_body(const httplib::Request& req, httplib::Response& res, int status) {
  const std::string why =
      req.path + (status == 413
                      ? ": body over the limit of " + std::to_string(kMaxBodyBytes) + " bytes (after decompression)"
                  : status == 408 ? ": body not sent within " + std::to_string(kBodyDeadline.count()) + " s"
                                  : ": body unreadable (broken encoding, or multipart)");
  log_line("refused (" + std::to_string(status) + "): " + why);
  res.status = status;
  res.set_header("Connection", "close");  // what is left of the body is not read
  res.set_content(error_body(why), "application/json");
}

}  // namespace

struct Server::Impl {
  ServerStore& store;
  ServerOptions options;
  httplib::Server http;
  int bound = 0;
};

Server::Server(ServerStore& store, ServerOptions options) : impl_(new Impl{store, std::move(options), {}, 0}) {
  auto& http = impl_->http;
  http.set_payload_max_length(kMaxBodyBytes);
  // Each connection holds a thread while open. The packaged nginx edge
  // keeps none open and sends at most 48 requests at once, so the queue
  // behind these threads is bounded there. An idle keep-alive or a silent
  // peer frees its thread within seconds.
  http.new_task_queue = [] { return new httplib::ThreadPool(kServerThreads); };
  http.set_read_timeout(5, 0);
  http.set_write_timeout(5, 0);
  http.set_keep_alive_timeout(2);
  prepare_sign_in();
  auto answer = [&st = impl_->store](const ApiRequest& request, httplib::Response& res) {
    const ApiReply reply = route(st, request, st.now_ms());
    for (const auto& line : reply.log) log_line(line);
    res.status = reply.status;
    if (!reply.attachment.empty())
      res.set_header("Content-Disposition", "attachment; filename=\"" + reply.attachment + "\"");
    if (reply.retry_after > 0) res.set_header("Retry-After", std::to_string(reply.retry_after));
    res.set_content(reply.body, reply.content_type);
  };
  for (const RouteName& name : api_routes()) {
    if (std::string(name.method) == "POST")
      http.Post(name.path,
                [answer](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
                  ApiRequest request = to_api_request(req);
                  if (const int refused = read_body(req, res, reader, request.body))
                    return refuse_body(req, res, refused);
                  answer(request, res);
                });
    else
      http.Get(name.path,
               [answer](const httplib::Request& req, httplib::Response& res) { answer(to_api_request(req), res); });
  }
  // Any other request with a body is read through the same limit, then 404.
  auto elsewhere = [](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    std::string body;
    if (const int refused = read_body(req, res, reader, body)) return refuse_body(req, res, refused);
    res.status = 404;
    res.set_content(error_body("no such route"), "application/json");
  };
  http.Post(".*", elsewhere);
  http.Put(".*", elsewhere);
  http.Patch(".*", elsewhere);
  http.Delete(".*", elsewhere);
  // The pre-registration page, and its QR encoder straight from the Debian
  // package (not copied into the repository). The first mount whose prefix
  // matches and holds the file wins, so the narrower ones come first.
  const auto& opts = impl_->options;
  if (!opts.prereg_dir.empty()) {
    if (!http.set_mount_point("/prereg/vendor/", opts.prereg_vendor_dir))
      log_line("QR encoder folder " + opts.prereg_vendor_dir + " not found (apt-get install node-qrcode-generator)");
    if (!http.set_mount_point("/prereg/", opts.prereg_dir))
      log_line("pre-registration folder " + opts.prereg_dir + " not found: not serving /prereg/");
  }
  // The dashboard: static files, no scripts from elsewhere.
  if (!impl_->options.dashboard_dir.empty() && !http.set_mount_point("/", impl_->options.dashboard_dir))
    log_line("dashboard folder " + impl_->options.dashboard_dir + " not found: serving the API only");
  http.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Content-Type-Options", "nosniff");
    // Never framed (no clickjacking of the dashboard), and HTTPS only once
    // a browser has seen it over HTTPS (browsers ignore HSTS on plain HTTP).
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'");
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Strict-Transport-Security", "max-age=31536000");
    res.set_header("Cache-Control", "no-store");
  });
}

Server::~Server() {
  stop();
}

Status Server::run() {
  auto& http = impl_->http;
  if (impl_->options.port == 0) {
    impl_->bound = http.bind_to_any_port(impl_->options.host);
  } else if (http.bind_to_port(impl_->options.host, impl_->options.port)) {
    impl_->bound = impl_->options.port;
  }
  if (impl_->bound <= 0)
    return fail("listen on " + impl_->options.host + ":" + std::to_string(impl_->options.port) + ": cannot bind");
  log_line("listening on " + impl_->options.host + ":" + std::to_string(impl_->bound));
  if (!http.listen_after_bind()) return fail("serve: the listener stopped with an error");
  return {};
}

void Server::stop() {
  if (impl_) impl_->http.stop();
}

int Server::port() const {
  return impl_->bound;
}

}  // namespace shelter::sync
