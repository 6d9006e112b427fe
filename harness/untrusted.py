"""Student text: every string a submission controls, bounded and made inert for where it goes.

A hypothesis's name, its function and file names, its scope text, an exception's
type name and message, a submission's id, a formula's returned value shown as
text and a function's source (docstring included) are all written by a student,
and in grading by a hostile one.  Before any of them reaches an output it is

1. **cleaned**: control and format characters (ANSI escapes, NUL, bidirectional
   overrides, zero-width characters) become ``\ufffd``;
2. **cut** to a documented length (below), at a space near the limit when there
   is one, with a visible ``…``; one-line texts have every run of whitespace,
   newlines included, collapsed into one space;
3. **escaped** for where it goes, one function per destination:
   :func:`markdown` / :func:`markdown_code` / :func:`fenced` (report.md, feedback,
   summary.md, Gradescope's ``output_format: md``: no raw HTML, no new block from a
   newline, no emphasis, link, heading or table cell forged), :func:`html_text` /
   :func:`html_block` (pages), :func:`csv_cell` (a spreadsheet never reads a cell
   as a formula) and :func:`label` (matplotlib never reads a name as mathtext).

Bounds, in characters (:data:`NAME` ...).  One student's feedback shows at most
:data:`FULL_MESSAGES` messages at full length, the others cut to
:data:`SHORT_MESSAGE`, so what a submission can push into its own feedback is
bounded in total by its number of hypotheses (``max_hypotheses``) times a few
hundred characters.
"""

from __future__ import annotations

import html
import re
import unicodedata

#: A hypothesis's name, a function's name, an exception's type name, a submission's id.
NAME = 80
#: A file name or a path inside a submission.
FILE = 120
#: What the student's code said (an exception's type and message, as the grader receives
#: it from a worker), a scope's text, a formula's returned value shown as text.
MESSAGE = 200
#: The harness's sentence around such a message (a verdict's message, a points note).
SENTENCE = 500
#: Messages shown at full length in one student's feedback; the rest are cut shorter.
FULL_MESSAGES = 5
SHORT_MESSAGE = 100
#: A multi-line text shown as a block (a file's load error, a traceback): lines, and
#: characters per line.
BLOCK_LINES = 24
LINE = 160
#: A function's source in the class summary (its docstring included), in lines.
SOURCE_LINES = 40

ELLIPSIS = "\u2026"
_REPLACEMENT = "\ufffd"
#: Characters CommonMark (and GFM, KaTeX/MathJax in Markdown) gives a meaning inline,
#: backslash-escaped (``str.translate``: C speed, whatever the text); ``!`` needs no
#: escape, as an image needs the ``[`` that is escaped ...
_MARKDOWN_ESCAPES = str.maketrans({c: "\\" + c for c in "\\`*{}[]<>#|~$&^"})
#: ... and ``_`` unless between two letters or digits, where it never makes emphasis
#: (``part_a`` stays as written).
_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
#: Bare links GFM would make: ``https://``, ``www.``, ``someone@example.org``.
_AUTOLINK = re.compile(r"(:)(?=//)|(?<=www)(\.)|(@)", re.IGNORECASE)
#: A spreadsheet reads a cell starting with these as a formula (OWASP's list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean(text: object) -> str:
    """``text`` as a string with control and format characters replaced (newlines and
    tabs kept, for blocks)."""
    value = _text(text)
    if value.isprintable():  # the usual case, at C speed
        return value
    return "".join(c if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co")
                   else _REPLACEMENT for c in value)


def cut(text: object, limit: int) -> str:
    """One line of at most ``limit`` characters: whitespace runs (newlines included)
    collapsed, and past the limit cut at a space near it, ending with ``…``."""
    value = _text(text)
    line = " ".join(value[:8 * limit + 64].split())  # never split megabytes
    if len(line) <= limit and len(value) <= 8 * limit + 64:
        return clean(line)
    head = line[:limit - 1]
    space = head.rfind(" ")
    if space >= limit * 3 // 4:
        head = head[:space]
    return clean(head.rstrip()) + ELLIPSIS


