// Standard errors and goodness of fit of a method-of-moments fit with a fixed (non-optimal)
// weight, e.g. moments scaled by their own standard deviations.
//
// With e(θ) the weighted moment residuals at the solution, G = ∂e/∂θ (m × p) and Ω the covariance
// of e at the truth: Cov θ̂ = B⁻¹·GᵀΩG·B⁻¹ with B = GᵀG (the sandwich), and the residual
// ê = (I − G·B⁻¹·Gᵀ)·e₀ has covariance PΩPᵀ of rank m − p, so J = êᵀ(PΩPᵀ)⁺ê is χ² with m − p
// degrees of freedom when the model holds (Hansen's J, generalised to any weight).
// Sources: Newey & McFadden, Handbook of Econometrics IV, ch. 36 (1994), §9; Hansen,
// Econometrica 50, 1029 (1982).
#pragma once

#include <ceres/ceres.h>

#include <Eigen/Core>
#include <string>
#include <vector>

namespace pcmkit::calibration {

struct GmmInference {
  bool ok = false;             // false: G is rank-deficient (the moments do not fix θ)
  Eigen::MatrixXd covariance;  // p × p
  double j_statistic = 0.0;
  int dof = 0;
  double p_value = 1.0;
};

// A moment fit's solver settings (tight tolerances, silent) and its solution; false, with
// `message` set, when Ceres found no usable solution.
bool solve_moment_fit(ceres::Problem& problem, std::string* message);

// The residuals and their dense Jacobian at a problem's current parameters, columns in the order
// of `parameter_blocks`, block after block.
void evaluate_dense(ceres::Problem& problem,
                    const std::vector<double*>& parameter_blocks,
                    Eigen::VectorXd* residual,
                    Eigen::MatrixXd* jacobian);

// Requires: jacobian m × p, omega m × m symmetric, residual m; m ≥ p.
GmmInference gmm_sandwich(const Eigen::MatrixXd& jacobian,
                          const Eigen::MatrixXd& omega,
                          const Eigen::VectorXd& residual);

}  // namespace pcmkit::calibration
