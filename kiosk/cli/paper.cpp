// shelterctl print: the paper fallback without the kiosk's screen. The
// shelter roster, a blank evacuee card (避難者カード) and a household's
// passes as A4 PDFs, the same pages staff mode prints (kiosk/app/paper.hpp).
#include <filesystem>
#include <iostream>

#include "core/fs_util.hpp"
#include "core/secrets.hpp"
#include "kiosk/app/paper.hpp"
#include "kiosk/cli/cli.hpp"

namespace shelter::cli {

namespace {

namespace paper = kiosk::paper;

struct PrintArgs {
  std::string lang = "ja", out, household, shelter;
};

std::string shelter_name(Store& store) {
  auto name = store.meta("shelter_name");
  return name && name->has_value() ? **name : store.shelter_id();
}

// The roster and passes hold personal data: only their owner reads them.
int write_pdf(const std::string& what, const std::string& out, const Result<std::string>& pdf, int mode) {
  if (!pdf) return report(pdf.error().context("print " + what));
  if (auto st = write_file_atomic(out, *pdf, mode); !st) return report(st.error().context("print " + what));
  std::cout << out << "\n";
  return 0;
}

int cmd_print_roster(const Common& c, const PrintArgs& a) {
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("print roster"));
  return write_pdf("roster", a.out, paper::roster_pdf(**store, shelter_name(**store), a.lang), 0600);
}

int cmd_print_blank_card(const Common& c, const PrintArgs& a) {
  // Headquarters prints cards without a kiosk's database: the shelter's
  // name is then --shelter, or a line to write it on.
  std::string name = a.shelter;
  if (name.empty() && std::filesystem::exists(c.db)) {
    auto store = open_store(c.db);
    if (!store) return report(store.error().context("print blank-card"));
    name = shelter_name(**store);
  }
  return write_pdf("blank-card", a.out, paper::blank_card_pdf(name, a.lang), 0644);
}

int cmd_print_passes(const Common& c, const PrintArgs& a) {
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("print passes"));
  auto key = ensure_device_key(secrets_path((*store)->path()));
  if (!key) return report(key.error().context("print passes"));
  auto passes = paper::household_passes(**store, a.household, *key);
  if (!passes) return report(passes.error().context("print passes"));
  if (passes->empty()) return report(fail("print passes: nobody of household " + a.household + " is at this shelter"));
  return write_pdf("passes", a.out, paper::pass_sheet_pdf(*passes, shelter_name(**store), a.lang), 0600);
}

}  // namespace

void add_print(CLI::App& app, Common& c, Commands& cmds) {
  auto* print = app.add_subcommand(
      "print", "Write the paper fallback as an A4 PDF: the roster, a blank evacuee card, a household's passes");
  print->require_subcommand(1);
  auto a = std::make_shared<PrintArgs>();
  auto common = [&a](CLI::App* sub) {
    sub->add_option("--lang", a->lang, "ja or en (default ja)")->check(CLI::IsMember({"ja", "en"}));
    sub->add_option("--out", a->out, "The PDF file to write")->required();
  };
  auto* roster = print->add_subcommand(
      "roster", "Everyone here or out at this shelter, by household (personal data: the file is mode 0600)");
  common(roster);
  cmds.add(roster, [&c, a] { return cmd_print_roster(c, *a); });
  auto* card = print->add_subcommand("blank-card", "A blank evacuee card (避難者カード) to fill in by hand");
  common(card);
  card->add_option("--shelter", a->shelter, "Shelter name printed on it (default: the database's, if any)");
  cmds.add(card, [&c, a] { return cmd_print_blank_card(c, *a); });
  auto* passes = print->add_subcommand("passes", "Every pass of a household on one sheet, each with its name");
  common(passes);
  passes->add_option("--household", a->household, "Household id (shelterctl list --json)")->required();
  cmds.add(passes, [&c, a] { return cmd_print_passes(c, *a); });
}

}  // namespace shelter::cli
