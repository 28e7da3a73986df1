#pragma once
// The city's certificate authority on a kiosk (issue 20): the one CA whose
// certificates the daemon and shelterctl accept from the municipal server.
// Enrolment gives it to the kiosk as a file (--ca) or pins its fingerprint
// (--ca-sha256) and fetches it from the server, so that a kiosk cannot be
// pointed at an impostor on the shelter's Wi-Fi.
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace shelter::sync {

// SHA-256 of the certificate's DER bytes as `openssl x509 -fingerprint
// -sha256` prints it ("AB:CD:..."), of the first certificate in `pem`.
Result<std::string> certificate_fingerprint(std::string_view pem);

// True when two fingerprints name the same bytes, whatever their case,
// colons, spaces or a leading "sha256 Fingerprint=".
bool same_fingerprint(std::string_view a, std::string_view b);

// The CA served at <server>/city-ca.pem, accepted only if its fingerprint is
// `fingerprint`. The TLS link is not verified for this one request: the
// pin is what makes the answer trustworthy.
Result<std::string> fetch_city_ca(const std::string& server, std::string_view fingerprint, int timeout_seconds);

}  // namespace shelter::sync
