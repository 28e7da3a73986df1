#pragma once
// Shared by the store's source files (store.cpp: writes and the fold;
// store_open.cpp: schema and opening; store_read.cpp: queries). Not part of
// the store's interface.
#include "core/event.hpp"
#include "core/sqlite.hpp"

namespace shelter::store_detail {

inline constexpr const char* kEventColumns =
    "seq, id, type, person_id, household_id, shelter_id, device_id, device_seq, author, hlc, body, clamp, origin";

// An event from a row of kEventColumns.
Result<Event> read_event(sql::Stmt& s);

}  // namespace shelter::store_detail
