#pragma once
// What a kiosk may write about a person (docs/security.md, "What a kiosk
// may write"). The server applies this to every pushed or imported event,
// on both backends, against the person's state on the server just before
// the event; a refused event is refused alone, and the rest of its batch
// is stored.
//
// A kiosk of shelter S may write:
//   - anything about a person the server has never seen (a new person);
//   - anything about a person whose latest arrival is at S (or nowhere);
//   - an arrival at S of anyone (a transfer from another shelter, or a
//     household card scanned at S);
//   - out, back or leave for a person who has a status at S.
// Never: corrections, merges or household links of another shelter's
// persons, nor status events for a person S never saw.
//
// An arrival is never refused, so that no arrival is lost: a kiosk cannot
// know offline whether a card's person is known elsewhere. That an
// arrival's card fields apply only to a person who is new is the card
// rule of docs/security.md, not this one.
#include <optional>
#include <string>

#include "core/event.hpp"
#include "core/projection.hpp"

namespace shelter {

struct WriteRefusal {
  std::string code;    // "not_this_shelter"
  std::string reason;  // a sentence without personal data (ids and shelters only)
};

// nullopt: a kiosk of e.shelter_id may write e. `before` is the person's
// state on the server before e (nullptr: the server has never seen them).
std::optional<WriteRefusal> kiosk_write_refusal(const Event& e, const PersonState* before);

}  // namespace shelter
