#pragma once
// The kiosk's brain: owns the view model, turns intents and QR detections
// into store writes, and the store's answers into what the screens show.
// Runs on the UI thread only; the camera threads hand it detections through
// the Scanner's queue.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/qr_payload.hpp"
#include "core/signing.hpp"
#include "core/store.hpp"
#include "core/volunteers.hpp"
#include "kiosk/app/config.hpp"
#include "kiosk/app/name_input.hpp"
#include "kiosk/app/printing.hpp"
#include "kiosk/ui/view_model.hpp"

namespace shelter::kiosk {

// A person's audit trail for the staff screen: local times, authors by
// name, and what each correction changed from and to.
std::vector<ui::HistoryEntry> history_entries(const std::vector<Event>& events);
// The sync tab's links (sync_links.cpp): a sync daemon's state line
// ("ok 2026-12-04 12:40:05Z (sent 3, received 5)", "error ...: why; last
// success ..."), and a hub's link to the city as a kiosk noted it (meta
// hub_city_link: JSON with state, last_relay in ms, waiting). Local times.
ui::SyncLinkVm sync_link_of(const std::string& state);
ui::SyncLinkVm hub_city_link_of(const std::string& json);

class Controller {
 public:
  using Clock = std::chrono::steady_clock;
  Controller(Store& store, Config config);

  ui::ViewModel& vm() { return vm_; }
  const ui::ViewModel& vm() const { return vm_; }

  // A decoded QR text from the camera. Returns true if it was acted on
  // (a check-in screen or a message), false if ignored on this screen.
  bool on_scan(const std::string& text, Clock::time_point now = Clock::now());
  void apply(const ui::Intent& intent, Clock::time_point now = Clock::now());
  // The camera's state changed (posted by the capture thread, drained by
  // the frame loop). A camera that is not live shows no picture: the screen
  // says why, and "I have no card" still works. True if the screen changes.
  bool on_camera(ui::CameraStatus status, const std::string& text);
  // Timers: inactivity, staff lock, PIN lockout countdown, notices, printer.
  void tick(Clock::time_point now = Clock::now());

  // Called when a check-in has been committed (for sound, latency figures).
  std::function<void(int persons)> on_checked_in;
  // Set when the screen changed since the last call (screenshots, sounds).
  bool take_screen_changed();
  // Set when a pass's confirm was answered (or cancelled): the pass still
  // held to the camera must not be read again at once, which would ask the
  // opposite question. The frame loop then keeps the scanner's repeat
  // filter, so the pass is read again only once it has left the view.
  bool take_pass_settled() { return std::exchange(pass_settled_, false); }
  // Whether the card on the scan-result screen carries a valid signature by
  // a city card key the kiosk trusts (false for an unsigned card, and for
  // one whose signature is bad, unknown or revoked: it reads as unsigned).
  bool card_city_signed() const { return card_city_signed_; }
  // The device's pass-signing key (from the secrets file beside the store).
  const signing::KeyPair& device_key() const { return device_key_; }

 private:
  void go(ui::Screen s, Clock::time_point now);
  void notice(const std::string& key, const std::string& detail = {}, bool error = false);
  void reset_walkin();
  void show_done(const std::vector<Event>& events, const std::vector<std::string>& names);
  // The walk-in's pages and the name entry (controller_walkin.cpp).
  EntryTarget entry_target();  // where typed text goes on this screen ({} nowhere)
  void entry_intent(const ui::Intent& in);
  void commit_entry();  // what is composed or converted, into the text
  void phone_key(const ui::Intent& in);
  void walkin_step(ui::WalkInStep step);
  void walkin_next();
  void walkin_skip();
  void walkin_back(Clock::time_point now);
  void submit_walkin(Clock::time_point now);
  // Pets (controller_pets.cpp): the walk-in's page and staff's household pets.
  ui::WalkInStep after_consent() const;  // the pets page after the first person, else the review
  std::string walkin_pets() const;       // the walk-in's pets, canonical ("" none)
  void pets_intent(const ui::Intent& in);
  void load_pets(ui::PersonDetail& d);
  void save_pets();
  static void add_pet_counts(std::vector<std::pair<std::string, int>>& rows, const ShelterCounts& c);
  void confirm_arrival(Clock::time_point now);
  void scan_pass(const qr::Pass& pass, Clock::time_point now);
  void confirm_pass(Clock::time_point now);
  // Sign-in and the lead's team tab (controller_team.cpp).
  void open_staff_pin(Clock::time_point now);
  void load_volunteers();
  // The keys a scanned code is checked against: the store's list from the
  // server, and this kiosk's own key.
  Result<signing::KeyRing> trusted_keys();
  void pin_submit(Clock::time_point now);
  void wrong_pin(Clock::time_point now);
  void pin_key(const ui::Intent& in, Clock::time_point now);
  void volunteer_next();
  void remove_volunteer(const std::string& name, bool confirmed);
  void sign_out();
  void show_lockout(Clock::time_point now);
  // The wall clock (ms) at `now`: the lockout in the store is in wall time,
  // the controller's timers in steady time.
  std::int64_t wall_ms(Clock::time_point now) const;
  std::string author() const { return staff_author(vm_.staff.signed_in); }
  void staff_search();
  void open_person(const std::string& id);
  void begin_edit(const std::string& field_name);
  void set_edit_value(const std::string& value);
  void toggle_edit_need(int bit);
  void save_edit();
  void set_presence(const std::string& what, bool household);
  void merge(const std::string& duplicate, int index);
  void not_duplicate(int index);
  void load_duplicates();
  void settle_card(const std::string& event_id, bool approve);
  void refresh_staff_tab();
  void export_usb();
  // Looks for the USB stick at the export folder: on opening the export tab
  // and, while it shows, every second (a stick plugged in shows up).
  void check_usb_stick(Clock::time_point now, bool now_anyway);
  void print_pass();
  // The paper fallback (controller_paper.cpp): the roster or a blank card.
  void print_paper(ui::Intent::Kind what, const std::string& lang);

  Store& store_;
  Config config_;
  signing::KeyPair device_key_;
  ui::ViewModel vm_;
  std::optional<qr::HouseholdCard> card_;
  bool card_city_signed_ = false;
  Clock::time_point last_touch_{};
  Clock::time_point notice_until_{};
  // The volunteer signed in: their key signs staff events and vouches for
  // volunteers a lead adds (core/volunteer_keys.hpp).
  std::optional<StaffKey> staff_key_;
  PinLockout lockout_;  // as in the store (or only here, when it cannot be written)
  Clock::time_point steady_at_start_ = Clock::now();
  std::int64_t wall_at_start_ = system_millis();
  bool screen_changed_ = true;
  bool pass_settled_ = false;
  PassPrinter printer_;
  NameInput input_;
  ui::Keyboard keyboard_before_reading_ = ui::Keyboard::Kana;
  Clock::time_point stick_checked_{};
};

}  // namespace shelter::kiosk
