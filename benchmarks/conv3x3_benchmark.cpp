// Candidates for ResNet-32's 3×3 stride-1 convolutions (issue #3), in one run: pcmkit's
// im2col + GEMM, pcmkit's Winograd F(2×2, 3×3) and F(4×4, 3×3), and, when built with oneDNN
// (Debian libdnnl-dev), oneDNN's direct and Winograd convolutions with the same epilogue as
// post-ops (BatchNorm folded into weights and bias, sum for the residual, ReLU).
// Each layer shape of ResNet-32 (16 ch at 32², 32 ch at 16², 64 ch at 8²) runs as Network does:
// 2 threads, each convolving its own 16 images. Prints µs per image per layer, the images/s of
// the 28 same-shape 3×3 layers of ResNet-32 together, the ratio to im2col + GEMM in wall time and
// in CPU time (summed over the threads: steadier on a shared machine), and each
// candidate's largest |difference| to im2col + GEMM relative to the largest |output|.
// oneDNN modes: "blocked" keeps nChw16c tensors (no reorders timed), "nchw" reorders the input,
// the residual and the output from and to NCHW inside the clock; weight reorders are not timed.
// Usage: conv3x3_benchmark [repeats=30] [only candidates whose name contains this; the first one
//   run is the reference for ratios and differences]
#include <omp.h>

#include <Eigen/Core>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "benchmark_command_line.h"
#include "pcmkit/nn/conv2d.h"

#ifdef PCMKIT_HAVE_DNNL
#include <oneapi/dnnl/dnnl.hpp>
#endif

using namespace pcmkit;
using nn::Index;
using Clock = std::chrono::steady_clock;

