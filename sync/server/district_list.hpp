#pragma once
// The neighbourhood list at headquarters (docs/district-list.md): a
// 避難行動要支援者名簿 or a 町会 member list, uploaded as CSV, kept sealed
// (libsodium secretbox under the server's list key, a file beside the
// database, never in it), and matched against the server's persons to show
// each district who is in a shelter, who is out and who is unaccounted for.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.hpp"
#include "core/result.hpp"
#include "core/store.hpp"
#include "sync/server/store.hpp"

namespace shelter::sync {

inline constexpr size_t kMaxDistrictListBytes = 4u << 20;
inline constexpr size_t kMaxDistrictListEntries = 20000;
inline constexpr size_t kListKeyBytes = 32;  // crypto_secretbox_KEYBYTES

struct DistrictEntry {
  std::string district, name, reading, address;
  BirthDate birth;
  std::string card_id;  // the person id on the household card, "" for none
  bool operator==(const DistrictEntry&) const = default;
};

struct DistrictList {
  std::vector<DistrictEntry> entries;
  std::string uploaded_by;
  std::int64_t uploaded_ms = 0;
};

// Reads the CSV or fails with "line N: what is wrong" (header: line 1).
Result<std::vector<DistrictEntry>> read_district_list(std::string_view csv_text);

// The list as JSON, sealed with the list key (nonce + secretbox, hex), and
// back; opening fails for another key or a damaged box.
Result<std::string> seal_district_list(const std::string& key, const DistrictList& list);
Result<DistrictList> open_district_list(const std::string& key, std::string_view sealed_hex);

// The list key file (32 random bytes as hex, mode 0600): read, or made when
// it does not exist.
Result<std::string> load_or_make_list_key(const std::string& path);
// "<db path>.list-key"; "" for ":memory:".
std::string list_key_path(const std::string& db_path);

// How one entry stands against the server's persons.
enum class ListMatch { None, Exact, Probable };
struct EntryStatus {
  ListMatch match = ListMatch::None;
  const PersonRecord* person = nullptr;  // the matched person, if any
  Presence presence = Presence::None;    // theirs; Present or Out: accounted for
};
// By card id (exact) where the entry has one and a person has that id;
// otherwise by person_match_key of the reading (or name) and an equal full
// birth date (probable), preferring a present person, then one out.
std::vector<EntryStatus> match_district_list(const std::vector<DistrictEntry>& entries,
                                             const std::vector<PersonRecord>& persons);

}  // namespace shelter::sync
