#pragma once
// What the kiosk screens draw (ViewModel) and what they ask for (Intent).
// The UI is a function of the view model: screens read it and push intents;
// only the controller (kiosk/app) changes it. Nothing here knows about
// SQLite, sync or threads.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace shelter::ui {

enum class Screen { Welcome, ScanResult, WalkIn, Done, StaffPin, Staff, PassConfirm };
inline constexpr Screen kAllScreens[] = {Screen::Welcome,  Screen::ScanResult, Screen::WalkIn,     Screen::Done,
                                         Screen::StaffPin, Screen::Staff,      Screen::PassConfirm};

// A message on screen: a translation key, plus text that is not translated
// (a name, a detail from an error).
struct Notice {
  std::string key;
  std::string detail;
  bool error = false;
};

// The camera, as the screen says it: starting, showing pictures, not
// plugged in ("please call staff"), or plugged in but failing.
enum class CameraStatus { Starting, Live, NotConnected, Failed };

struct Preview {
  unsigned texture = 0;  // GL texture id, 0: no picture yet
  int width = 0, height = 0;
  bool outline = false;                            // a code was seen just now
  float x[4] = {0, 0, 0, 0}, y[4] = {0, 0, 0, 0};  // its corners, in frame pixels
  CameraStatus camera = CameraStatus::Starting;
  std::string camera_text;  // device description or why it is not live
  bool camera_ok() const { return camera == CameraStatus::Live; }
};

struct MemberRow {
  std::string person_id;
  std::string name, reading, birth;
  std::string needs;  // translated needs list, for the volunteer's eye
  bool selected = true;
  bool already_here = false;
};

struct ScanVm {
  std::string household_id;
  std::vector<MemberRow> members;
  std::string stay = "shelter";  // shelter, car, home
};

// A pass scanned for someone here: going out or coming back, with one
// confirm, for the holder and, if they choose, their household members here
// in the same state.
struct PassConfirmVm {
  bool going_out = true;           // false: coming back
  std::vector<MemberRow> members;  // the holder first (selected), then their household here
};

// One person being registered on the walk-in form.
struct DraftPerson {
  std::string name;     // as written: kanji, kana, Hangul, Latin with tone marks
  std::string reading;  // katakana, from what was typed in kana ("" none)
  // False once a character came in whose reading is not known (drawn by
  // hand, or deleted from a converted name): the reading page is then asked.
  bool reading_sure = true;
  std::string sex;       // "", M, F, X
  int birth_year = 0;    // 0: not given yet
  int birth_decade = 0;  // the decade button chosen, 0: none
  std::uint16_t needs = 0;
  int consent = -1;  // -1 not answered, 0 no, 1 yes
};

// Pets, address and phone: the household's, asked once after the first
// person's pages. The reading only for a name with kanji whose reading is
// not known from typing.
enum class WalkInStep { Name, Reading, Birth, Sex, Needs, Consent, Pets, Address, Phone, Review };
inline constexpr int kWalkInStepCount = 10;

// The name entry's keyboards and pad (name_entry.cpp): katakana (with
// kana->kanji conversion), Latin letters and digits, handwriting (kanji and
// kana; hanzi when the screen is in Chinese), Hangul 2-set, Vietnamese.
enum class Keyboard { Kana, Latin, Hand, Hangul, Viet };
inline constexpr Keyboard kAllKeyboards[] = {Keyboard::Kana, Keyboard::Latin, Keyboard::Hand, Keyboard::Hangul,
                                             Keyboard::Viet};

// What is being typed, beyond the text already entered: the composition
// (kana not yet converted, a Hangul syllable run, a Telex word), the
// conversion's segments and candidates, the handwriting pad's strokes and
// candidates. The controller owns the engines; this is what they show.
struct NameEntryVm {
  Keyboard keyboard = Keyboard::Kana;
  std::string preedit;
  struct Segment {
    std::string text;                     // the chosen candidate
    std::vector<std::string> candidates;  // the converter's, in its order
    int chosen = 0;
  };
  std::vector<Segment> segments;                       // converting when not empty
  int focus = 0;                                       // the segment the candidates are for
  std::vector<std::vector<std::array<float, 2>>> ink;  // strokes, in pad units 0..1
  std::vector<std::string> hand_candidates;            // best first
  bool hand_chinese = false;                           // the pad reads hanzi (Chinese screen)
  bool converting() const { return !segments.empty(); }
};

