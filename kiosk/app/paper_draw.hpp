#pragma once
// The kiosk's paper pages draw with print/pdf.hpp, shared with the city's
// card sheets (print/card_sheet.hpp) that shelterctl and the server make.
#include "print/pdf.hpp"

namespace shelter::kiosk::paper {

using print::Align;
using print::kA4Height;
using print::kA4Width;
using print::kMargin;
using print::local_now;
using print::Pdf;

}  // namespace shelter::kiosk::paper
