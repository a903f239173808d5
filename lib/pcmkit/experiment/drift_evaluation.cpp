#include "pcmkit/experiment/drift_evaluation.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>

#include "pcmkit/analog/programmed_weights.h"
#include "pcmkit/core/error.h"
#include "pcmkit/nn/batch_norm2d.h"

namespace pcmkit::experiment {
namespace {

// SplitMix64: well-spread, independent seeds for the realisations of one user seed.
std::uint64_t mix(std::uint64_t seed, std::uint64_t r) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (r + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Every layer gets its own range of 2^36 device items (2 per weight).
constexpr int kItemBitsPerLayer = 36;

struct SavedBatchNorm {
  nn::BatchNorm2d* bn;
  Eigen::VectorXf mean, var;
};

std::vector<SavedBatchNorm> save_batch_norms(nn::Network& network) {
  std::vector<SavedBatchNorm> saved;
  for (nn::BatchNorm2d* bn : network.batch_norms())
    saved.push_back({bn, bn->running_mean(), bn->running_var()});
  return saved;
}

void restore_batch_norms(const std::vector<SavedBatchNorm>& saved) {
  for (const SavedBatchNorm& s : saved) {
    s.bn->running_mean() = s.mean;
    s.bn->running_var() = s.var;
    s.bn->refresh();
  }
}

// AdaBS: every BatchNorm re-estimates its statistics on the calibration images.
// Returns the number of images seen: fewer than num_images when the calibration set is smaller.
std::int64_t reestimate_batch_norms(nn::Network& network,
                                    data::ImageDataset& calibration,
                                    std::int64_t num_images,
                                    std::int64_t batch_size) {
  const std::vector<nn::BatchNorm2d*> bns = network.batch_norms();
  for (nn::BatchNorm2d* bn : bns) bn->begin_statistics();
  calibration.rewind();
  data::ImageBatch batch;
  std::int64_t seen = 0;
  while (seen < num_images && calibration.next(std::min(batch_size, num_images - seen), batch)) {
    seen += batch.images.n();
    network.forward(std::move(batch.images));
  }
  for (nn::BatchNorm2d* bn : bns) bn->end_statistics();
  return seen;
}

void summarise(AccuracyPoint& p) {
  const auto& a = p.accuracy_percent;
  double sum = 0;
  for (double v : a) sum += v;
  p.mean = sum / static_cast<double>(a.size());
  double ss = 0;
  for (double v : a) ss += (v - p.mean) * (v - p.mean);
  p.std = a.size() > 1 ? std::sqrt(ss / static_cast<double>(a.size() - 1)) : 0.0;
  p.min = *std::min_element(a.begin(), a.end());
  p.max = *std::max_element(a.begin(), a.end());
}

}  // namespace

const char* compensation_name(Compensation c) {
  switch (c) {
    case Compensation::kNone:
      return "none";
    case Compensation::kGdc:
      return "gdc";
    case Compensation::kAdaBs:
      return "adabs";
  }
  return "?";
}

Compensation parse_compensation(const std::string& name, const std::string& option) {
  if (name == "none") return Compensation::kNone;
  if (name == "gdc") return Compensation::kGdc;
  if (name == "adabs") return Compensation::kAdaBs;
  throw InputError("", option, "'" + name + "' is not one of none, gdc, adabs");
}

void DriftEvaluationOptions::validate(const device::PcmModel& model) const {
  if (times_s.empty()) throw InputError("", "--times", "no evaluation time");
  for (double t : times_s) {
    std::ostringstream s;
    s << "time " << t << " s is before t0 = " << model.t0_s << " s";
    require_input(t >= model.t0_s && std::isfinite(t), "", "--times", s.str(), t);
  }
  // Increasing, as the table and plot read them (a repeated time would be a repeated row).
  for (std::size_t k = 1; k < times_s.size(); ++k)
    if (!(times_s[k] > times_s[k - 1])) {
      std::ostringstream s;
      s << "not increasing: " << times_s[k] << " s after " << times_s[k - 1] << " s";
      throw InputError("", "--times", s.str());
    }
  require_input(repeats >= 1, "", "--repeats", "must be >= 1", repeats);
  if (compensations.empty()) throw InputError("", "--compensation", "nothing to evaluate");
  for (std::size_t i = 0; i < compensations.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (compensations[i] == compensations[j])
        throw InputError("", "--compensation",
                         std::string(compensation_name(compensations[i])) + " given twice");
  require_input(batch_size >= 1, "", "--batch-size", "must be >= 1",
                static_cast<double>(batch_size));
  require_input(max_test_images >= 0, "", "--max-images", "must be >= 0",
                static_cast<double>(max_test_images));
  require_input(adabs_images >= 1, "", "--adabs-images", "must be >= 1",
                static_cast<double>(adabs_images));
  require_input(adabs_batch_size >= 2, "", "--adabs-batch-size", "must be >= 2",
                static_cast<double>(adabs_batch_size));
  periphery.validate();
}

double top1_accuracy(data::ImageDataset& images,
                     std::int64_t batch_size,
                     std::int64_t max_images,
                     const std::function<nn::RowMatrixXf(const nn::Tensor&)>& scores) {
  images.rewind();
  const std::int64_t limit = max_images > 0 ? max_images : images.num_images();
  data::ImageBatch batch;
  std::int64_t seen = 0, correct = 0;
  while (seen < limit && images.next(std::min(batch_size, limit - seen), batch)) {
    const nn::RowMatrixXf s = scores(batch.images);
    for (Eigen::Index i = 0; i < s.rows(); ++i) {
      Eigen::Index best = 0;
      s.row(i).maxCoeff(&best);
      correct += best == batch.labels[static_cast<std::size_t>(i)];
    }
    seen += s.rows();
  }
  PCMKIT_CHECK(seen > 0, "no test image");
  return 100.0 * static_cast<double>(correct) / static_cast<double>(seen);
}

double evaluate_accuracy(nn::Network& network,
                         data::ImageDataset& images,
                         std::int64_t batch_size,
                         std::int64_t max_images) {
  return top1_accuracy(images, batch_size, max_images,
                       [&](const nn::Tensor& x) { return network.forward(x); });
}

DriftEvaluationResult evaluate_drift(nn::Network& network,
                                     const device::PcmModel& model,
                                     data::ImageDataset& test,
                                     data::ImageDataset* calibration,
                                     const DriftEvaluationOptions& options,
                                     const ProgressCallback& progress) {
  options.validate(model);
  const bool adabs = std::count(options.compensations.begin(), options.compensations.end(),
                                Compensation::kAdaBs) > 0;
  PCMKIT_CHECK(!adabs || calibration != nullptr, "AdaBS needs calibration images");

  DriftEvaluationResult result;
  result.num_test_images = options.max_test_images > 0
                               ? std::min(options.max_test_images, test.num_images())
                               : test.num_images();
  const std::vector<nn::AnalogLayerRef> layers = network.analog_layers();
  for (const auto& l : layers) {
    l.layer->clear_effective_weight();
    l.layer->clear_matrix_product();
  }
  result.fp32_accuracy_percent =
      evaluate_accuracy(network, test, options.batch_size, options.max_test_images);

  for (double t : options.times_s)
    for (Compensation c : options.compensations) result.points.push_back({t, c, {}, 0, 0, 0, 0});
  const std::vector<SavedBatchNorm> saved = save_batch_norms(network);
  std::vector<bool> kept_digital(layers.size()), periphery(layers.size());
  for (std::size_t l = 0; l < layers.size(); ++l) {
    kept_digital[l] = (options.first_layer_digital && l == 0) ||
                      (options.last_layer_digital && l + 1 == layers.size());
    periphery[l] = options.periphery.enabled() && !kept_digital[l];
  }
  const std::int64_t total =
      static_cast<std::int64_t>(options.repeats) * static_cast<std::int64_t>(result.points.size());
  std::int64_t done = 0;

  for (int r = 0; r < options.repeats; ++r) {
    const std::uint64_t seed = mix(options.seed, static_cast<std::uint64_t>(r));
    // Program every analog layer once; read W(t_ref) for GDC.
    std::vector<std::unique_ptr<analog::ProgrammedWeights>> programmed(layers.size());
    std::vector<Eigen::ArrayXf> w_ref(layers.size());
    for (std::size_t l = 0; l < layers.size(); ++l) {
      if (options.ideal_device || kept_digital[l]) continue;
      const nn::RowMatrixXf& w = layers[l].layer->master_weight();
      const Eigen::Map<const Eigen::ArrayXf> flat(w.data(), w.size());
      programmed[l] = std::make_unique<analog::ProgrammedWeights>(
          model, flat, seed, static_cast<std::uint64_t>(l) << kItemBitsPerLayer);
      w_ref[l] = programmed[l]->read_weights(model.t0_s, 0);
    }
    for (std::size_t k = 0; k < options.times_s.size(); ++k) {
      // Fresh reads at this time, shared by the compensations (same devices, same reads).
      std::vector<Eigen::ArrayXf> w_t(layers.size());
      std::vector<double> alpha(layers.size(), 1.0);
      for (std::size_t l = 0; l < layers.size(); ++l) {
        if (!programmed[l]) continue;
        w_t[l] = programmed[l]->read_weights(options.times_s[k], k + 1);
        alpha[l] = analog::global_drift_compensation(w_ref[l], w_t[l]);
      }
      for (std::size_t ci = 0; ci < options.compensations.size(); ++ci) {
        const Compensation comp = options.compensations[ci];
        for (std::size_t l = 0; l < layers.size(); ++l) {
          nn::AnalogLayer& layer = *layers[l].layer;
          const nn::RowMatrixXf& master = layer.master_weight();
          if (!programmed[l]) {
            layer.clear_effective_weight();
            if (periphery[l])  // the ideal device: the fp32 weight on the crossbar
              layer.set_matrix_product(std::make_shared<analog::CrossbarPeriphery>(
                  options.periphery, static_cast<double>(master.cwiseAbs().maxCoeff())));
            continue;
          }
          const Eigen::Map<const nn::RowMatrixXf> read(w_t[l].data(), master.rows(), master.cols());
          if (periphery[l]) {  // W(t) on the crossbar, α after the ADC
            layer.set_effective_weight(read);
            layer.set_matrix_product(std::make_shared<analog::CrossbarPeriphery>(
                options.periphery, programmed[l]->w_max(),
                comp == Compensation::kNone ? 1.0 : alpha[l]));
            continue;
          }
          const float a = comp == Compensation::kNone ? 1.0f : static_cast<float>(alpha[l]);
          nn::RowMatrixXf w = read * a;
          layer.set_effective_weight(std::move(w));
        }
        if (comp == Compensation::kAdaBs)
          result.num_adabs_images = reestimate_batch_norms(
              network, *calibration, options.adabs_images, options.adabs_batch_size);
        result.points[k * options.compensations.size() + ci].accuracy_percent.push_back(
            evaluate_accuracy(network, test, options.batch_size, options.max_test_images));
        if (comp == Compensation::kAdaBs) restore_batch_norms(saved);
        if (progress) progress({"evaluations", ++done, total});
      }
    }
  }
  for (const auto& l : layers) {
    l.layer->clear_effective_weight();
    l.layer->clear_matrix_product();
  }
  restore_batch_norms(saved);
  for (AccuracyPoint& p : result.points) summarise(p);
  return result;
}

}  // namespace pcmkit::experiment