struct WalkInVm {
  std::vector<DraftPerson> people{DraftPerson{}};
  int current = 0;
  WalkInStep step = WalkInStep::Name;
  std::string stay = "shelter";
  std::string address, phone;  // the household's, optional
  std::vector<int> pets;       // the household's, a count per ViewModel::pet_kinds (empty: none)
  int this_year = 2026;
};

// One person's pass on the done screen.
struct PassVm {
  std::string name;  // whose pass
  std::string text;  // the QR text
  int qr_size = 0;
  std::vector<std::uint8_t> qr_modules;  // qr_size*qr_size, 1 = dark
};

struct DoneVm {
  std::vector<std::string> names;  // who was checked in
  std::vector<PassVm> passes;      // one per person checked in, in the same order
  int page = 0;                    // the pass shown
  bool can_print = false;
  bool printed = false;
  const PassVm* shown() const {
    return page >= 0 && static_cast<size_t>(page) < passes.size() ? &passes[static_cast<size_t>(page)] : nullptr;
  }
};

enum class StaffTab { Search, Person, Duplicates, Counts, Sync, Export, Team };  // Team: leads only
inline constexpr int kStaffTabCount = 7;

struct PersonRow {
  std::string person_id, name, reading, birth, presence, shelter;  // presence "moved": now at `shelter`
};

// One line of a person's audit trail: when (local time), what happened
// (an event type, "arrived", "corrected", ...), by whom ("self" or a
// volunteer's name) and, for a correction, each field's old and new value.
struct HistoryEntry {
  std::string when, type, author;
  std::vector<std::array<std::string, 3>> changes;  // field, old, new (values as stored)
};

struct PersonDetail {
  std::string person_id, household_id, presence;  // presence "moved": the latest arrival is at `shelter`
  // Field name -> value, the fields staff may edit (name, reading, sex, birth,
  // address, phone, needs, needs_other, consent, stay).
  std::map<std::string, std::string> fields;
  std::vector<HistoryEntry> history;  // the audit trail, oldest first
  std::string shelter;                // where the person's latest arrival is
  int household_here = 0;             // their household's members at this shelter (them included)
  // The household's pets, a count per ViewModel::pet_kinds: as stored (on
  // whichever member holds them) and as the volunteer is changing them.
  std::vector<int> pets, pets_draft;
  bool pets_editing = false;  // their editor is open
};

struct VolunteerRow {
  std::string name;
  bool lead = false;
  std::string enrolled_at;  // "" for the demo's built-in lead
};

// The lead's form that enrols a volunteer: a name, then a PIN twice.
enum class NewVolunteerStep { Name, Pin, PinAgain };
struct NewVolunteerVm {
  bool open = false;
  NewVolunteerStep step = NewVolunteerStep::Name;
  std::string name;
  std::string pin, pin_again;  // shown as dots
  bool lead = false;
};

// A possible duplicate, side by side: each row a field's label key, the
// left person's value and the right one's. `values` ("" none): a key prefix
// each comma-separated value is shown through ("sex.", "need.",
// "presence."), so that the screen translates them.
struct DuplicateVm {
  PersonRow a, b;  // left, right
  struct Field {
    std::string label, a, b, values;
  };
  std::vector<Field> fields;
};

// One link of the sync tab as last recorded by the sync daemon.
enum class LinkHealth { Unknown, Ok, Error };
struct SyncLinkVm {
  LinkHealth health = LinkHealth::Unknown;
  std::string when;           // the last attempt (hub ↔ city: the last relay), local time; "" never
  std::string last_ok;        // in error: the last success, local time; "" none
  std::string detail;         // in error: why, in the daemon's words
  std::int64_t waiting = -1;  // hub ↔ city: events waiting for the city; -1 not said
};

