#pragma once
// What a kiosk may write about a person (docs/security.md, "What a kiosk
// may write"). The server applies this to every pushed or imported event,
// on both backends, against the person's state on the server just before
// the event; a refused event is refused alone, and the rest of its batch
// is stored.
//
// A kiosk of shelter S may write:
//   - anything about a person the server has never seen (a new person);
//   - anything about a person whose latest arrival is at S (or nowhere),
//     except details (below);
//   - an arrival at S of anyone (a transfer from another shelter, or a
//     household card or pass scanned at S);
//   - out, back or leave for a person who has a status at S.
// Never: corrections, merges, household links or dismissals of another
// shelter's persons, nor status events for a person S never saw.
//
// Details (name, consent, needs, contact: a `registered` event, or an
// arrival of an earlier version that carries them) apply only to a person
// who is new: once the server knows any detail of a person, from any
// shelter, a card or form can no longer change them (`known_person`); only
// a staff correction can. An arrival without details is never refused, so
// that no arrival is lost: a kiosk cannot know offline whether a card's
// person is known elsewhere, so it writes the arrival and the registration
// as two events, and only the registration can be refused.
//
// Authors: a kiosk writes as "self" (an evacuee at the kiosk) or
// "staff:<volunteer>" (staff mode, the volunteer signed in with their own
// PIN). Corrections, merges, household links and not_duplicate dismissals
// need a volunteer. The server does not take a kiosk's word for who it is:
// the event's device and shelter must be its credential's (sync/server),
// so an author is always "this volunteer, on this enrolled device".
#include <optional>
#include <string>

#include "core/event.hpp"
#include "core/projection.hpp"

namespace shelter {

struct WriteRefusal {
  std::string code;    // "not_this_shelter", "known_person", "bad_author", "not_staff"
  std::string reason;  // a sentence without personal data (ids and shelters only)
};

// nullopt: a kiosk of e.shelter_id may write e. `before` is the person's
// state on the server before e (nullptr: the server has never seen them).
std::optional<WriteRefusal> kiosk_write_refusal(const Event& e, const PersonState* before);

// Whether e carries a person's details (see above).
bool carries_details(const Event& e);
// The author part of the rule alone (needs no state).
std::optional<WriteRefusal> author_refusal(const Event& e);

}  // namespace shelter
