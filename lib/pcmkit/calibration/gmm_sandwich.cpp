#include "pcmkit/calibration/gmm_sandwich.h"

#include <Eigen/Dense>
#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>

#include "pcmkit/core/error.h"

namespace pcmkit::calibration {

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
