"""BatchNormalization at inference (training=False), three features, Keras's defaults.

get_weights() gives [gamma (3,), beta (3,), moving_mean (3,), moving_variance (3,)].
"""

import numpy as np

from harness import Layer, hypothesis

BATCH_NORM = Layer("BatchNormalization", input_shape=(3,))


@hypothesis(BATCH_NORM, name="BatchNormalization: moving statistics, epsilon 0.001")
def moving_statistics(gamma, beta, moving_mean, moving_variance, x):
    """Each feature is standardised with the moving mean and variance
    (epsilon 0.001 added to the variance), then scaled by gamma and shifted by beta."""
    return gamma * (x - moving_mean) / np.sqrt(moving_variance + 1e-3) + beta


@hypothesis(BATCH_NORM, name="BatchNormalization: epsilon 0.00001", refuted=True)
def small_epsilon(gamma, beta, moving_mean, moving_variance, x):
    """Each feature is standardised with the moving mean and variance
    (epsilon 0.00001 added to the variance), then scaled by gamma and shifted by beta."""
    return gamma * (x - moving_mean) / np.sqrt(moving_variance + 1e-5) + beta
