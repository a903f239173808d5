#include "pcmkit/core/gnuplot.h"

#include <cstdlib>
#include <system_error>

namespace pcmkit {

bool have_gnuplot() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

bool draw_with_gnuplot(const std::filesystem::path& dir,
                       const std::string& script,
                       const std::string& png) {
  if (!have_gnuplot()) return false;
  const std::string cmd = "cd '" + dir.string() + "' && gnuplot '" + script + "' >/dev/null 2>&1";
  const std::filesystem::path tmp = dir / (png + ".tmp");
  std::error_code ec;
  if (std::system(cmd.c_str()) == 0 && std::filesystem::exists(tmp)) {
    std::filesystem::rename(tmp, dir / png, ec);
    if (!ec) return true;
  }
  std::filesystem::remove(tmp, ec);
  return false;
}

}  // namespace pcmkit
