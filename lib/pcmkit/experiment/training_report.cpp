#include "pcmkit/experiment/training_report.h"

#include <cstdio>
#include <sstream>

#include "pcmkit/core/atomic_file.h"
#include "pcmkit/core/detail/gnuplot.h"

namespace pcmkit::experiment {

std::string epoch_summary(const EpochRecord& r, int epochs) {
  char line[200];
  std::snprintf(line, sizeof line,
                "epoch %d/%d  lr %.4g  loss %.4f  train %.2f%%  test %.2f%%  %.1f s", r.epoch,
                epochs, r.learning_rate, r.train_loss, r.train_accuracy_percent,
                r.test_accuracy_percent, r.seconds);
  std::string text = line;
  if (r.last_iterate_test_accuracy_percent != r.test_accuracy_percent) {
    std::snprintf(line, sizeof line, "  (EMA; last iterate %.2f%%)",
                  r.last_iterate_test_accuracy_percent);
    text += line;
  }
  return text;
}

std::vector<std::filesystem::path> write_training_log(const std::vector<EpochRecord>& log,
                                                      const std::filesystem::path& dir) {
  OutputSet outputs;
  std::vector<std::filesystem::path> written = add_training_log(outputs, log, dir);
  outputs.commit();
  return written;
}

std::vector<std::filesystem::path> add_training_log(OutputSet& outputs,
                                                    const std::vector<EpochRecord>& log,
                                                    const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> written;
  std::ostringstream csv;
  csv.precision(8);
  csv << "epoch,learning_rate,train_loss,train_accuracy_percent,test_accuracy_percent,seconds,"
         "last_iterate_test_accuracy_percent\n";
  bool averaged = false;
  for (const EpochRecord& r : log) {
    csv << r.epoch << ',' << r.learning_rate << ',' << r.train_loss << ','
        << r.train_accuracy_percent << ',' << r.test_accuracy_percent << ',' << r.seconds << ','
        << r.last_iterate_test_accuracy_percent << '\n';
    averaged = averaged || r.last_iterate_test_accuracy_percent != r.test_accuracy_percent;
  }
  outputs.add_text(dir / "log.csv", csv.str());
  written.push_back(dir / "log.csv");
  const std::string script =
      "set terminal pngcairo size 1000,450 font 'DejaVu Sans,11'\n"
      "set output 'training.png'\nset datafile separator ','\nset key autotitle columnhead\n"
      "set multiplot layout 1,2\nset grid\nset xlabel 'epoch'\n"
      "set ylabel 'training loss'\nset logscale y\n"
      "plot 'log.csv' using 1:3 with lines lw 2 title 'train loss'\n"
      "unset logscale y\nset ylabel 'accuracy (%)'\nset key bottom right\n"
      "plot 'log.csv' using 1:4 with lines lw 2 title 'train (augmented, with noise)', "
      "'' using 1:5 with lines lw 2 title " +
      std::string(averaged ? "'test (weight average, EMA)', '' using 1:7 with lines lw 1 "
                             "title 'test (last iterate)'"
                           : "'test (clean weights)'") +
      "\nunset multiplot\n";
  outputs.add_text(dir / "training.gp", script);
  written.push_back(dir / "training.gp");
  if (log.size() >= 2 && outputs.add_figure(dir / "training.png", "training.gp"))
    written.push_back(dir / "training.png");
  return written;
}

}  // namespace pcmkit::experiment