struct StaffVm {
  // Sign-in: who (a name from `volunteers`), then their PIN.
  std::vector<VolunteerRow> volunteers;
  std::string who;        // the name chosen on the PIN screen ("" none yet)
  std::string pin_entry;  // shown as dots
  int tries_left = 5;
  int locked_seconds = 0;       // > 0: too many wrong PINs, wait
  bool not_set_up = false;      // nobody enrolled: staff mode stays closed
  bool old_shared_pin = false;  // the config still has staff_pin_hash (no longer used)
  bool demo = false;            // demo kiosk: "demo" signs in with PIN 0000
  // Signed in.
  std::string signed_in;  // the volunteer's name, the author of staff events
  bool lead = false;
  NewVolunteerVm new_volunteer;
  std::string remove_asked;  // a volunteer whose removal awaits a second tap
  StaffTab tab = StaffTab::Search;
  std::string search;
  bool typing = false;  // the search keyboard is open
  std::vector<PersonRow> results;
  std::optional<PersonDetail> person;
  bool show_history = false;     // the person's audit trail instead of the fields
  bool whole_household = false;  // out / back / leave apply to the person's household here
  std::string edit_field;        // the field being edited ("" none)
  std::string edit_value;        // in the stored form: "F", "1", "infant,allergy", "1953"
  int edit_decade = 0;           // the birth editor's decade button, 0: none
  std::vector<DuplicateVm> duplicates;
  // Cards scanned for persons known already whose details differ from what
  // is stored: staff approve them as a correction, or dismiss them.
  struct CardDifferenceRow {
    std::string event_id, name;
    std::vector<std::array<std::string, 3>> fields;  // field, stored, card
  };
  std::vector<CardDifferenceRow> card_differences;
  // Counts: label -> number, in display order.
  std::vector<std::pair<std::string, int>> counts;
  std::string sync_state;  // what the sync daemon last wrote
  // A kiosk with a shelter hub shows each link: kiosk ↔ hub, hub ↔ city (as
  // the hub last said), kiosk ↔ city directly (the fallback).
  bool has_hub = false;
  SyncLinkVm link_hub, link_hub_city, link_city;
  std::int64_t unsynced = 0;
  // Own events the server refused for good: (what and why, the id of the
  // copy recorded again or "").
  std::vector<std::pair<std::string, std::string>> refused;
  std::string export_result;
  // The USB stick mounted at the export folder ("SHELTER (sdb1), 7.3 GB
  // free"), "" when none is: then the file stays in export_dir on the kiosk.
  std::string usb_stick;
  std::string export_dir;
  // The paper fallback (roster, blank cards): printed when a print command
  // is configured, else saved in the export folder: the last file saved.
  bool can_print = false;
  std::string paper_file;
};

struct ViewModel {
  Screen screen = Screen::Welcome;
  std::string lang = "ja";
  std::vector<std::pair<std::string, std::string>> languages;  // code, own name
  std::string shelter_name;
  // Need names in bit order ("illness", ...), from core: the walk-in toggles
  // and the translations ("need.<name>") follow them.
  std::vector<std::string> need_names;
  // From core's vocabulary too: stay types ("shelter", "car", "home") and the
  // person fields staff see and correct, in form order.
  std::vector<std::string> stay_names;
  std::vector<std::string> sex_codes;  // "F", "M", "X", "" (not given); labels: sex_key()
  std::vector<std::string> person_fields;
  std::vector<std::string> pet_kinds;  // "dog", "cat", "other"; labels "pet.<kind>"
  int pet_max = 20;                    // per kind, from core
  Preview preview;
  std::optional<Notice> notice;
  NameEntryVm entry;  // the one typing surface on screen (walk-in or staff)
  ScanVm scan;
  PassConfirmVm pass;
  WalkInVm walkin;
  DoneVm done;
  StaffVm staff;
  int idle_seconds_left = 0;  // shown when the screen is about to reset
};

