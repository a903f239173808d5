#include "pcmkit/calibration/detail/gmm_sandwich.h"

#include <Eigen/Dense>
#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>

#include "pcmkit/core/error.h"

namespace pcmkit::calibration {

bool solve_moment_fit(ceres::Problem& problem, std::string* message) {
  ceres::Solver::Options solver;
  solver.max_num_iterations = 200;
  solver.function_tolerance = 1e-14;
  solver.parameter_tolerance = 1e-12;
  solver.logging_type = ceres::SILENT;
  ceres::Solver::Summary summary;
  ceres::Solve(solver, &problem, &summary);
  if (!summary.IsSolutionUsable()) *message = "fit failed: " + summary.message;
  return summary.IsSolutionUsable();
}

void evaluate_dense(ceres::Problem& problem,
                    const std::vector<double*>& parameter_blocks,
                    Eigen::VectorXd* residual,
                    Eigen::MatrixXd* jacobian) {
  ceres::Problem::EvaluateOptions options;
  options.parameter_blocks = parameter_blocks;
  std::vector<double> r;
  ceres::CRSMatrix crs;
  problem.Evaluate(options, nullptr, &r, nullptr, &crs);
  *residual = Eigen::Map<const Eigen::VectorXd>(r.data(), static_cast<Eigen::Index>(r.size()));
  *jacobian = Eigen::MatrixXd::Zero(crs.num_rows, crs.num_cols);
  for (int row = 0; row < crs.num_rows; ++row)
    for (int k = crs.rows[static_cast<std::size_t>(row)];
         k < crs.rows[static_cast<std::size_t>(row) + 1]; ++k)
      (*jacobian)(row, crs.cols[static_cast<std::size_t>(k)]) =
          crs.values[static_cast<std::size_t>(k)];
}

GmmInference gmm_sandwich(const Eigen::MatrixXd& jacobian,
                          const Eigen::MatrixXd& omega,
                          const Eigen::VectorXd& residual) {
  const Eigen::Index m = jacobian.rows(), p = jacobian.cols();
  PCMKIT_CHECK(omega.rows() == m && omega.cols() == m && residual.size() == m && m >= p,
               "gmm_sandwich: sizes");
  GmmInference out;
  const Eigen::MatrixXd bread = jacobian.transpose() * jacobian;
  const Eigen::FullPivLU<Eigen::MatrixXd> lu(bread);
  if (lu.rank() < p || !(lu.rcond() > 1e-13)) return out;
  const Eigen::MatrixXd bread_inv = lu.inverse();
  out.covariance = bread_inv * (jacobian.transpose() * omega * jacobian) * bread_inv;
  out.ok = out.covariance.allFinite();
  out.dof = static_cast<int>(m - p);
  if (out.dof == 0) return out;
  const Eigen::MatrixXd proj =
      Eigen::MatrixXd::Identity(m, m) - jacobian * bread_inv * jacobian.transpose();
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(proj * omega * proj.transpose());
  for (Eigen::Index k = m - out.dof; k < m; ++k) {  // the dof largest eigenvalues
    if (!(eig.eigenvalues()[k] > 0)) continue;
    const double c = eig.eigenvectors().col(k).dot(residual);
    out.j_statistic += c * c / eig.eigenvalues()[k];
  }
  out.p_value = boost::math::cdf(
      boost::math::complement(boost::math::chi_squared(out.dof), std::max(out.j_statistic, 0.0)));
  return out;
}

}  // namespace pcmkit::calibration
