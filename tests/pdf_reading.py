"""Our PDFs read back as a reader's tools read them: poppler's pdftotext for the text. A test that needs a
tool this machine lacks is skipped with the Debian package that has it (``.ci/run`` installs them all)."""

from __future__ import annotations

import shutil

import anyio
import pytest


def tool(name: str, package: str) -> str:
    """The program's path, or a skip naming the package to install."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} missing: install the Debian package {package} to read our documents back")
    return path


async def pdf_text(pdf: bytes) -> str:
    """The text of every page as pdftotext lays it out: proof that a real reader can parse the file."""
    result = await anyio.run_process([tool("pdftotext", "poppler-utils"), "-layout", "-", "-"], input=pdf)
    return result.stdout.decode()
