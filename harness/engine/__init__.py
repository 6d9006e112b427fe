"""Checking: is a hypothesis right?  The oracle (the only module that imports Keras),
the comparison, running a formula, drawing cases, the checker (screening, then
Hypothesis's search and shrink), and the teaching extras built on the checker
(hints, sweeps, look-alikes).  Imports only the model.
"""
