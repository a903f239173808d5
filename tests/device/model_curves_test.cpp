// model_curve_table (model_curves.h): one header and one row per G_T in 0, 0.1 G_max, ..., G_max,
// each row holding the model's curves at that G_T. The end rows are checked against values worked
// out by hand from the published coefficients (pcm_model.h equations), the others against the
// model's own functions.
#include "pcmkit/device/model_curves.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "pcmkit/device/pcm_model.h"

namespace pcmkit::device {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<std::string> fields_of(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string f; in >> f;) out.push_back(f);
  return out;
}

std::string fixed4(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

TEST_CASE("12 lines: a header and 11 rows G_T = 0, 2.5, ..., 25 uS — the text ends in a newline") {
  const std::string table = model_curve_table(PcmModel::published());
  REQUIRE(!table.empty());
  CHECK(table.back() == '\n');
  const std::vector<std::string> lines = lines_of(table);
  REQUIRE(lines.size() == 12);
  CHECK(fields_of(lines[0]) == std::vector<std::string>{"G_T_uS", "sigma_prog_uS", "mu_nu",
                                                        "sigma_nu", "Q_s", "sigma_r(25s)",
                                                        "sigma_r(1d)", "drift(1d)"});
  for (int i = 0; i <= 10; ++i) {
    const std::vector<std::string> f = fields_of(lines[static_cast<std::size_t>(i) + 1]);
    REQUIRE(f.size() == 8);
    CHECK(std::stod(f[0]) == 2.5 * i);
  }
}

TEST_CASE("G_T = 0 and G_T = G_max rows hold the published model's values (hand-computed)") {
  const PcmModel m = PcmModel::published();
  const std::vector<std::string> lines = lines_of(model_curve_table(m));
  REQUIRE(lines.size() == 12);
  const std::vector<std::string> zero = fields_of(lines[1]), full = fields_of(lines[11]);
  REQUIRE(zero.size() == 8);
  REQUIRE(full.size() == 8);
  // G_T = 0: sigma_prog = c0 = 0.26348; x = x_floor = 1e-7, ln x = -16.1, so
  // mu_nu = 0.0244 + 0.0155 * 16.1 = 0.27 -> mu_max 0.1, sigma_nu = -0.0059 + 0.0125 * 16.1
  // = 0.20 -> sigma_max 0.045, Q_s = 0.0088 * 1e7^0.65 -> q_max 0.2.
  CHECK(zero[1] == "0.2635");
  CHECK(zero[2] == "0.1000");
  CHECK(zero[3] == "0.0450");
  CHECK(zero[4] == "0.2000");
  // G_T = G_max (x = 1): sigma_prog = c0 + c1 + c2 = 1.05538; mu_nu = a0 = 0.0244 -> mu_min
  // 0.049; sigma_nu = b0 = -0.0059 -> sigma_min 0.008; Q_s = q0 = 0.0088.
  CHECK(full[1] == "1.0554");
  CHECK(full[2] == "0.0490");
  CHECK(full[3] == "0.0080");
  CHECK(full[4] == "0.0088");
  // sigma_r(t) = Q_s sqrt(ln((t + t_read)/(2 t_read))) for gamma = 1; drift = (1 d / t0)^-mu_nu.
  const double t_read = 250e-9;
  CHECK(full[5] == fixed4(0.0088 * std::sqrt(std::log((25.0 + t_read) / (2 * t_read)))));
  CHECK(full[6] == fixed4(0.0088 * std::sqrt(std::log((86400.0 + t_read) / (2 * t_read)))));
  CHECK(full[7] == fixed4(std::pow(86400.0 / 20.0, -0.049)));
  CHECK(zero[7] == fixed4(std::pow(86400.0 / 20.0, -0.1)));
}

TEST_CASE("every row equals the model's functions at its G_T, printed with 4 decimals") {
  // A model unlike the published one, with t0 = 30 s > 25 s: the early column is then read at t0.
  PcmModel m = PcmModel::published();
  m.g_max_uS = 20.0;
  m.t0_s = 30.0;
  m.programming_noise = {0.4, 1.2, -0.5};
  m.read_noise = {0.012, 0.5, 0.15, 1.3};
  const std::vector<std::string> lines = lines_of(model_curve_table(m));
  REQUIRE(lines.size() == 12);
  for (int i = 0; i <= 10; ++i) {
    const double g = m.g_max_uS * i / 10.0;
    CAPTURE(g);
    const std::vector<std::string> f = fields_of(lines[static_cast<std::size_t>(i) + 1]);
    REQUIRE(f.size() == 8);
    CHECK(f[1] == fixed4(m.sigma_prog_uS(g)));
    CHECK(f[2] == fixed4(m.mu_nu(g)));
    CHECK(f[3] == fixed4(m.sigma_nu(g)));
    CHECK(f[4] == fixed4(m.q_s(g)));
    CHECK(f[5] == fixed4(m.sigma_read_rel(g, 30.0)));
    CHECK(f[6] == fixed4(m.sigma_read_rel(g, 86400.0)));
    CHECK(f[7] == fixed4(std::pow(86400.0 / 30.0, -m.mu_nu(g))));
  }
}

}  // namespace
}  // namespace pcmkit::device
