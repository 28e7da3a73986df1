#pragma once
// JSON text for the hot paths, without building nlohmann values: quoted
// strings, and objects whose values are all strings (event bodies). The
// text is byte for byte what nlohmann's dump() writes for the same value
// (tests/unit/test_json_text.cpp holds it to that), so stored rows do not
// depend on which writer made them.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace shelter {

// Appends s as a JSON string literal. s must be valid UTF-8, as every
// string that came through nlohmann's parser is.
void append_json_string(std::string& out, std::string_view s);

// j.dump(): an object of strings is written here, anything else by nlohmann.
std::string dump_json(const nlohmann::json& j);

}  // namespace shelter
