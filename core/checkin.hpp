#pragma once
// Check-in operations shared by the kiosk and shelterctl: turning a scanned
// household card into arrival events, and status changes with their rules.
#include <vector>

#include "core/qr_payload.hpp"
#include "core/store.hpp"

namespace shelter {

// For each member of `card`: is that person present at this store's
// shelter already?
Result<std::vector<bool>> members_already_here(Store& store, const qr::HouseholdCard& card);

// A card the city did not sign (a neighbourhood group's or a resident's,
// or one whose signature does not verify) is a pre-fill: its ids are not
// trusted to name anyone, so that a card made with a known person's id can
// never move or describe them. Its members become new persons under ids
// this store makes: the same ones again when the card comes back to this
// store (kept in meta), new ones at another kiosk (staff merge those
// duplicates). Returns the card with those ids.
Result<qr::HouseholdCard> card_as_prefill(Store& store, const qr::HouseholdCard& card);

// Events for the chosen members (indexes into card.members) who are not
// already here: for each, an arrival (never refused), then, where the card's
// details differ from what this store knows (all of them for a new person),
// a registration of them. A registration applies only to a new person: for
// a known one it changes nothing here, the server refuses it
// (`known_person`), and staff see the difference to approve
// (Store::card_differences).
Result<std::vector<NewEvent>> card_arrivals(Store& store, const qr::HouseholdCard& card,
                                            const std::vector<size_t>& chosen, const std::string& stay,
                                            const std::string& author);

// A walk-in as they register on the kiosk's form: an arrival of a new person
// in `household` with the stay, and the registration of the fields the form
// asks for (name, reading, sex, birth, needs, consent). `pets` (canonical,
// "" none) goes on the arrival: the household's pets, given for its first
// member only.
std::vector<NewEvent> walkin_arrival(const PersonInfo& info, const HouseholdId& household, const std::string& stay,
                                     const std::string& author, const std::string& pets = "");

// Marks `duplicate` as the same person as `into` ("" undoes a merge).
NewEvent merge_event(const PersonId& duplicate, const PersonId& into, const std::string& author);

// Staff say `a` and `b` are not the same person: the pair is never proposed
// again, here or anywhere the event syncs to. Either order names the pair.
NewEvent not_duplicate_event(const PersonId& a, const PersonId& b, const std::string& author);

// went_out / came_back / left for a person, refused when it makes no sense
// ("person ... is out", "person ... moved to shelter B"). Recorded under this
// device's shelter, as every event a kiosk writes.
Result<NewEvent> presence_event(Store& store, const PersonId& id, EventType type, const std::string& author);

// What scanning a pass at this store's shelter records: the holder arrives
// (or, already here, goes out / comes back). A pass printed at another
// shelter names a person this kiosk may never have seen: the arrival is
// recorded with the ids alone; once it is synced, the shelter's feed brings
// the person's earlier events with their details (offline, nothing is lost
// or delayed).
struct PassAction {
  enum class Kind { Arrived, WentOut, CameBack, ArrivedUnknown } kind = Kind::Arrived;
  NewEvent event;
  std::string name;  // empty for ArrivedUnknown
};
Result<PassAction> pass_action(Store& store, const qr::Pass& pass, const std::string& author);

}  // namespace shelter
