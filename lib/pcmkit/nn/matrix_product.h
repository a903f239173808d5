// The hook through which an analog layer's matrix product can be computed by something other
// than the plain fp32 GEMM: a crossbar with converters and tiles (analog/crossbar_periphery.h), or
// any other model of the hardware. nn/ only calls it; it knows nothing of devices.
//
// Contract: outputs = P(weight, inputs), column by column: column j of `inputs` (fan_in values)
// is one input vector (one im2col column of a Conv2d, one sample of a Linear) and column j of
// `outputs` (out values) is the unit's version of weight · inputs[:, j]. With no unit set, layers
// compute outputs = weight · inputs exactly as before (the fast path is untouched).
#pragma once

#include <Eigen/Core>

#include "pcmkit/nn/tensor.h"

namespace pcmkit::nn {

class MatrixProduct {
 public:
  virtual ~MatrixProduct() = default;
  // Writes every element of `outputs`.
  // Requires: weight out × fan_in, inputs fan_in × m, outputs out × m (PCMKIT_CHECK).
  // Threads: called concurrently from a layer's OpenMP loop on different inputs, so it must not
  //   change shared state; the result must not depend on the thread count (Conv2d's chunks of
  //   columns depend only on the batch and layer shape).
  virtual void multiply(const Eigen::Ref<const RowMatrixXf>& weight,
                        const Eigen::Ref<const RowMatrixXf>& inputs,
                        Eigen::Ref<RowMatrixXf> outputs) const = 0;
};

}  // namespace pcmkit::nn