// Things the user asked for. `text` and `number` carry the argument.
struct Intent {
  enum Kind {
    SetLanguage,     // text: language code
    ScanHelp,        // "scan your card": say how (scanning itself needs no tap)
    NoCard,          // open the walk-in form
    Cancel,          // back to Welcome, dropping what was entered
    ToggleMember,    // number: index in scan.members
    SetStay,         // text: shelter/car/home (scan result and walk-in)
    ConfirmArrival,  // check in the selected members
    // Key .. InkClear: the name entry's own intents, kept together (the
    // controller takes what is composed before any other intent).
    Key,  // text: a character from the on-screen keyboard (a Telex pair for a Vietnamese mark)
    Backspace,
    SwitchKeyboard,   // number: Keyboard
    Convert,          // kana -> kanji: convert what is typed in kana
    CommitEntry,      // take the conversion (or the composition) as it stands
    ChooseCandidate,  // number: index in the focused segment's candidates, or in hand_candidates
    FocusSegment,     // number: index in entry.segments
    ResizeSegment,    // number: +1 one kana longer, -1 shorter (the focused segment)
    InkPoint,         // text: "x,y" on the pad, 0..1 each; opens a stroke when none is open
    InkEnd,           // finger up: the stroke ends and candidates are asked for
    InkUndo,          // the last stroke off
    InkClear,
    SkipStep,  // walk-in: leave an optional page (address, phone, reading) empty and go on
    NextStep,
    PrevStep,
    SetBirthDecade,  // number: e.g. 1950
    SetBirthYear,    // number: e.g. 1953
    SetSex,          // text
    ToggleNeed,      // number: need bit index
    SetConsent,      // number: 0/1
    AddFamilyMember,
    EditDraft,  // number: person index to go back to
    SubmitWalkIn,
    PetMore,   // number: index in pet_kinds (the walk-in's pets, or staff's draft)
    PetFewer,  // number: index in pet_kinds
    NoPets,    // walk-in: no pets, on to the review
    EditPets,  // walk-in: back from the review to the pets page; staff: number 1 open the pets editor, 0 close
    SavePets,  // staff: the draft as a correction of the household's pets
    Finish,    // done screen -> Welcome
    PrintPass,
    DonePage,          // number: the pass to show (index in done.passes)
    TogglePassMember,  // number: index in pass.members
    ConfirmPass,       // going out / coming back for the chosen pass.members
    OpenStaff,         // to the PIN screen
    PinDigit,          // text: "0".."9"
    PinBackspace,
    PinSubmit,
    ChooseVolunteer,       // text: who signs in on the PIN screen ("" choose again)
    StaffTabOpen,          // number: StaffTab
    StaffSearch,           // run the search with staff.search (and close the keyboard)
    StaffTyping,           // number: 1 open the search keyboard, 0 close it
    ToggleHistory,         // the person's fields <-> their audit trail
    ToggleWholeHousehold,  // out / back / leave for the person alone <-> their household here
    OpenPerson,            // text: person id
    BeginEdit,             // text: field name
    SaveEdit,              // staff.edit_field = staff.edit_value, as a correction event
    SetEditValue,          // text: the value chosen on a choice field (sex, consent, stay, birth year)
    ToggleEditNeed,        // number: need bit index, on the needs being edited
    EditBirthDecade,       // number: e.g. 1950, the birth editor's decade
    SetPresence,           // text: out/back/leave for staff.person; number 1: their whole household here
    Merge,                 // text: duplicate id, number: index in staff.duplicates (keep the other)
    NotDuplicate,          // number: index in staff.duplicates: not the same person, never proposed again
    ApproveCard,           // text: event id in staff.card_differences: correct the person to the card
    DismissCard,           // text: event id in staff.card_differences: keep what is stored
    ExportUsb,
    PrintRoster,      // text: "ja" or "en"; printed, or a PDF in the export folder
    PrintBlankCard,   // text: "ja" or "en"; a blank evacuee card, the same way
    VolunteerForm,    // number: 1 open the lead's add-volunteer form, 0 close it
    VolunteerNext,    // the form's next step: name -> PIN -> PIN again -> enrolled
    VolunteerLead,    // number: 1 the new volunteer is a lead, 0 not
    RemoveVolunteer,  // text: name; number: 0 ask, 1 confirmed
    LeaveStaff,
    Touch,  // any input: resets the inactivity timer
  };
  Kind kind;
  std::string text;
  int number = 0;
};

}  // namespace shelter::ui
