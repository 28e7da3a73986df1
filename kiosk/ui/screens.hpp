#pragma once
// One function per screen; draw() picks the current one.
#include "kiosk/ui/widgets.hpp"

namespace shelter::ui {

// Draws the whole kiosk for one frame into a full-window ImGui window.
void draw(Ui& ui);

void draw_welcome(Ui& ui);
void draw_scan_result(Ui& ui);
void draw_walkin(Ui& ui);
void draw_done(Ui& ui);
void draw_pass_confirm(Ui& ui);
void draw_staff_pin(Ui& ui);
void draw_staff(Ui& ui);
void draw_staff_team(Ui& ui);   // the lead's team tab, inside staff mode
void draw_staff_paper(Ui& ui);  // the paper fallback, on the export tab

// Staff mode's whole-screen keyboard page: a label, the text being typed,
// the keyboard, then cancel (intent `cancel` with `cancel_number`) and done.
void typing_page(Ui& ui, const std::string& label, const std::string& value, const std::string& id_prefix,
                 Intent::Kind cancel, Intent::Kind done, int cancel_number, const std::string& done_key);

const char* screen_name(Screen s);  // "welcome", ... for tests and screenshots

// Shelter / car / home, shared by the scan result and the walk-in form.
void stay_buttons(Ui& ui, const std::string& current, const std::string& id_prefix);

}  // namespace shelter::ui