def cut_block(text: object, lines: int = BLOCK_LINES) -> str:
    """Several lines, long ones wrapped at :data:`LINE` characters: at most ``lines`` of
    them (the first ones and the last ones, where a traceback says what went wrong, with
    a line saying how many are left out between)."""
    raw = _text(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    every = [piece for line in raw.rstrip().split("\n") for piece in _wrapped(line)]
    if len(every) > lines:
        head, tail = (lines + 1) // 2, lines // 2
        left = len(every) - head - tail
        every = [*every[:head], f"{ELLIPSIS} ({left} lines not shown)",
                 *every[len(every) - tail:]]
    return "\n".join(clean(line) for line in every)


def _wrapped(line: str) -> list[str]:
    """``line`` in pieces of at most :data:`LINE` characters, at a space when one is near."""
    pieces = []
    line = line.rstrip()
    while len(line) > LINE:
        space = line.rfind(" ", LINE * 3 // 4, LINE)
        end = space if space > 0 else LINE
        pieces.append(line[:end].rstrip())
        line = line[end:].lstrip(" ")
    return [*pieces, line]


def _text(text: object) -> str:
    return text if isinstance(text, str) else str(text)


# ---------------------------------------------------------------- Markdown

def markdown(text: object, limit: int = MESSAGE) -> str:
    """Inline Markdown that shows ``text`` as written and makes nothing: every character
    with an inline meaning backslash-escaped, a block marker at its start escaped, bare
    links broken, all on one line."""
    line = _UNDERSCORE.sub(r"\\_", cut(text, limit).translate(_MARKDOWN_ESCAPES))
    line = _AUTOLINK.sub(lambda m: "\\" + m.group(0), line)
    if line.startswith(("-", "+", "=")):  # a list item or a setext heading's rule
        line = "\\" + line
    return re.sub(r"^(\d+)([.)])", r"\1\\\2", line)  # "1." would start a list


def markdown_code(text: object, limit: int = MESSAGE) -> str:
    """An inline code span showing ``text`` (one line), whose backtick fence is longer
    than any run of backticks in it.  Not for a table cell (use :func:`markdown`)."""
    line = cut(text, limit)
    fence = "`" * (1 + max((len(r) for r in re.findall(r"`+", line)), default=0))
    pad = " " if line.startswith("`") or line.endswith("`") or not line.strip() else ""
    return f"{fence}{pad}{line}{pad}{fence}"


def fenced(text: object, language: str = "", lines: int = BLOCK_LINES) -> list[str]:
    """``text`` as a Markdown code block (bounded by :func:`cut_block`) whose fence is
    longer than any run of backticks in it, so no text can end the block early."""
    body = cut_block(text, lines)
    runs = [len(r) for r in re.findall(r"`+", body)]
    fence = "`" * max(3, 1 + max(runs, default=0))
    return [fence + language, body, fence]


# ---------------------------------------------------------------- HTML, CSV, pictures

def html_text(text: object, limit: int = MESSAGE) -> str:
    """One line of ``text``, cut and escaped for HTML (element content or a quoted
    attribute)."""
    return html.escape(cut(text, limit))


def html_block(text: object, lines: int = BLOCK_LINES) -> str:
    """Several lines of ``text`` for a ``<pre>``, cut and escaped."""
    return html.escape(cut_block(text, lines))


def csv_cell(text: object, limit: int | None = None) -> str:
    """A CSV cell a spreadsheet shows as text: one starting with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return gets a leading ``'`` (``-2-3`` -> ``'-2-3``).
    ``limit``: cut to one line of that length first."""
    value = cut(text, limit) if limit is not None else clean(text)
    return "'" + value if value.startswith(_FORMULA_START) else value


def label(text: object, limit: int = NAME) -> str:
    """A text for a matplotlib label or legend: one line, cut, every ``$`` escaped so
    matplotlib never parses it as mathtext (``$\\foo$`` is drawn as written)."""
    return cut(text, limit).replace("$", r"\$")
