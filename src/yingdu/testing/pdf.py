"""Checks on generated PDFs shared by the tests of every app that renders one."""

import re
import shutil
import subprocess
import zlib


def embedded_font_names(data: bytes, tmp_path) -> set[str]:
    """Names of the fonts embedded in the PDF: pdffonts where installed, else the FontName of its font descriptors."""
    if shutil.which("pdffonts"):
        path = tmp_path / "embedded-fonts.pdf"
        path.write_bytes(data)
        lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()
        return {line.split()[0] for line in lines[2:] if line.split()[-4] == "yes"}
    names = set()
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            names.update(n.decode() for n in re.findall(rb"/FontName\s*/([^\s/]+)", zlib.decompress(stream)))
        except zlib.error:
            continue
    return names


def pdf_text(data: bytes, tmp_path) -> str:
    """The PDF's text laid out as on the page (poppler's pdftotext)."""
    path = tmp_path / "document-text.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
