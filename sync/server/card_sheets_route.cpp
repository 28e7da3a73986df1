// POST /v1/card-sheets: headquarters uploads a residents CSV and gets the
// household card sheets back as a PDF (print/card_sheet.hpp), signed with
// the city's card key when the server holds it (--card-key). The CSV lives
// in memory for the request only: never written, never logged (the log
// says who made how many cards, and a refusal says why in general terms).
#include <mutex>

#include "print/card_sheet.hpp"
#include "print/residents.hpp"
#include "sync/server/routes.hpp"

namespace shelter::sync {

ApiReply serve_card_sheets(ServerStore& st, const Principal& p, const ApiRequest& req) {
  auto bad = [](int status, const std::string& message, const std::string& in_log) {
    ApiReply r = refused(status, "card sheets: " + message);
    r.log_refusal = "card sheets: " + in_log;  // never the CSV's cells
    return r;
  };
  if (req.body.size() > kMaxCardSheetCsvBytes)
    return bad(
        413,
        "the residents CSV is over " + std::to_string(kMaxCardSheetCsvBytes >> 20) + " MiB: split it, e.g. by district",
        "CSV over the size limit");
  // One sheet job at a time: a city's whole list takes seconds of a core,
  // and a second one (a double click, a retry) must not take the threads
  // the kiosks sync on.
  static std::mutex one_job;
  std::unique_lock job(one_job, std::try_to_lock);
  if (!job.owns_lock()) {
    ApiReply busy = bad(503, "another card sheet is being made: try again in a minute", "another job running");
    busy.retry_after = 30;
    return busy;
  }
  auto layout = req.params.find("layout");
  const std::string name = layout == req.params.end() ? "a4" : layout->second;
  if (name != "a4" && name != "cut") return bad(400, "layout must be a4 or cut", "bad layout");
  auto residents = print::read_residents(req.body);
  if (!residents) return bad(400, residents.error().message, "malformed residents CSV");
  if (residents->households.size() > kMaxCardSheetHouseholds)
    return bad(400,
               std::to_string(residents->households.size()) + " households: at most " +
                   std::to_string(kMaxCardSheetHouseholds) + " at once, split the file",
               "too many households");
  const qr::Signer signer = st.card_key().empty() ? qr::Signer{} : qr::signer_for(st.card_key());
  auto pdf = print::card_sheets_pdf(residents->households, signer,
                                    name == "cut" ? print::SheetLayout::Cut : print::SheetLayout::A4);
  if (!pdf) return bad(400, pdf.error().message, "a card could not be made");
  ApiReply reply;
  reply.body = std::move(*pdf);
  reply.content_type = "application/pdf";
  reply.attachment = "household-cards-" + name + ".pdf";
  reply.log.push_back("card sheets made by " + p.name + ": " + std::to_string(residents->households.size()) +
                      " household(s), layout " + name + ", " +
                      (signer ? "signed with card key " + signer.key_id : std::string("unsigned")));
  return reply;
}

}  // namespace shelter::sync
