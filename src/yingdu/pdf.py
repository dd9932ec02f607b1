"""PDF documents: HTML rendered by WeasyPrint with Debian's Noto CJK font, which WeasyPrint embeds (subset)."""

# the family every PDF template names first in its CSS; fonts-noto-cjk provides it (check with pdffonts)
CJK_FONT = "Noto Sans CJK SC"


def html_to_pdf(html: str) -> bytes:
    """The HTML document as PDF bytes, with the fonts it uses embedded."""
    from weasyprint import HTML  # imported here: loading Pango costs time that pages without a PDF need not pay

    return HTML(string=html).write_pdf()
