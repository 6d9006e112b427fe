"""Argument helpers for the command line (``harness``'s own commands and grading's):
the parser, and argparse ``type``s that say in words what they accept."""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable
from typing import NoReturn


class Parser(argparse.ArgumentParser):
    """argparse, with its messages left in plain words.

    An option's own type check already names the option (``--cases must be ...``),
    so argparse's ``argument --cases:`` prefix is dropped from such messages.
    """

    def error(self, message: str) -> NoReturn:
        super().error(re.sub(r"^argument (\S+?)(?:/\S+)?: (?=\1 )", "", message))


def whole_number(option: str, low: int | None = None,
                 high: int | None = None) -> Callable[[str], int]:
    """An argparse ``type`` for a whole number in [low, high], with a message in words:
    ``--cases must be a whole number from 1 to 100000; received '10**20'``."""
    if low is not None and high is not None:
        rule = f"a whole number from {low} to {high}"
    elif low is not None:
        rule = f"a whole number, at least {low}"
    else:
        rule = "a whole number"

    def parse(text: str) -> int:
        value = _int_or_none(text)
        if value is None or (low is not None and value < low) or (
                high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{option} must be {rule}; received {text!r}")
        return value

    parse.__name__ = option.lstrip("-").replace("-", "_")
    return parse


def seconds(option: str, high: float) -> Callable[[str], float]:
    """An argparse ``type`` for a number of seconds from 0 to ``high``, in words."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not 0 <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{option} must be a number of seconds from 0 to {high:g}; received {text!r}")
        return value

    parse.__name__ = option.lstrip("-").replace("-", "_")
    return parse


def _int_or_none(text: str) -> int | None:
    if not re.fullmatch(r"\s*[+-]?\d{1,30}\s*", text):
        return None
    return int(text)
