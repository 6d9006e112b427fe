"""Showing: every sentence, table and picture a user reads, rendered from verdicts
(never parsed back), and the one atomic writer every file goes through.  Imports
only the model and the engine.
"""
