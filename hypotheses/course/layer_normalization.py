"""LayerNormalization, Keras's defaults, a sample of 2 rows of 3 features.

get_weights() gives [gamma (3,), beta (3,)].
"""

import numpy as np

from harness import Layer, hypothesis

LAYER_NORM = Layer("LayerNormalization", input_shape=(2, 3))


@hypothesis(LAYER_NORM, name="LayerNormalization: each row on its own")
def each_row(gamma, beta, x):
    """Each row is standardised with its own mean and variance (epsilon 0.001
    added to the variance), then scaled by gamma and shifted by beta."""
    mean = x.mean(axis=-1, keepdims=True)
    variance = x.var(axis=-1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(variance + 1e-3) + beta


@hypothesis(LAYER_NORM, name="LayerNormalization: the whole sample at once", refuted=True)
def whole_sample(gamma, beta, x):
    """The whole sample is standardised with one mean and one variance over all
    its numbers (epsilon 0.001 added to the variance), then scaled by gamma and
    shifted by beta."""
    mean = x.mean()
    variance = x.var()
    return gamma * (x - mean) / np.sqrt(variance + 1e-3) + beta
