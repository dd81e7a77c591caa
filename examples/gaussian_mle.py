"""Maximum-likelihood fit of a Gaussian with scipy.optimize.minimize, jac from tangentish.

The parameters are packed in one vector theta = (mu, log_sigma), as scipy
expects; the log keeps sigma positive without constraints.

Run:  python examples/gaussian_mle.py   (needs scipy)
"""
import numpy as np
from scipy.optimize import minimize

import tangentish as tg


def negative_log_likelihood(theta, x):
    mu = theta[0]
    log_sigma = theta[1]
    sigma = np.exp(log_sigma)
    return np.sum(0.5 * ((x - mu) / sigma) ** 2 + log_sigma + 0.5 * np.log(2 * np.pi))


def main():
    rng = np.random.RandomState(2)
    x = rng.normal(loc=1.5, scale=0.7, size=5000)

    jac = tg.grad(negative_log_likelihood)
    result = minimize(negative_log_likelihood, x0=np.zeros(2), args=(x,), jac=jac, method="BFGS")
    mu, sigma = result.x[0], np.exp(result.x[1])

    print(jac.source)
    print(f"converged: {result.success} in {result.nit} iterations, {result.njev} gradient calls")
    print(f"mu    = {mu:.5f}   (sample mean {x.mean():.5f})")
    print(f"sigma = {sigma:.5f}   (sample std  {x.std():.5f})")
    assert result.success
    assert abs(mu - x.mean()) < 1e-4 and abs(sigma - x.std()) < 1e-4


if __name__ == "__main__":
    main()
