#pragma once
// Printing: the file (a household's pass sheet, the roster, a blank card:
// PDFs from kiosk/app/paper.hpp) goes to a temporary file and the
// configured command (print_command, "{file}" replaced by its path) runs in
// the background, without a shell. The controller polls it from its timer.
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace shelter::kiosk {

class PassPrinter {
 public:
  explicit PassPrinter(std::string command) : command_(std::move(command)) {}

  bool enabled() const { return !command_.empty(); }
  bool busy() const { return pid_ > 0; }
  const std::string& command() const { return command_; }
  // Writes `bytes` to a temporary file ending in `extension` (".pdf") and
  // starts the command. On failure the error's message is what staff see
  // (the write's error, or the program that did not start).
  Status start(const std::string& bytes, const std::string& extension);
  // Once the command has finished: did it succeed? Empty while it runs or
  // when nothing was started.
  std::optional<bool> poll();

 private:
  std::string command_;
  std::string path_;
  int pid_ = 0;
};

}  // namespace shelter::kiosk
