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
void draw_staff_team(Ui& ui);  // the lead's team tab, inside staff mode
// A person's record in staff mode (kiosk/ui/staff_person.cpp): the fields,
// out/back/leave, the audit trail; and the editor for one field, typed for
// its kind (toggles, yes/no, buttons, or the keyboard for text).
void draw_staff_person(Ui& ui);
void draw_field_editor(Ui& ui);
// A stored field value as staff read it: needs, sex, consent and stay in
// words, others as they are.
std::string field_value_text(Ui& ui, const std::string& field, const std::string& value);
void tab_duplicates(Ui& ui);    // staff mode's duplicates tab (staff_duplicates.cpp)
void draw_staff_paper(Ui& ui);  // the paper fallback, on the export tab

// Staff mode's whole-screen keyboard page: a label, the text being typed,
// the keyboard, then cancel (intent `cancel` with `cancel_number`) and done.
void typing_page(Ui& ui, const std::string& label, const std::string& value, const std::string& id_prefix,
                 Intent::Kind cancel, Intent::Kind done, int cancel_number, const std::string& done_key);

const char* screen_name(Screen s);  // "welcome", ... for tests and screenshots

// Pets (staff_pets.cpp). One kind's row: its name and count between big
// minus and plus buttons (PetFewer / PetMore with the kind's index), ids
// "<prefix>pet-less:<kind>" and "<prefix>pet-more:<kind>"; height `height`.
void pet_stepper(Ui& ui, int kind, int count, const std::string& id_prefix, float height);
// "Pets: dog 1, cat 2" or "Pets: none", translated.
std::string pets_summary(Ui& ui, const std::vector<int>& pets);
// Staff's person tab: a button with the household's pets that opens their
// editor (EditPets 1), and the editor: +/- per kind, cancel (EditPets 0), save.
bool staff_pets_button(Ui& ui, const PersonDetail& p, float width);
void staff_pets(Ui& ui, const PersonDetail& p);

// The household's members as toggles (kiosk/ui/members.cpp): one column up
// to 4, two beyond. member_grid_height is what the grid needs to show every
// row; pass less and it scrolls.
int member_columns(size_t count);
float member_grid_height(const Ui& ui, size_t count);
void member_grid(Ui& ui, const std::vector<MemberRow>& members, const std::string& id_prefix, Intent::Kind toggle,
                 float height);
// `text` cut to `width` (current font) with an ellipsis: a long reading
// must not push a name off its button.
std::string elide(const std::string& text, float width);
// Heights for laying out a page from the bottom: a line of large text, and
// the notice (0 when there is none) wrapped at `width`.
float large_line(const Ui& ui);
float notice_height(const Ui& ui, float width);

// Shelter / car / home, shared by the scan result and the walk-in form: one
// row, the question on its left; stay_row_height is the row with spacing.
void stay_buttons(Ui& ui, const std::string& current, const std::string& id_prefix);
float stay_row_height(const Ui& ui);

}  // namespace shelter::ui
