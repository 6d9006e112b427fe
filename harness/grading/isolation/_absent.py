"""What Keras, TensorFlow, JAX and torch are inside the grading sandbox.

The sandbox mounts this file as their ``__init__.py`` (see
:mod:`harness.grading.isolation.bwrap`): importing any of them fails as for a package that
is not installed, whatever the submission did to the worker's import system.
Nothing imports this module outside the sandbox.
"""

raise ModuleNotFoundError(
    f"{__name__!r} is not available while grading: a hypothesis must compute the "
    "layer's output itself, with numpy", name=__name__)
