// The periphery of an inference crossbar: tiles, the DAC on the inputs and the ADC on the
// outputs, following IBM aihwkit's forward pass (rpu_forward_backward_pass.cpp: noise management
// ABS_MAX, prepareInput, finalizeOutput; tiles/array.py: TileModuleArray; Rasch et al., Nat.
// Commun. 14, 5282 (2023)).
//
// A layer's weight W (out × fan_in; fan_in = in·k·k for a conv) is split into tiles. Each axis is
// split as aihwkit's get_split_sizes: n = ⌈size / max⌉ parts, the first (size mod n) of them one
// longer than the rest (so 100 inputs with tile_rows 64 give 50 + 50, not 64 + 36). Tile (t, u)
// holds the inputs I_t and outputs O_u. For one input vector x (one im2col column, one sample):
//
//   DAC (per tile input slice, as every aihwkit tile manages its own input):
//     s_t = max_{j ∈ I_t} |x_j|                          (noise management ABS_MAX)
//     q_j = rint(x_j · (L_in / s_t))  ∈ {−L_in … L_in},   L_in = 2^(dac_bits − 1) − 1
//     i.e. x_j / s_t quantised with step 1/L_in = 2/(2^dac_bits − 2) (aihwkit's inp_res scaled by
//     2·inp_bound with inp_bound 1): 2^dac_bits − 1 levels, symmetric around 0.
//   Crossbar (per tile, analog):
//     a_i = Σ_{j ∈ I_t} W_ij · q_j                        (i ∈ O_u)
//     y_i = a_i / (L_in · W_max)                          (normalised: |W/W_max| ≤ 1, |x_n| ≤ 1)
//   ADC (per tile output):
//     c_i = clamp(rint(y_i · L_out / r), −L_out, L_out),  L_out = 2^(adc_bits − 1) − 1
//     i.e. y_i quantised with step r/L_out = 2·r/(2^adc_bits − 2) (aihwkit's out_res scaled by
//     2·out_bound) and clipped to ±r, r = adc_range (aihwkit's out_bound).
//   Digital: out_i = α · Σ_t (r / L_out) · c_i · W_max · s_t   (partials summed in tile order)
//
// rint rounds half to even (aihwkit's RPU_ROUNDFUN, the default rounding mode). W_max is the
// layer's mapping scale (analog/programmed_weights.h), the same for every tile; α is the digital
// gain after the ADC (GDC's α(t), or 1). In float, as computed: L_in / s_t is one float per
// (tile, vector), y_i · L_out / r is a_i times one float factor L_out / (r · L_in · W_max), and
// the digital scale is s_t times one float factor α · r · W_max / L_out.
//
// dac_bits = 0 means an ideal DAC (q_j = x_j · (1/s_t), no rounding); adc_bits = 0 an ideal ADC
// (no rounding and no clipping: out_i = α · Σ_t a_i · s_t / L_in). With both ideal the scaling
// is skipped: out_i = α · Σ_t Σ_{j ∈ I_t} W_ij · x_j, the tiles' partial sums added digitally.
// An input slice with s_t = 0 contributes 0.
//
// Not modelled: aihwkit's bound management (re-running a saturated vector at a smaller input
// scale), input and output noise, stochastic rounding, IR drop, output non-linearity, and
// per-tile or per-column weight scales.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "pcmkit/nn/matrix_product.h"

namespace pcmkit::analog {

// Quantisation levels per polarity of a symmetric b-bit converter: 2^(b − 1) − 1 (codes −L … L).
// Requires: 2 ≤ bits ≤ 24 (PCMKIT_CHECK).
int converter_levels(int bits);

// clamp(rint(v · levels_per_unit), −levels, levels): the code of value v on a converter whose
// step is 1/levels_per_unit and whose codes stop at ±levels.
float converter_code(float v, float levels_per_unit, float levels);

// aihwkit's split of `size` rows or columns into ⌈size / max_size⌉ near-equal parts (the first
// size mod n one longer); max_size = 0 gives one part. Requires: size ≥ 0, max_size ≥ 0.
std::vector<nn::Index> tile_split(nn::Index size, nn::Index max_size);

struct PeripheryOptions {
  int dac_bits = 0;         // input DAC resolution; 0 = ideal, else 2 … 24
  int adc_bits = 0;         // output ADC resolution; 0 = ideal (no clipping), else 2 … 24
  double adc_range = 10.0;  // ADC clipping bound r on the normalised output (aihwkit out_bound),
                            // > 0 and finite; used only when adc_bits > 0
  nn::Index tile_rows = 0;  // max inputs (fan_in direction) per tile, ≥ 0; 0 = unlimited
  nn::Index tile_cols = 0;  // max outputs per tile, ≥ 0; 0 = unlimited

  // True when any part differs from the ideal, untiled crossbar.
  bool enabled() const;
  // Errors: InputError{"", "dac_bits" | "adc_bits" | "adc_range" | "tile_rows" | "tile_cols",
  //   problem}.
  // One bit is refused: its symmetric converter has no level besides 0 (2^0 − 1 = 0).
  void validate() const;
  // "ROWSxCOLS", e.g. "256x256".
  std::string tile_size_text() const;
};

// Parses "ROWSxCOLS" (non-negative integers, 0 = unlimited) into tile_rows and tile_cols.
// Errors: InputError{"", option, problem} for anything else.
void parse_tile_size(const std::string& text, const std::string& option, PeripheryOptions& out);

// The periphery as an nn::MatrixProduct for one layer (set it with
// AnalogLayer::set_matrix_product). The weight passed to multiply() is the crossbar's (W(t) as
// read); w_max and α are fixed at construction.
class CrossbarPeriphery final : public nn::MatrixProduct {
 public:
  // Requires: options valid (PCMKIT_CHECK); w_max ≥ 0 and finite (0 only for an all-zero
  // weight, whose output is then 0); digital_gain finite.
  CrossbarPeriphery(const PeripheryOptions& options, double w_max, double digital_gain = 1.0);

  // The definition above, for every column of `inputs`.
  // Requires: as nn::MatrixProduct::multiply. Threads: no OpenMP; concurrent calls are safe
  // (scratch is per thread); each column's result depends only on the weight, the column and
  // the number of columns (through Eigen's GEMM blocking). Cost: the plain GEMM, plus O(fan_in ·
  // columns) for the DAC and O(out · columns · input tiles) for the ADC.
  void multiply(const Eigen::Ref<const nn::RowMatrixXf>& weight,
                const Eigen::Ref<const nn::RowMatrixXf>& inputs,
                Eigen::Ref<nn::RowMatrixXf> outputs) const override;

  const PeripheryOptions& options() const { return options_; }
  double w_max() const { return w_max_; }
  double digital_gain() const { return digital_gain_; }

 private:
  PeripheryOptions options_;
  double w_max_, digital_gain_;
};

}  // namespace pcmkit::analog
