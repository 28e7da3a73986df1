#pragma once
// Files that must be whole or absent: cards, exports, configs.
#include <sys/types.h>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace shelter {

// Writes `bytes` to `path` atomically: a temporary file in the same folder,
// fsync, rename over `path`, fsync of the folder. A crash or a full disk
// leaves either the old file or the new one, never half of one.
Status write_file_atomic(const std::string& path, std::string_view bytes, mode_t mode = 0600);

// rename(2), then fsync of the target's folder so the new name survives a
// power cut.
Status rename_durable(const std::string& from, const std::string& to);

// Reads a whole file (limited to `max_bytes`, so a wrong path to a huge file
// gives an error instead of eating memory).
Result<std::string> read_file_bytes(const std::string& path, size_t max_bytes = 64u << 20);

}  // namespace shelter
