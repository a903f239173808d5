// A network's analog layers programmed onto PCM for one Monte-Carlo realisation (Joshi et al.
// 2020): every analog layer's weights on differential pairs (analog/programmed_weights.h), read
// once at t_ref = t0 for GDC; then read afresh at any time and loaded into the network,
// uncompensated or with global drift compensation (analog/drift_compensation.h), through the
// crossbar periphery when one is set (analog/crossbar_periphery.h: the crossbar holds W(t) with the
// layer's W_max; α(t) is applied in digital after the ADC). Layers kept digital compute in fp32.
// The device model, this mapping and the compensation are separate parts: any can be swapped.
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "pcmkit/analog/crossbar_periphery.h"
#include "pcmkit/analog/programmed_weights.h"
#include "pcmkit/device/pcm_model.h"
#include "pcmkit/nn/network.h"

namespace pcmkit::analog {

// Which of a network's analog layers go onto PCM, and through which periphery.
struct AnalogMapping {
  bool first_layer_digital = false;  // keep the first analog layer (the first conv) in fp32
  bool last_layer_digital = false;   // keep the last analog layer (the classifier) in fp32
  PeripheryOptions periphery;        // all ideal (off) by default: the plain GEMM
  // Whether analog layer `index` of `count` is mapped (not kept digital).
  bool maps_layer(std::size_t index, std::size_t count) const;
};

enum class DriftCompensation { kNone, kGlobal };

// Every analog layer of `network` computes with its fp32 master weight and the plain GEMM again.
void load_fp32_weights(nn::Network& network);

class ProgrammedNetwork {
 public:
  // Programs the mapped layers of `network` from their master weights, and reads them at t0.
  // Random: layer l uses device items from l·2^36 of `seed`'s streams (programmed_weights.h).
  // `model` null is the ideal device: nothing is programmed, the layers hold their fp32 weights
  // (through the periphery when set). `network` must outlive this object.
  // Requires: model valid. Threads: OpenMP inside, results independent of the thread count.
  // Cost: O(weights) per layer, 2 devices per weight.
  ProgrammedNetwork(nn::Network& network,
                    const device::PcmModel* model,
                    const AnalogMapping& mapping,
                    std::uint64_t seed);

  // Reads every device at t_s ≥ t0 (InputError otherwise), with read noise keyed by the time's
  // value (read_key_at_time), and every layer's GDC factor α(t). Reading the same time again
  // gives the same read.
  void read(double t_s);
  // Puts the last read into the network's layers: W(t), or α(t)·W(t). Requires: read() called,
  // unless the device is ideal.
  void load(DriftCompensation compensation) const;
  // Puts every analog layer back to its fp32 master weight and the plain GEMM.
  void unload() const { load_fp32_weights(network_); }

  double read_time_s() const { return t_read_s_; }  // NaN before the first read()
  // α(t) of every analog layer at the last read (1 for layers not programmed).
  const std::vector<double>& gdc_factors() const { return alpha_; }

 private:
  nn::Network& network_;
  std::vector<nn::AnalogLayerRef> layers_;
  AnalogMapping mapping_;
  std::vector<std::unique_ptr<ProgrammedWeights>> programmed_;  // null: not programmed
  std::vector<Eigen::ArrayXf> w_ref_, w_t_;
  std::vector<double> alpha_;
  std::vector<bool> mapped_;
  double t_read_s_;
};

}  // namespace pcmkit::analog
