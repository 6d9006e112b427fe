"""The grader's side of the sandbox: the policy (what a worker may see and use),
the bubblewrap command line, cgroups, starting, talking to and killing workers,
spare workers.  Imports only the model and the protocol; it knows nothing of
assignments or scores.
"""
