#include "kiosk/app/printing.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "core/fs_util.hpp"

extern char** environ;

namespace shelter::kiosk {

Status PassPrinter::start(const std::string& bytes, const std::string& extension) {
  path_ =
      (std::filesystem::temp_directory_path() / ("shelter-print-" + std::to_string(::getpid()) + extension)).string();
  if (auto st = write_file_atomic(path_, bytes, 0600); !st) return st;
  // The command is split on spaces and run without a shell: nothing from a
  // QR code or a name ever reaches a shell.
  std::vector<std::string> args;
  std::istringstream in(command_);
  for (std::string a; in >> a;) {
    const auto at = a.find("{file}");
    if (at != std::string::npos) a.replace(at, 6, path_);
    args.push_back(a);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return fail(args.front());
  pid_ = pid;
  return {};
}

std::optional<bool> PassPrinter::poll() {
  if (pid_ <= 0) return std::nullopt;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) != pid_) return std::nullopt;
  pid_ = 0;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace shelter::kiosk
