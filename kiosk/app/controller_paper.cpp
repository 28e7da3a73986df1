// The controller's paper fallback, on staff mode's export tab: the shelter
// roster and blank evacuee cards (避難者カード) in Japanese or English, for
// when the kiosk or the power goes. They go to the print command; without
// one, the PDF goes to the export folder and the screen says where.
#include <filesystem>

#include "core/fs_util.hpp"
#include "core/hlc.hpp"
#include "kiosk/app/controller.hpp"
#include "kiosk/app/paper.hpp"

namespace shelter::kiosk {

using ui::Intent;

void Controller::print_paper(Intent::Kind what, const std::string& lang) {
  if (vm_.screen != ui::Screen::Staff || vm_.staff.signed_in.empty()) return;
  if (!paper::known_lang(lang)) return notice("staff.paper_failed", "language " + lang, true);
  const bool roster = what == Intent::PrintRoster;
  vm_.staff.paper_file.clear();
  if (printer_.busy()) return notice("staff.print_busy", {}, true);
  auto pdf = roster ? paper::roster_pdf(store_, vm_.shelter_name, lang) : paper::blank_card_pdf(vm_.shelter_name, lang);
  if (!pdf) return notice("staff.paper_failed", pdf.error().message, true);
  if (printer_.enabled()) {
    if (auto st = printer_.start(*pdf, ".pdf"); !st) return notice("staff.paper_failed", st.error().message, true);
    return notice("staff.paper_printing");
  }
  // No printer: a file for a stick, to print elsewhere. The roster holds
  // personal data, as the USB export does: only the kiosk's user reads it.
  const std::string name = std::string(roster ? "roster-" : "evacuee-card-") + lang + "-" + store_.shelter_id() + "-" +
                           utc_now("%Y%m%dT%H%M%SZ") + ".pdf";
  const std::string path = (std::filesystem::path(config_.export_dir) / name).string();
  if (auto st = write_file_atomic(path, *pdf, roster ? 0600 : 0644); !st)
    return notice("staff.paper_failed", st.error().message, true);
  vm_.staff.paper_file = path;
  notice("staff.paper_saved");
}

}  // namespace shelter::kiosk
