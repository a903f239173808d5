// Knowledge distillation's loss and gradient against PyTorch 1.13 (float64):
//   (1 − a)·F.cross_entropy(z, y, label_smoothing=eps) +
//   a·T²·F.kl_div(F.log_softmax(z/T, 1), q, reduction="batchmean"), q the mean of two teachers'
//   F.softmax(z_t/T, 1), dL/dz by torch.autograd.grad; and with probability targets for the hard
//   term (mixup's), F.cross_entropy(z, t, label_smoothing=eps) with t = 0.7·onehot(y) +
//   0.3·onehot(y[π]), π = (2, 0, 1).
#include "pcmkit/nn/distillation_loss.h"

#include <doctest/doctest.h>

#include <vector>

#include "pcmkit/core/error.h"

namespace pcmkit::nn {
namespace {

RowMatrixXf matrix(std::initializer_list<std::initializer_list<double>> rows) {
  RowMatrixXf m(static_cast<Index>(rows.size()), static_cast<Index>(rows.begin()->size()));
  Index i = 0;
  for (const auto& row : rows) {
    Index k = 0;
    for (double v : row) m(i, k++) = static_cast<float>(v);
    ++i;
  }
  return m;
}

const RowMatrixXf kStudent =
    matrix({{1.5, -0.5, 0.25, 2.0}, {0.0, 3.0, -1.0, 0.5}, {-2.0, 0.0, 1.0, 1.0}});
const RowMatrixXf kTeacher1 =
    matrix({{1.0, 0.0, 0.0, 3.0}, {0.5, 2.0, 0.0, 0.0}, {0.0, 0.0, 2.0, 1.0}});
const RowMatrixXf kTeacher2 =
    matrix({{0.0, 1.0, 0.0, 2.0}, {0.0, 4.0, -1.0, 0.0}, {1.0, -1.0, 0.5, 0.0}});
const std::vector<int> kLabels{3, 1, 0};

// The mixed targets of kLabels with partners π = (2, 0, 1) and λ = 0.7.
RowMatrixXf mixed_targets() {
  return matrix({{0.3, 0.0, 0.0, 0.7}, {0.0, 0.7, 0.0, 0.3}, {0.7, 0.3, 0.0, 0.0}});
}

RowMatrixXf ensemble(double temperature) {
  RowMatrixXf q = softened_probabilities(kTeacher1, temperature);
  q += softened_probabilities(kTeacher2, temperature);
  return q / 2.0f;
}

TEST_CASE("distillation loss and gradient match PyTorch's KL-divergence recipe") {
  const struct {
    double weight, temperature, smoothing, loss;
    double q00, q12;
    double grad[3][4];
  } cases[] = {
      {0.7,
       4.0,
       0.0,
       0.7072052536594384,
       0.2202320747,
       0.1753992565,
       {{0.09588921813, -0.040393143, 0.0250323329, -0.08052840802},
        {-0.005557700942, -0.01182374444, -0.01757428309, 0.03495572847},
        {-0.1997476231, 0.05756932828, 0.04643373513, 0.09574455966}}},
      {0.5,
       2.0,
       0.1,
       0.9602605243077482,
       0.1799221363,
       0.1136412233,
       {{0.09472429248, -0.02200286916, 0.0206896108, -0.09341103412},
        {-0.004065385207, -0.005308983235, -0.01196900811, 0.02134337656},
        {-0.211161826, 0.04419664725, 0.0642696267, 0.1026955521}}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.temperature);
    const RowMatrixXf q = ensemble(c.temperature);
    CHECK(q(0, 0) == doctest::Approx(c.q00).epsilon(1e-6));
    CHECK(q(1, 2) == doctest::Approx(c.q12).epsilon(1e-6));
    const CrossEntropyResult r =
        distillation_loss(kStudent, kLabels, q, c.weight, c.temperature, c.smoothing);
    CHECK(r.loss == doctest::Approx(c.loss).epsilon(1e-6));
    for (Index i = 0; i < 3; ++i)
      for (Index k = 0; k < 4; ++k)
        CHECK(r.dlogits(i, k) == doctest::Approx(c.grad[i][k]).epsilon(1e-5));
    CHECK(r.num_correct == 2);  // rows 0 and 1 have their largest logit at the label
  }
}

TEST_CASE("cross-entropy with probability targets matches PyTorch's, alone and distilled") {
  const struct {
    double smoothing, loss;
    double grad[3][4];
  } plain[] = {
      {0.0,
       1.648196123196297,
       {{0.008557783171, 0.01469169833, 0.03110232562, -0.05435180712},
        {0.01442867922, 0.05647443598, 0.00530801445, -0.07621112965},
        {-0.2264689915, -0.04927899282, 0.1378739921, 0.1378739921}}},
      {0.1,
       1.690279456529631,
       {{0.01022444984, 0.006358365, 0.02276899228, -0.03935180712},
        {0.006095345891, 0.07147443598, -0.003025318883, -0.07454446299},
        {-0.2114689915, -0.04761232615, 0.1295406588, 0.1295406588}}},
  };
  for (const auto& c : plain) {
    CAPTURE(c.smoothing);
    const CrossEntropyResult r = softmax_cross_entropy(kStudent, mixed_targets(), c.smoothing);
    CHECK(r.loss == doctest::Approx(c.loss).epsilon(1e-6));
    for (Index i = 0; i < 3; ++i)
      for (Index k = 0; k < 4; ++k)
        CHECK(r.dlogits(i, k) == doctest::Approx(c.grad[i][k]).epsilon(1e-5));
    // Rows 0 and 1 have their largest logit at the target's largest entry, row 2 does not.
    CHECK(r.num_correct == 2);
  }
  const struct {
    double weight, temperature, smoothing, loss;
    double grad[3][4];
  } distilled[] = {
      {0.7,
       4.0,
       0.0,
       0.7372052536594386,
       {{0.06588921813, -0.040393143, 0.0250323329, -0.05052840802},
        {-0.005557700942, 0.01817625556, -0.01757428309, 0.00495572847},
        {-0.1697476231, 0.02756932828, 0.04643373513, 0.09574455966}}},
      {0.5,
       2.0,
       0.1,
       1.005260524307749,
       {{0.04972429248, -0.02200286916, 0.0206896108, -0.04841103412},
        {-0.004065385207, 0.03969101676, -0.01196900811, -0.02365662344},
        {-0.166161826, -0.0008033527513, 0.0642696267, 0.1026955521}}},
  };
  for (const auto& c : distilled) {
    CAPTURE(c.temperature);
    const CrossEntropyResult r = distillation_loss(
        kStudent, mixed_targets(), ensemble(c.temperature), c.weight, c.temperature, c.smoothing);
    CHECK(r.loss == doctest::Approx(c.loss).epsilon(1e-6));
    for (Index i = 0; i < 3; ++i)
      for (Index k = 0; k < 4; ++k)
        CHECK(r.dlogits(i, k) == doctest::Approx(c.grad[i][k]).epsilon(1e-5));
  }
}

TEST_CASE(
    "one-hot probability targets give the labels' cross-entropy, and bad targets are refused") {
  RowMatrixXf onehot = RowMatrixXf::Zero(3, 4);
  for (Index i = 0; i < 3; ++i) onehot(i, kLabels[static_cast<std::size_t>(i)]) = 1.0f;
  for (double smoothing : {0.0, 0.2}) {
    const CrossEntropyResult a = softmax_cross_entropy(kStudent, onehot, smoothing);
    const CrossEntropyResult b = softmax_cross_entropy(kStudent, kLabels, smoothing);
    CHECK(a.loss == doctest::Approx(b.loss).epsilon(1e-12));
    CHECK(a.dlogits.isApprox(b.dlogits, 1e-6f));
    CHECK(a.num_correct == b.num_correct);
  }
  RowMatrixXf negative = mixed_targets(), unnormalised = mixed_targets();
  negative(0, 0) = -0.3f;
  negative(0, 1) = 0.6f;
  unnormalised(1, 1) = 0.8f;
  CHECK_THROWS_AS(softmax_cross_entropy(kStudent, negative), InternalError);
  CHECK_THROWS_AS(softmax_cross_entropy(kStudent, unnormalised), InternalError);
  CHECK_THROWS_AS(softmax_cross_entropy(kStudent, RowMatrixXf(RowMatrixXf::Zero(2, 4))),
                  InternalError);
}

TEST_CASE("weight 0 is plain cross-entropy, and weight 1 with the student as teacher is zero") {
  const RowMatrixXf q = ensemble(3.0);
  const CrossEntropyResult hard = distillation_loss(kStudent, kLabels, q, 0.0, 3.0, 0.1);
  const CrossEntropyResult plain = softmax_cross_entropy(kStudent, kLabels, 0.1);
  CHECK(hard.loss == doctest::Approx(plain.loss).epsilon(1e-12));
  CHECK(hard.dlogits.isApprox(plain.dlogits, 1e-7f));
  const CrossEntropyResult self =
      distillation_loss(kStudent, kLabels, softened_probabilities(kStudent, 3.0), 1.0, 3.0);
  CHECK(self.loss == doctest::Approx(0.0).epsilon(1e-6).scale(1.0));
  CHECK(self.dlogits.cwiseAbs().maxCoeff() < 1e-7f);
}

TEST_CASE("softened probabilities: rows sum to 1, flatter as T grows, stable for large logits") {
  const RowMatrixXf big = matrix({{1000.0, 0.0, -1000.0}});
  const RowMatrixXf p1 = softened_probabilities(big, 1.0);
  CHECK(p1(0, 0) == doctest::Approx(1.0));
  CHECK(p1.allFinite());
  const RowMatrixXf p4 = softened_probabilities(kStudent, 4.0);
  const RowMatrixXf p1s = softened_probabilities(kStudent, 1.0);
  for (Index i = 0; i < 3; ++i) {
    CHECK(p4.row(i).sum() == doctest::Approx(1.0).epsilon(1e-6));
    CHECK(p4.row(i).maxCoeff() < p1s.row(i).maxCoeff());
  }
}

}  // namespace
}  // namespace pcmkit::nn
