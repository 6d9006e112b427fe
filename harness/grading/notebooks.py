"""Jupyter notebooks as submissions: the one converter lives in :mod:`harness.ipynb`
(students' ``harness check`` and ``pytest`` read notebooks the same way)."""

from harness.ipynb import NotebookError, notebook_to_source

__all__ = ["NotebookError", "notebook_to_source"]
