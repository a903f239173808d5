// Converts the public RRAM read-noise traces (../shared/real-data/rram-relaxation/,
// techA_tsdata.min.tsv.gz; MIT licence, keep its LICENSE with the data) into a campaign file of
// schema pcmkit.measurements/1 that holds only noise traces, for `pcmkit calibrate`'s spectrum fit.
//   rram_traces_to_campaign techA_tsdata.min.tsv.gz -o traces.h5 [--sample-rate-hz 400]
//                           [--segments 16] [--g-max-uS 240]
// Input: tab-separated rows, no header: level, index offset (0 in this file; ts_index_offsets in
// techA_settings.json), then consecutive conductance reads (S). (The data's README says "row index,
// level": the file and its settings say level first; levels 0, 8, 16, 24, 31 as ts_ranges.)
// What the campaign holds, and what it assumes:
//   - one device per row, its target the level's bin centre (level + 1/2)·G_max/32 (as for
//     techB); G_max = 240 µS (techA_settings.json);
//   - the time base: techA_settings.json gives 400 Hz (dt = 2.5 ms, 250 s per trace), the
//     original README "10 seconds continuously" (10 kHz for 100,000 reads). The default assumes
//     400 Hz. γ does not depend on it (a change of time base rescales f); Q_s does, by
//     (rate ratio)^((γ − 1)/2), which is within 1% for γ near 1;
//   - each trace is cut into `segments` consecutive traces of equal length (the spectrum fit's
//     standard errors are clustered over traces and need several per level; segments of a 1/f
//     trace are not independent at their lowest frequencies, which the fit leaves out below 16
//     cycles per segment);
//   - no reads after programming: the file has none (/reads/g_uS is one missing read per device);
//   - t_read = 1 µs (not given; not used by the spectrum fit).
#include <zlib.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "pcmkit/measurement/campaign_hdf5.h"

using namespace pcmkit;

namespace {

struct Trace {
  int level = 0;
  std::vector<double> g_uS;
};

}  // namespace

int main(int argc, char** argv) {
  std::string input, output;
  double rate_hz = 400, g_max_uS = 240;
  int segments = 16;
  CLI::App app{"The public RRAM read-noise traces as a pcmkit campaign of traces only",
               "rram_traces_to_campaign"};
  app.add_option("input", input, "TSDATA.tsv.gz (techA_tsdata.min.tsv.gz)")->required();
  app.add_option("-o,--output", output, "campaign file to write (HDF5)")->required();
  app.add_option("--sample-rate-hz", rate_hz, "reads per second of the traces")
      ->check(CLI::Range(1e-3, 1e9))
      ->capture_default_str();
  app.add_option("--segments", segments, "segments each trace is cut into")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  app.add_option("--g-max-uS", g_max_uS, "the chip's G_max (µS)")
      ->check(CLI::Range(1e-3, 1e6))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "rram_traces_to_campaign: error: %s (--help for usage)\n", e.what());
    return 2;
  }
  gzFile in = gzopen(input.c_str(), "rb");
  if (!in) {
    std::fprintf(stderr, "%s: cannot open\n", input.c_str());
    return 2;
  }
  // Rows are megabytes long: read the whole file, then parse it line by line.
  std::string text;
  char buffer[1 << 16];
  for (int got; (got = gzread(in, buffer, sizeof buffer)) > 0;)
    text.append(buffer, static_cast<std::size_t>(got));
  gzclose(in);
  std::vector<Trace> traces;
  std::size_t shortest = 0;
  for (std::size_t start = 0, row = 1; start < text.size(); ++row) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const char* p = line.c_str();
    char* next = nullptr;
    std::vector<double> values;
    for (double v = std::strtod(p, &next); next != p; v = std::strtod(p, &next)) {
      values.push_back(v);
      p = next;
    }
    if (values.size() < 3 || !(values[0] >= 0)) {
      std::fprintf(stderr, "%s: row %zu: not a level, an offset and reads\n", input.c_str(), row);
      return 2;
    }
    Trace t;
    t.level = static_cast<int>(values[0]);
    for (std::size_t k = 2; k < values.size(); ++k) {
      if (!std::isfinite(values[k])) {
        std::fprintf(stderr, "%s: row %zu: read %zu is not a number\n", input.c_str(), row, k - 1);
        return 2;
      }
      t.g_uS.push_back(values[k] * 1e6);
    }
    shortest = traces.empty() ? t.g_uS.size() : std::min(shortest, t.g_uS.size());
    traces.push_back(std::move(t));
  }
  const auto length = static_cast<Eigen::Index>(shortest / static_cast<std::size_t>(segments));
  if (traces.empty() || length < 64) {
    std::fprintf(stderr, "%s: no traces, or segments shorter than 64 reads\n", input.c_str());
    return 2;
  }
  measurement::Campaign c;
  c.g_max_uS = g_max_uS;
  c.t_read_s = 1e-6;
  c.description =
      "RRAM read-noise traces, techA (akashlevy/RRAM-Relaxation-Master-Model, MIT licence): "
      "targets are level bin centres (level + 1/2)*G_max/32; sample rate assumed " +
      std::to_string(rate_hz) + " Hz; each trace cut into " + std::to_string(segments) +
      " segments; no reads after programming";
  const auto n = static_cast<Eigen::Index>(traces.size());
  c.g_target_uS.resize(n);
  c.time_s = measurement::RowMatrixXd::Constant(1, 1, 1.0);
  c.g_uS = measurement::RowMatrixXd::Constant(n, 1, NAN);
  measurement::NoiseTraces noise;
  noise.dt_s = 1 / rate_hz;
  const Eigen::Index rows = n * segments;
  noise.device_index.resize(rows);
  noise.t_start_s.resize(rows);
  noise.g_uS.resize(rows, length);
  for (Eigen::Index i = 0; i < n; ++i) {
    const Trace& t = traces[static_cast<std::size_t>(i)];
    c.g_target_uS(i) = (t.level + 0.5) * g_max_uS / 32.0;
    for (Eigen::Index s = 0; s < segments; ++s) {
      const Eigen::Index r = i * segments + s;
      noise.device_index(r) = i;
      noise.t_start_s(r) = 1.0 + static_cast<double>(s * length) * noise.dt_s;
      for (Eigen::Index k = 0; k < length; ++k)
        noise.g_uS(r, k) = t.g_uS[static_cast<std::size_t>(s * length + k)];
    }
  }
  c.noise = std::move(noise);
  try {
    measurement::write_campaign(c, output);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  std::printf("wrote %s: %ld devices, %ld traces of %ld reads (dt %g s)\n", output.c_str(),
              static_cast<long>(n), static_cast<long>(rows), static_cast<long>(length),
              1 / rate_hz);
  return 0;
}
