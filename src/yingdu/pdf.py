"""PDF documents: HTML rendered by WeasyPrint with Debian's Noto CJK font, which WeasyPrint embeds (subset)."""

# the family every PDF template names first in its CSS; fonts-noto-cjk provides it (check with pdffonts)
CJK_FONT = "Noto Sans CJK SC"


def html_to_pdf(html: str, *, css: str = "") -> bytes:
    """The HTML document as PDF bytes, styled by ``css`` (a rendered `.css` template beside the HTML one: templates
    hold no <style> block, see settings.CONTENT_SECURITY_POLICY), with the fonts it uses embedded."""
    from weasyprint import CSS, HTML  # imported here: loading Pango costs time that pages without a PDF need not pay

    return HTML(string=html).write_pdf(stylesheets=[CSS(string=css)] if css else None)