namespace {

constexpr Index kImagesPerThread = 16;  // nn::Network::kImagesPerTask
constexpr int kThreads = 2;

struct Shape {
  Index channels, side, layers;  // layers: how many of ResNet-32's convolutions have this shape
};
constexpr Shape kShapes[] = {{16, 32, 10}, {32, 16, 9}, {64, 8, 9}};

// Per-thread problem: input, residual, folded BatchNorm.
struct Problem {
  nn::Tensor input, residual;
  nn::RowMatrixXf weight;
  Eigen::VectorXf scale, shift;
};

Problem make_problem(const Shape& s, unsigned seed) {
  std::srand(seed);
  Problem p;
  p.input = nn::Tensor(kImagesPerThread, s.channels, s.side, s.side);
  p.residual = nn::Tensor(kImagesPerThread, s.channels, s.side, s.side);
  p.input.values() = Eigen::VectorXf::Random(p.input.size()).cwiseMax(0.0f);  // post-ReLU
  p.residual.values() = Eigen::VectorXf::Random(p.residual.size()).cwiseMax(0.0f);
  p.weight = nn::RowMatrixXf::Random(s.channels, s.channels * 9) * 0.1f;
  p.scale = Eigen::VectorXf::Random(s.channels).array() * 0.5f + 1.0f;
  p.shift = Eigen::VectorXf::Random(s.channels) * 0.1f;
  return p;
}

// One candidate on one shape: a per-thread setup returning the function to time and the output.
struct Runner {
  std::function<void()> run;
  std::function<std::vector<float>()> result;  // NCHW output of the last run
};
using Factory = std::function<Runner(const Problem&)>;

struct Candidate {
  std::string name;
  Factory factory;
};

Runner pcmkit_runner(const Problem& p, nn::Conv2d::Algorithm algorithm) {
  auto conv = std::make_shared<nn::Conv2d>(p.input.channels(), p.weight.rows(), 3, 1, 1);
  conv->master_weight() = p.weight;
  conv->set_algorithm(algorithm);
  auto out = std::make_shared<nn::Tensor>();
  return {[conv, out, &p] {
            *out = conv->forward_fused(p.input, {&p.scale, &p.shift, &p.residual, true});
          },
          [out] { return std::vector<float>(out->data(), out->data() + out->size()); }};
}

#ifdef PCMKIT_HAVE_DNNL
Runner dnnl_runner(const Problem& p, dnnl::algorithm algorithm, bool blocked, bool threaded) {
  using namespace dnnl;
  using tag = memory::format_tag;
  using dt = memory::data_type;
  auto eng = std::make_shared<engine>(engine::kind::cpu, 0);
  auto strm = std::make_shared<stream>(*eng);
  const Index n = p.input.n(), c = p.input.channels(), side = p.input.height();
  const Index o = p.weight.rows();
  const memory::dims src_dims{n, c, side, side}, dst_dims{n, o, side, side};
  const memory::dims w_dims{o, c, 3, 3}, b_dims{o};
  const memory::desc src_any(src_dims, dt::f32, tag::any), dst_any(dst_dims, dt::f32, tag::any);
  const memory::desc w_any(w_dims, dt::f32, tag::any), b_md(b_dims, dt::f32, tag::x);
  convolution_forward::desc desc(prop_kind::forward_inference, algorithm, src_any, w_any, b_md,
                                 dst_any, {1, 1}, {1, 1}, {1, 1});
  post_ops ops;
  ops.append_sum(1.0f);
  ops.append_eltwise(1.0f, algorithm::eltwise_relu, 0.0f, 0.0f);
  primitive_attr attr;
  attr.set_post_ops(ops);
  auto pd = std::make_shared<convolution_forward::primitive_desc>(desc, attr, *eng);
  auto conv = std::make_shared<convolution_forward>(*pd);
  std::fprintf(stderr, "  oneDNN %s: %s\n",
               algorithm == algorithm::convolution_winograd ? "winograd" : "direct",
               pd->impl_info_str());
  (void)threaded;

  // Folded BatchNorm: W' = scale·W, bias = shift.
  nn::RowMatrixXf folded = p.scale.asDiagonal() * p.weight;
  auto folded_keep = std::make_shared<nn::RowMatrixXf>(folded);
  memory w_plain({w_dims, dt::f32, tag::oihw}, *eng, folded_keep->data());
  auto w_mem = std::make_shared<memory>(pd->weights_desc(), *eng);
  reorder(w_plain, *w_mem).execute(*strm, w_plain, *w_mem);
  auto b_keep = std::make_shared<Eigen::VectorXf>(p.shift);
  auto b_mem = std::make_shared<memory>(b_md, *eng, b_keep->data());

  const memory::desc src_nchw(src_dims, dt::f32, tag::nchw), dst_nchw(dst_dims, dt::f32, tag::nchw);
  auto src_plain = std::make_shared<memory>(src_nchw, *eng, const_cast<float*>(p.input.data()));
  auto res_plain = std::make_shared<memory>(dst_nchw, *eng, const_cast<float*>(p.residual.data()));
  auto out_plain = std::make_shared<memory>(dst_nchw, *eng);
  auto src_mem = std::make_shared<memory>(pd->src_desc(), *eng);
  auto dst_mem = std::make_shared<memory>(pd->dst_desc(), *eng);
  auto res_mem = std::make_shared<memory>(pd->dst_desc(), *eng);
  auto to_src = std::make_shared<reorder>(*src_plain, *src_mem);
  auto to_res = std::make_shared<reorder>(*res_plain, *res_mem);
  auto to_out = std::make_shared<reorder>(*dst_mem, *out_plain);
  to_src->execute(*strm, *src_plain, *src_mem);
  to_res->execute(*strm, *res_plain, *res_mem);
  const std::size_t dst_bytes = pd->dst_desc().get_size();
  auto run = [=] {
    if (!blocked) {
      to_src->execute(*strm, *src_plain, *src_mem);
      to_res->execute(*strm, *res_plain, *dst_mem);  // the sum post-op adds dst's old values
    } else {
      std::memcpy(dst_mem->get_data_handle(), res_mem->get_data_handle(), dst_bytes);
    }
    conv->execute(*strm, {{DNNL_ARG_SRC, *src_mem},
                          {DNNL_ARG_WEIGHTS, *w_mem},
                          {DNNL_ARG_BIAS, *b_mem},
                          {DNNL_ARG_DST, *dst_mem}});
    if (!blocked) to_out->execute(*strm, *dst_mem, *out_plain);
    strm->wait();
  };
  auto result = [=] {
    to_out->execute(*strm, *dst_mem, *out_plain);
    strm->wait();
    const float* d = static_cast<const float*>(out_plain->get_data_handle());
    return std::vector<float>(d, d + n * o * side * side);
  };
  return {run, result};
}
#endif

// CPU time of the calling thread: on a shared machine it counts only this thread's work.
double thread_cpu_s() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

struct Measurement {
  double us_per_image = 0, cpu_us_per_image = 0, max_rel_diff = 0;
  bool ok = false;
  std::string error;
};

// Each of kThreads threads runs its own problem `repeats` times; best of 3 rounds.
Measurement measure(const Factory& factory,
                    const std::vector<Problem>& problems,
                    int repeats,
                    const std::vector<float>* reference,
                    std::vector<float>* result_out,
                    bool threaded_inside) {
  Measurement m;
  std::vector<Runner> runners(kThreads);
  // Built on the thread that runs them: oneDNN sizes its work split when the primitive is made.
#pragma omp parallel num_threads(threaded_inside ? 1 : kThreads)
  {
    const int t = omp_get_thread_num();
    try {
      runners[t] = factory(problems[t]);
    } catch (const std::exception& e) {
#pragma omp critical
      m.error = e.what();
    }
  }
  if (!m.error.empty()) return m;
  double best = 1e30, best_cpu = 1e30;
  for (int round = 0; round < 3; ++round) {
    const Clock::time_point start = Clock::now();
    double cpu_s = 0;
    if (threaded_inside) {
      const double cpu_start = thread_cpu_s();
      for (int r = 0; r < repeats * kThreads; ++r) runners[0].run();
      cpu_s = thread_cpu_s() - cpu_start;
    } else {
#pragma omp parallel num_threads(kThreads) reduction(+ : cpu_s)
      {
        const double cpu_start = thread_cpu_s();
        for (int r = 0; r < repeats; ++r) runners[omp_get_thread_num()].run();
        cpu_s += thread_cpu_s() - cpu_start;
      }
    }
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
    best_cpu = std::min(best_cpu, cpu_s);
  }
  m.us_per_image = best * 1e6 / (double(repeats) * kThreads * kImagesPerThread);
  m.cpu_us_per_image = best_cpu * 1e6 / (double(repeats) * kThreads * kImagesPerThread);
  const std::vector<float> out = runners[0].result();
  if (reference) {
    double max_abs = 0, max_diff = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
      max_abs = std::max(max_abs, double(std::abs((*reference)[i])));
      max_diff = std::max(max_diff, double(std::abs(out[i] - (*reference)[i])));
    }
    m.max_rel_diff = max_diff / max_abs;
  }
  if (result_out) *result_out = out;
  m.ok = true;
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  int repeats = 30;
  std::string only;
  CLI::App app{"3x3 stride-1 convolutions of ResNet-32: pcmkit's algorithms (and oneDNN's)",
               "conv3x3_benchmark"};
  app.add_option("repeats", repeats, "timed runs per layer shape")->check(CLI::Range(1, 1 << 20));
  app.add_option("only", only,
                 "only candidates whose name contains this (the first one run is the reference)");
  return benchmark::run_benchmark(app, argc, argv, [&] {
    omp_set_max_active_levels(1);
    struct Named {
      std::string name;
      Factory factory;
      bool threaded_inside = false;
    };
    std::vector<Named> candidates = {
        {"pcmkit im2col+GEMM",
         [](const Problem& p) { return pcmkit_runner(p, nn::Conv2d::Algorithm::kIm2colGemm); }},
        {"pcmkit Winograd F(2x2,3x3)",
         [](const Problem& p) { return pcmkit_runner(p, nn::Conv2d::Algorithm::kWinograd2x2); }},
        {"pcmkit Winograd F(4x4,3x3)",
         [](const Problem& p) { return pcmkit_runner(p, nn::Conv2d::Algorithm::kWinograd4x4); }},
    };
#ifdef PCMKIT_HAVE_DNNL
    for (const bool blocked : {true, false})
      for (const auto& [alg, alg_name] :
           {std::pair{dnnl::algorithm::convolution_direct, "direct"},
            std::pair{dnnl::algorithm::convolution_winograd, "winograd"}})
        candidates.push_back(
            {std::string("oneDNN ") + alg_name + (blocked ? " nChw16c" : " nchw"),
             [alg, blocked](const Problem& p) { return dnnl_runner(p, alg, blocked, false); }});
#endif

    std::printf(
        "3x3 stride-1 convolutions of ResNet-32, %d threads x %lld images, fused "
        "BN+residual+ReLU\n",
        kThreads, static_cast<long long>(kImagesPerThread));
    std::printf("%-30s %9s %9s %9s %12s %8s %8s %10s\n", "candidate", "16@32 us", "32@16 us",
                "64@8 us", "28 layers/s", "ratio", "CPU rat", "max rel d");
    std::vector<std::vector<Problem>> problems;
    for (const Shape& s : kShapes) problems.push_back({make_problem(s, 1), make_problem(s, 1)});
    std::vector<std::vector<float>> reference(std::size(kShapes));
    double base_total = 0, base_cpu = 0;
    for (std::size_t k = 0; k < candidates.size(); ++k) {
      if (candidates[k].name.find(only) == std::string::npos) continue;
      double total_us = 0, total_cpu_us = 0, worst = 0;
      std::string line, error;
      for (std::size_t s = 0; s < std::size(kShapes); ++s) {
        const Measurement m =
            measure(candidates[k].factory, problems[s], repeats,
                    reference[s].empty() ? nullptr : &reference[s],
                    reference[s].empty() ? &reference[s] : nullptr, candidates[k].threaded_inside);
        if (!m.ok) {
          error = m.error;
          break;
        }
        char cell[32];
        std::snprintf(cell, sizeof cell, " %9.1f", m.us_per_image);
        line += cell;
        total_us += m.us_per_image * double(kShapes[s].layers);
        total_cpu_us += m.cpu_us_per_image * double(kShapes[s].layers);
        worst = std::max(worst, m.max_rel_diff);
      }
      if (!error.empty()) {
        std::printf("%-30s not available: %s\n", candidates[k].name.c_str(), error.c_str());
        continue;
      }
      if (base_total == 0) base_total = total_us, base_cpu = total_cpu_us;
      std::printf("%-30s%s %12.1f %7.2fx %7.2fx %10.2e\n", candidates[k].name.c_str(), line.c_str(),
                  1e6 / total_us, base_total / total_us, base_cpu / total_cpu_us, worst);
      std::fflush(stdout);
    }
    return 0;
  });
}
