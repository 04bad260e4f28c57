"""The body's formatting subset renders to escaped HTML, and words are counted as the limits count them."""

from __future__ import annotations

import pytest

from abstracts.formatting import count_words, render_body


def test_render_escapes_html_before_formatting() -> None:
    html = render_body('<script>alert("x")</script> & <b onclick="x">**bold**</b>')

    assert html == (
        "<p>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; "
        "&lt;b onclick=&#34;x&#34;&gt;<strong>bold</strong>&lt;/b&gt;</p>"
    )


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("**bold** and *italic*", "<p><strong>bold</strong> and <em>italic</em></p>"),
        ("H~2~O and x^2^ + CO~2~", "<p>H<sub>2</sub>O and x<sup>2</sup> + CO<sub>2</sub></p>"),
        ("2 * 3 * 4 and a ~ b and 2^n and m^", "<p>2 * 3 * 4 and a ~ b and 2^n and m^</p>"),
        ("α, β ≥ 0.5 ± 0.1 µg", "<p>α, β ≥ 0.5 ± 0.1 µg</p>"),  # noqa: RUF001 - Greek letters are the point
        ("one\ntwo\n\n  three  ", "<p>one<br>two</p>\n<p>three</p>"),
        ("x^<i>^", "<p>x<sup>&lt;i&gt;</sup></p>"),
        ("", ""),
    ],
)
def test_render_subset(text: str, html: str) -> None:
    assert render_body(text) == html


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", 0),
        ("   \n\t ", 0),
        ("one", 1),
        ("H~2~O is **very** important", 4),
        ("line one\nline two\n\nthird-paragraph", 5),
        ("β-cell ≥ 3 µM", 4),
    ],
)
def test_count_words(text: str, words: int) -> None:
    assert count_words(text) == words
