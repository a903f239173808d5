// Validation that matches use: a model at any edge of the ranges `model show` accepts runs
// through synth, calibrate --prior and evaluate without an internal error, and whatever synth
// writes, calibrate does not refuse as input.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_process.h"
#include "pcmkit/nn/resnet.h"
#include "pcmkit/nn/weights_hdf5.h"
#include "test_support/synthetic_cifar.h"

namespace pcmkit::cli_test {
namespace {

using json = nlohmann::json;

struct Edge {
  const char* section;  // "" for a top-level key
  const char* key;
  double value;
};

std::string text(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

}  // namespace

TEST_CASE("models at the edges of the valid ranges run through synth, calibrate and evaluate") {
  ScratchDir scratch;
  REQUIRE(run_pcmkit({"model", "published", "-o", "published.json"}, scratch.path()).exit_code ==
          0);
  const json published = json::parse(read_text(scratch / "published.json"));
  nn::Network network = nn::make_resnet("resnet20");
  nn::save_weights_hdf5(scratch / "r20.h5", network, {{0.5f, 0.5f, 0.5f}, {0.25f, 0.25f, 0.25f}});
  test::write_synthetic_cifar_dir(scratch / "cifar", 10, 10);
  const Edge edges[] = {
      {"", "g_max_uS", 1e6},
      {"", "g_max_uS", 1e-6},
      {"", "t0_s", 1e6},
      {"", "t_read_s", 1e-12},
      {"", "x_floor", 1e-300},
      {"", "x_floor", 0.999999},
      {"programming_noise", "c0_uS", 250},
      {"programming_noise", "c1_uS", -250},
      {"programming_noise", "c2_uS", 250},
      {"drift_exponent", "a0", 100},
      {"drift_exponent", "a1", -100},
      {"drift_exponent", "b0", 100},
      {"drift_exponent", "b1", 100},
      {"drift_exponent", "mu_max", 1},
      {"drift_exponent", "sigma_max", 1},
      {"read_noise", "q0", 10},
      {"read_noise", "q_max", 10},
      {"read_noise", "alpha", 10},
      {"read_noise", "alpha", -10},
      {"read_noise", "gamma", 2.999},
      {"read_noise", "gamma", 0.001},
  };
  for (const Edge& e : edges) {
    json m = published;
    (e.section[0] ? m[e.section][e.key] : m[e.key]) = e.value;
    if (std::string(e.key) == "g_max_uS")  // programming noise in proportion (its bound)
      for (const char* c : {"c0_uS", "c1_uS", "c2_uS"})
        m["programming_noise"][c] = m["programming_noise"][c].get<double>() * e.value / 25.0;
    { std::ofstream(scratch / "m.json") << m.dump(2); }
    const double g_max = m["g_max_uS"].get<double>(), t0 = m["t0_s"].get<double>();
    INFO(std::string(e.section), ".", std::string(e.key), " = ", e.value);
    const Outcome show = run_pcmkit({"model", "show", "m.json"}, scratch.path());
    INFO("show: ", show.err);
    REQUIRE(show.exit_code == 0);
    const Outcome synth = run_pcmkit(
        {"synth", "-o", "c.h5", "--model", "m.json", "--levels", "lin:0:" + text(g_max) + ":3",
         "--devices-per-level", "60", "--times", "log:" + text(t0) + ":" + text(100 * t0) + ":5",
         "--traces", "4", "--trace-reads", "64", "--trace-start", text(t0), "--quiet"},
        scratch.path());
    INFO("synth: ", synth.err);
    CHECK(synth.exit_code == 0);
    CHECK_FALSE(contains(synth.err, "please report"));
    if (synth.exit_code == 0) {
      const Outcome calibrate = run_pcmkit(
          {"calibrate", "c.h5", "-o", "fit.json", "--prior", "m.json", "--t0", text(t0), "--quiet"},
          scratch.path());
      INFO("calibrate: ", calibrate.err);
      CHECK((calibrate.exit_code == 0 || calibrate.exit_code == 1));  // never refused as input
      CHECK_FALSE(contains(calibrate.err, "please report"));
    }
    const Outcome evaluate = run_pcmkit({"evaluate",
                                         "--quiet",
                                         "--model",
                                         "m.json",
                                         "--weights",
                                         "r20.h5",
                                         "--arch",
                                         "resnet20",
                                         "--data",
                                         "cifar",
                                         "--times",
                                         text(t0) + "," + text(10 * t0),
                                         "--repeats",
                                         "1",
                                         "--adabs-images",
                                         "10",
                                         "--batch-size",
                                         "10",
                                         "-o",
                                         "out"},
                                        scratch.path());
    INFO("evaluate: ", evaluate.err);
    CHECK(evaluate.exit_code == 0);
    fs::remove_all(scratch / "out");
  }
}

}  // namespace pcmkit::cli_test
