import my_rnn_helpers  # noqa: F401 - the student's own module, not submitted
