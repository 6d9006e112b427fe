import numpy as np

from harness import PART_A, PART_B, hypothesis


@hypothesis(PART_A, name="asks Keras")
def asks_keras(kernel, recurrent_kernel, xs):
    import keras

    layer = keras.layers.SimpleRNN(1, activation="linear", use_bias=False)
    layer.build((None, None, 1))
    layer.set_weights([kernel, recurrent_kernel])
    return np.asarray(layer(xs[None]))[0]


@hypothesis(PART_B, name="removes the blocker first")
def sneaky(kernel, recurrent_kernel, xs):
    import sys

    sys.meta_path[:] = [f for f in sys.meta_path if "Blocker" not in type(f).__name__]
    import tensorflow as tf

    return np.asarray(tf.zeros(2))
