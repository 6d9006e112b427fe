"""The failure text a student reads: kept as a name for :mod:`harness.render`, where
every rendering of a verdict lives."""

from __future__ import annotations

from harness.render import call as call_text
from harness.render import failure_text as explain
from harness.render import probe_command

__all__ = ["call_text", "explain", "probe_command"]
