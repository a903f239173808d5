#include "pcmkit/experiment/training_checkpoint.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <utility>

#include "pcmkit/core/detail/json_text.h"
#include "pcmkit/core/error.h"
#include "pcmkit/nn/exponential_moving_average.h"
#include "pcmkit/nn/weights_hdf5.h"

namespace pcmkit::experiment {
namespace {

using json = nlohmann::ordered_json;
constexpr const char* kSchema = "pcmkit.training-checkpoint/1";
constexpr const char* kLivePrefix = "iterate.";
constexpr const char* kAveragedStatisticsPrefix = "average.";

// With re-estimated statistics the file's BatchNorm statistics are those; the average's own
// (averaged) ones, which training goes on averaging, are kept under /training.
bool keeps_averaged_statistics(const Trainer& trainer) {
  return trainer.options().ema_decay > 0 && trainer.options().ema_batch_norm_images > 0;
}

// The average's BatchNorm running statistics (the values that are not trained), named.
std::vector<nn::ExponentialMovingAverage::Values> averaged_statistics(Trainer& trainer) {
  const std::vector<nn::ParameterRef> parameters = trainer.network().parameters();
  const std::vector<nn::ExponentialMovingAverage::Values> average = trainer.average()->values();
  std::vector<nn::ExponentialMovingAverage::Values> statistics;
  for (std::size_t k = 0; k < parameters.size(); ++k)
    if (!parameters[k].trainable) statistics.push_back(average[k]);
  return statistics;
}

const char* schedule_name(nn::LrScheduleKind kind) {
  switch (kind) {
    case nn::LrScheduleKind::kStep:
      return "step";
    case nn::LrScheduleKind::kCosine:
      return "cosine";
    case nn::LrScheduleKind::kOneCycle:
      return "onecycle";
  }
  return "?";
}

json options_to_json(const TrainingOptions& o) {
  json j;
  j["epochs"] = o.epochs;
  j["batch_size"] = o.batch_size;
  j["learning_rate"] = o.learning_rate;
  j["schedule"] = schedule_name(o.schedule);
  j["milestone_epochs"] = o.milestone_epochs;
  j["gamma"] = o.gamma;
  j["warmup_fraction"] = o.warmup_fraction;
  j["momentum"] = o.sgd.momentum;
  j["nesterov"] = o.sgd.nesterov;
  j["weight_decay"] = o.sgd.weight_decay;
  j["decay_batch_norm_and_bias"] = o.sgd.decay_batch_norm_and_bias;
  j["label_smoothing"] = o.label_smoothing;
  j["weight_noise"] = o.weight_noise;
  j["clip_alpha"] = o.clip_alpha;
  j["frozen_batch_norm_epochs"] = o.frozen_batch_norm_epochs;
  j["ema_decay"] = o.ema_decay;
  j["ema_batch_norm_images"] = o.ema_batch_norm_images;
  j["distillation_weight"] = o.distillation_weight;
  j["distillation_temperature"] = o.distillation_temperature;
  j["teachers"] = o.teachers;
  j["teacher_arch"] = o.teacher_arch;
  j["augmentation"] = o.augmentation.enabled;
  j["crop_padding"] = o.augmentation.padding;
  j["flip"] = o.augmentation.flip;
  j["cutout"] = o.augmentation.cutout;
  j["mixing"] = data::batch_mixing_name(o.mixing.kind);
  j["mixing_alpha"] = o.mixing.alpha;
  j["mixing_probability"] = o.mixing.probability;
  j["seed"] = o.seed;
  j["max_train_images"] = o.max_train_images;
  j["max_test_images"] = o.max_test_images;
  return j;
}

json log_to_json(const std::vector<EpochRecord>& log) {
  json a = json::array();
  for (const EpochRecord& r : log)
    a.push_back({{"epoch", r.epoch},
                 {"learning_rate", r.learning_rate},
                 {"train_loss", r.train_loss},
                 {"train_accuracy_percent", r.train_accuracy_percent},
                 {"test_accuracy_percent", r.test_accuracy_percent},
                 {"last_iterate_test_accuracy_percent", r.last_iterate_test_accuracy_percent},
                 {"seconds", r.seconds}});
  return a;
}

}  // namespace

std::string training_options_json(const TrainingOptions& options) {
  return options_to_json(options).dump();
}

std::string training_settings_json(const std::string& arch,
                                   const std::string& init_weights,
                                   const std::string& data_dir,
                                   const TrainingOptions& options) {
  json j;
  j["schema"] = "pcmkit.training-settings/1";
  j["arch"] = arch;
  j["init_weights"] = init_weights;
  j["data"] = data_dir;
  j["options"] = options_to_json(options);
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

void save_training_checkpoint(const std::filesystem::path& path,
                              Trainer& trainer,
                              const nn::InputNormalization& normalization,
                              const std::string& init_weights) {
  OutputSet outputs;
  add_training_checkpoint(outputs, path, trainer, normalization, init_weights);
  outputs.commit();
}

void add_training_checkpoint(OutputSet& outputs,
                             const std::filesystem::path& path,
                             Trainer& trainer,
                             const nn::InputNormalization& normalization,
                             const std::string& init_weights) {
  nn::TrainingGroup group;
  for (const nn::MomentumBufferRef& b : trainer.optimizer().momentum_buffers())
    group.arrays.emplace_back("momentum." + b.name,
                              std::vector<float>(b.values.begin(), b.values.end()));
  // With EMA the file's weights are the average (what evaluate should read) and the last
  // iterate, which training continues from, is kept under /training.
  if (trainer.average())
    for (const nn::ParameterRef& p : trainer.network().parameters())
      group.arrays.emplace_back(kLivePrefix + p.name,
                                std::vector<float>(p.values.begin(), p.values.end()));
  if (keeps_averaged_statistics(trainer))
    for (const nn::ExponentialMovingAverage::Values& v : averaged_statistics(trainer))
      group.arrays.emplace_back(kAveragedStatisticsPrefix + v.name,
                                std::vector<float>(v.values.begin(), v.values.end()));
  json state;
  state["schema"] = kSchema;
  state["arch"] = trainer.network().arch();
  state["epochs_done"] = trainer.epochs_done();
  state["init_weights"] = init_weights;
  state["options"] = options_to_json(trainer.options());
  state["log"] = log_to_json(trainer.log());
  group.state_json = state.dump();
  const ScopedExportedNetwork exported(trainer);
  nn::add_weights_hdf5(outputs, path, trainer.network(), normalization, &group,
                       trainer.options().trained_cutout());
}

TrainingCheckpointInfo load_training_checkpoint(const std::filesystem::path& path,
                                                Trainer& trainer) {
  const std::string file = path.string();
  const nn::TrainingGroup group = nn::load_training_group(path);
  check_json_structure(group.state_json, file);
  json state;
  try {
    state = json::parse(group.state_json);
  } catch (const json::exception&) {
    throw InputError(file, "training/state", "not valid JSON");
  }
  if (!state.is_object() || state.value("schema", "") != kSchema)
    throw InputError(file, "training/state", std::string("schema is not ") + kSchema);
  if (state.value("arch", "") != trainer.network().arch())
    throw InputError(file, "arch",
                     "checkpoint of " + state.value("arch", std::string("?")) + ", not " +
                         trainer.network().arch());
  const json want = options_to_json(trainer.options());
  const json& have = state["options"];
  // Options added after checkpoints were written: their absence means this value.
  const json added_later = {{"frozen_batch_norm_epochs", 0},
                            {"ema_decay", 0.0},
                            {"ema_batch_norm_images", 0},
                            {"distillation_weight", 0.0},
                            {"distillation_temperature", 4.0},
                            {"teachers", json::array()},
                            {"teacher_arch", ""},
                            {"cutout", 0},
                            {"mixing", "none"},
                            {"mixing_alpha", 1.0},
                            {"mixing_probability", 1.0}};
  for (const auto& [key, value] : want.items()) {
    if (!have.contains(key) && added_later.contains(key) && added_later[key] == value) continue;
    if (!have.contains(key) || have[key] != value)
      throw InputError(file, "options." + key,
                       "the checkpoint was made with " +
                           (have.contains(key) ? have[key].dump() : std::string("nothing")) +
                           ", this run asks for " + value.dump() +
                           " (resume with the same options)");
  }
  std::vector<EpochRecord> log;
  try {
    for (const json& r : state.at("log")) {
      EpochRecord record;
      record.epoch = r.at("epoch").get<int>();
      record.learning_rate = r.at("learning_rate").get<double>();
      record.train_loss = r.at("train_loss").get<double>();
      record.train_accuracy_percent = r.at("train_accuracy_percent").get<double>();
      record.test_accuracy_percent = r.at("test_accuracy_percent").get<double>();
      // Logs from before EMA: the tested network was the last iterate.
      record.last_iterate_test_accuracy_percent =
          r.value("last_iterate_test_accuracy_percent", record.test_accuracy_percent);
      record.seconds = r.at("seconds").get<double>();
      log.push_back(record);
    }
  } catch (const json::exception&) {
    throw InputError(file, "training/state", "malformed log");
  }
  if (!state.contains("epochs_done") || !state["epochs_done"].is_number_integer() ||
      state["epochs_done"].get<std::int64_t>() != static_cast<std::int64_t>(log.size()))
    throw InputError(file, "training/state", "epochs_done does not match the log");
  if (state.contains("init_weights") && !state["init_weights"].is_string())
    throw InputError(file, "training/state", "init_weights is not a string");

  // Every array the trainer needs: the momentum buffers, and with EMA the last iterate.
  std::vector<std::pair<std::string, std::span<float>>> targets;
  for (const nn::MomentumBufferRef& b : trainer.optimizer().momentum_buffers())
    targets.emplace_back("momentum." + b.name, b.values);
  if (trainer.average())
    for (const nn::ParameterRef& p : trainer.network().parameters())
      targets.emplace_back(kLivePrefix + p.name, p.values);
  if (keeps_averaged_statistics(trainer))
    for (const nn::ExponentialMovingAverage::Values& v : averaged_statistics(trainer))
      targets.emplace_back(kAveragedStatisticsPrefix + v.name, v.values);
  if (targets.size() != group.arrays.size())
    throw InputError(file, "training",
                     std::to_string(group.arrays.size()) + " arrays, expected " +
                         std::to_string(targets.size()) +
                         (keeps_averaged_statistics(trainer)
                              ? " (momentum buffers, the last iterate and the averaged BatchNorm "
                                "statistics)"
                          : trainer.average() ? " (momentum buffers and the last iterate)"
                                              : " (momentum buffers)"));
  std::vector<const std::vector<float>*> sources;
  for (const auto& [name, values] : targets) {
    const auto it = std::find_if(group.arrays.begin(), group.arrays.end(),
                                 [&name = name](const auto& a) { return a.first == name; });
    if (it == group.arrays.end()) throw InputError(file, "training/" + name, "missing");
    if (it->second.size() != values.size())
      throw InputError(
          file, "training/" + name,
          std::to_string(it->second.size()) + " values, expected " + std::to_string(values.size()));
    if (!std::all_of(it->second.begin(), it->second.end(),
                     [](float v) { return std::isfinite(v); }))
      throw InputError(file, "training/" + name, "not finite");
    sources.push_back(&it->second);
  }
  // Everything checked: now change the trainer (the weights loader checks before it writes).
  const nn::WeightsFileInfo info = nn::load_weights_hdf5(path, trainer.network());
  if (keeps_averaged_statistics(trainer)) trainer.restore_reestimated_statistics();
  // With EMA the file's weights are the average: move them into it, then restore the iterate
  // (and the averaged statistics under the re-estimated ones).
  if (trainer.average()) trainer.average()->swap_with_network();
  for (std::size_t k = 0; k < targets.size(); ++k)
    std::copy(sources[k]->begin(), sources[k]->end(), targets[k].second.begin());
  trainer.network().refresh();
  trainer.restore_log(std::move(log));
  return {info.normalization, state.value("init_weights", std::string())};
}

}  // namespace pcmkit::experiment
