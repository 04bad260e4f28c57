"""An abstract's body: plain text with a small formatting subset, rendered to escaped HTML in one place, and
its words counted the one way the limits use.

The subset is Pandoc's inline markdown, which authors of scientific text already meet:

    **bold**   *italic*   H~2~O (subscript)   x^2^ (superscript)

A blank line starts a paragraph, a single line break stays a line break. Nothing else is markup: every other
character (``<``, ``&``, Greek letters, ±, µ, ≥) is text, escaped for HTML and stored as typed. Sub- and
superscripts take no spaces (as in Pandoc), so "a ~ b" or "2^n and m^" stay text.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

# Applied in this order to text already escaped for HTML (the markers * ~ ^ are never changed by escaping).
_INLINE = (
    (re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"\*(?=\S)(.+?)(?<=\S)\*"), r"<em>\1</em>"),
    (re.compile(r"~([^~\s]+)~"), r"<sub>\1</sub>"),
    (re.compile(r"\^([^\^\s]+)\^"), r"<sup>\1</sup>"),
)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_WORD = re.compile(r"\S+")


def _inline(text: str) -> str:
    html = str(escape(text))
    for pattern, replacement in _INLINE:
        html = pattern.sub(replacement, html)
    return html


def render_body(text: str) -> Markup:
    """The body as HTML paragraphs: escaped first, so no input can add an element or attribute of its own."""
    normalized = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    paragraphs = [p.strip() for p in _PARAGRAPH_BREAK.split(normalized) if p.strip()]
    html = "\n".join("<p>" + "<br>".join(_inline(line) for line in p.split("\n")) + "</p>" for p in paragraphs)
    return Markup(html)  # noqa: S704 - every line went through escape() in _inline; only our tags were added


def count_words(text: str) -> int:
    """Words as the limits count them: runs of non-space characters, markup included ("H~2~O" is one word,
    "**very** important" two), so what a submitter sees counted is what a reviewer reads."""
    return len(_WORD.findall(text))
