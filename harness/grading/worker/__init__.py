"""Inside the sandbox: the worker process that loads one submission, runs its
formulas on the cases it is sent and answers on the protocol
(``python -m harness.grading.worker.serve``).  Imports only the model and
``harness.grading.protocol``: no checker, no Keras, nothing of the grader.
"""
