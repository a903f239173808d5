#include "pcmkit/experiment/drift_evaluation.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>

#include "pcmkit/core/error.h"

namespace pcmkit::experiment {
namespace {

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
  if (times_s.empty()) throw InputError("", "times_s", "no evaluation time");
  for (double t : times_s) {
    std::ostringstream s;
    s << "time " << t << " s is before t0 = " << model.t0_s << " s";
    require_input(t >= model.t0_s && std::isfinite(t), "", "times_s", s.str(), t);
  }
  // Increasing, as the table and plot read them (a repeated time would be a repeated row).
  for (std::size_t k = 1; k < times_s.size(); ++k)
    if (!(times_s[k] > times_s[k - 1])) {
      std::ostringstream s;
      s << "not increasing: " << times_s[k] << " s after " << times_s[k - 1] << " s";
      throw InputError("", "times_s", s.str());
    }
  require_input(repeats >= 1, "", "repeats", "must be >= 1", repeats);
  if (compensations.empty()) throw InputError("", "compensations", "nothing to evaluate");
  for (std::size_t i = 0; i < compensations.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (compensations[i] == compensations[j])
        throw InputError("", "compensations",
                         std::string(compensation_name(compensations[i])) + " given twice");
  require_input(batch_size >= 1, "", "batch_size", "must be >= 1", static_cast<double>(batch_size));
  require_input(max_test_images >= 0, "", "max_test_images", "must be >= 0",
                static_cast<double>(max_test_images));
  require_input(adabs_images >= 1, "", "adabs_images", "must be >= 1",
                static_cast<double>(adabs_images));
  require_input(adabs_batch_size >= 2, "", "adabs_batch_size", "must be >= 2",
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

analog::AnalogMapping DriftEvaluationOptions::mapping() const {
  analog::AnalogMapping m;
  m.first_layer_digital = first_layer_digital;
  m.last_layer_digital = last_layer_digital;
  m.periphery = periphery;
  return m;
}

bool DriftEvaluationOptions::uses_adabs() const {
  return std::count(compensations.begin(), compensations.end(), Compensation::kAdaBs) > 0;
}

std::uint64_t realisation_seed(std::uint64_t seed, int realisation) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (static_cast<std::uint64_t>(realisation) + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::vector<EvaluationItem> evaluation_items(const DriftEvaluationOptions& options) {
  std::vector<EvaluationItem> items = {EvaluationItem{}};
  const int repeats = options.ideal_device ? 1 : options.repeats;
  const std::size_t times = options.ideal_device ? 1 : options.times_s.size();
  for (int r = 0; r < repeats; ++r)
    for (std::size_t k = 0; k < times; ++k)
      for (std::size_t c = 0; c < options.compensations.size(); ++c) items.push_back({r, k, c});
  return items;
}

DriftItemEvaluator::DriftItemEvaluator(nn::Network& network,
                                       const device::PcmModel& model,
                                       data::ImageDataset& test,
                                       data::ImageDataset* calibration,
                                       const DriftEvaluationOptions& options)
    : network_(network),
      model_(model),
      test_(test),
      calibration_(calibration),
      options_(options),
      trained_statistics_(network) {
  PCMKIT_CHECK(!options.uses_adabs() || calibration != nullptr, "AdaBS needs calibration images");
}

DriftItemEvaluator::~DriftItemEvaluator() {
  analog::load_fp32_weights(network_);
  trained_statistics_.restore();
}

double DriftItemEvaluator::accuracy_percent(const EvaluationItem& item) {
  if (item.realisation < 0) {  // the fp32 network
    analog::load_fp32_weights(network_);
    return evaluate_accuracy(network_, test_, options_.batch_size, options_.max_test_images);
  }
  if (!programmed_ || programmed_realisation_ != item.realisation) {
    programmed_.reset();
    programmed_ = std::make_unique<analog::ProgrammedNetwork>(
        network_, options_.ideal_device ? nullptr : &model_, options_.mapping(),
        realisation_seed(options_.seed, item.realisation));
    programmed_realisation_ = item.realisation;
  }
  const double t_s = options_.times_s[item.time_index];
  if (!options_.ideal_device && !(programmed_->read_time_s() == t_s)) programmed_->read(t_s);
  const Compensation comp = options_.compensations[item.compensation_index];
  programmed_->load(comp == Compensation::kNone ? analog::DriftCompensation::kNone
                                                : analog::DriftCompensation::kGlobal);
  if (comp == Compensation::kAdaBs)
    nn::reestimate_batch_norms(network_, *calibration_, options_.adabs_images,
                               options_.adabs_batch_size);
  const double accuracy =
      evaluate_accuracy(network_, test_, options_.batch_size, options_.max_test_images);
  if (comp == Compensation::kAdaBs) trained_statistics_.restore();
  return accuracy;
}

DriftEvaluationResult assemble_drift_result(const DriftEvaluationOptions& options,
                                            const std::vector<double>& accuracy,
                                            std::int64_t num_test_images,
                                            std::int64_t num_adabs_images) {
  const std::vector<EvaluationItem> items = evaluation_items(options);
  PCMKIT_CHECK(accuracy.size() == items.size(), "one accuracy per item");
  DriftEvaluationResult result;
  result.num_test_images = num_test_images;
  result.num_adabs_images = num_adabs_images;
  const std::size_t nc = options.compensations.size();
  for (double t : options.times_s)
    for (Compensation c : options.compensations) result.points.push_back({t, c, {}, 0, 0, 0, 0});
  for (std::size_t i = 0; i < items.size(); ++i) {
    const EvaluationItem& item = items[i];
    if (item.realisation < 0) {
      result.fp32_accuracy_percent = accuracy[i];
    } else if (options.ideal_device) {  // one evaluation stands for every time
      for (std::size_t k = 0; k < options.times_s.size(); ++k)
        result.points[k * nc + item.compensation_index].accuracy_percent.push_back(accuracy[i]);
    } else {
      result.points[item.time_index * nc + item.compensation_index].accuracy_percent.push_back(
          accuracy[i]);
    }
  }
  for (AccuracyPoint& p : result.points) summarise(p);
  return result;
}

std::optional<DriftEvaluationResult> run_drift_sweep(nn::Network& network,
                                                     const device::PcmModel& model,
                                                     data::ImageDataset& test,
                                                     data::ImageDataset* calibration,
                                                     const DriftEvaluationOptions& options,
                                                     const ProgressCallback& progress,
                                                     const DriftSweepControl& control) {
  options.validate(model);
  const std::vector<EvaluationItem> items = evaluation_items(options);
  const auto n = static_cast<std::int64_t>(items.size());
  std::vector<double> accuracy(items.size(), 0.0);
  std::vector<std::int64_t> pending;
  for (std::int64_t i = 0; i < n; ++i) {
    const auto known = control.finished.find(i);
    if (known != control.finished.end())
      accuracy[static_cast<std::size_t>(i)] = known->second;
    else
      pending.push_back(i);
  }
  for (const auto& [i, value] : control.finished)
    PCMKIT_CHECK(i >= 0 && i < n, "a finished item outside the sweep");

  std::int64_t done = n - static_cast<std::int64_t>(pending.size());
  if (progress) progress({"evaluations", done, n});
  bool collected = true;
  {
    DriftItemEvaluator evaluator(network, model, test, calibration, options);
    const parallel::ItemCompute compute = [&](std::int64_t i) {
      return evaluator.accuracy_percent(items[static_cast<std::size_t>(i)]);
    };
    const parallel::ItemFinished finished = [&](std::int64_t i, double value) {
      accuracy[static_cast<std::size_t>(i)] = value;
      if (control.on_finished) control.on_finished(i, value);
      if (progress) progress({"evaluations", ++done, n});
    };
    parallel::LocalItemRunner local;
    parallel::ItemRunner& runner = control.runner ? *control.runner : local;
    collected = runner.run(pending, compute, finished);
  }
  if (!collected) return std::nullopt;

  const std::int64_t num_test = options.max_test_images > 0
                                    ? std::min(options.max_test_images, test.num_images())
                                    : test.num_images();
  const std::int64_t num_adabs =
      options.uses_adabs() ? std::min(options.adabs_images, calibration->num_images()) : 0;
  return assemble_drift_result(options, accuracy, num_test, num_adabs);
}

DriftEvaluationResult evaluate_drift(nn::Network& network,
                                     const device::PcmModel& model,
                                     data::ImageDataset& test,
                                     data::ImageDataset* calibration,
                                     const DriftEvaluationOptions& options,
                                     const ProgressCallback& progress) {
  return *run_drift_sweep(network, model, test, calibration, options, progress, {});
}

}  // namespace pcmkit::experiment
