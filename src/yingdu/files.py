"""Uploaded evidence: its kind proved by decoding it, size-limited, stored by SHA-256 outside the web root, and served
back as what it is (images inline, PDFs as attachments)."""

import hashlib
import io
import os
import re
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _

from yingdu.errors import DomainError

MSG_FILE_EMPTY = _("上传的文件为空")
MSG_FILE_TOO_LARGE = _("文件过大，最大允许 {limit_mb} MB")
MSG_FILE_TYPE = _("只接受 PDF、PNG 或 JPEG 文件（按文件内容识别，而非扩展名）")
MSG_FILE_NOT_IMAGE = _("此处只接受 PNG 或 JPEG 图片（按文件内容识别，而非扩展名），请上传截图图片而非 PDF 或其他文件")
MSG_FILE_DAMAGED = _("文件内容无法完整解读（已损坏、被截断或与其格式不符），请重新导出后上传")
MSG_INVOICE_FILE_TYPE = _("发票文件只接受 PDF 或 OFD 格式（按文件内容识别，而非扩展名）")

# What an upload field accepts: images (PNG, JPEG) and PDF documents, or images only (screenshots).
IMAGE = "image"
PDF = "pdf"
IMAGE_OR_PDF = frozenset({IMAGE, PDF})
IMAGE_ONLY = frozenset({IMAGE})
# an electronic invoice (电子发票): PDF, or OFD (GB/T 33190-2016, a ZIP package with OFD.xml at its root)
OFD = "ofd"
OFD_CONTENT_TYPE = "application/ofd"
INVOICE_TYPES = frozenset({PDF, OFD})
_KIND_OF = {"application/pdf": PDF, "image/png": IMAGE, "image/jpeg": IMAGE}
_PILLOW_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG"}
# Larger images are refused before they are decoded (decompression bombs); a 10 MB screenshot is far below this.
MAX_IMAGE_PIXELS = 50_000_000
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"

# Magic numbers at the start of each accepted format.
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    content_type: str


def sniff_content_type(head: bytes) -> str | None:
    """The MIME type that the first bytes prove, or None."""
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def is_ofd(data: bytes) -> bool:
    """An OFD document: a readable ZIP container whose root holds the entry file OFD.xml (GB/T 33190-2016 §7.1)."""
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            if "OFD.xml" not in package.namelist():
                return False
            # reading the entry checks its CRC: a damaged or truncated package is refused
            return bool(package.read("OFD.xml").strip())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError):
        return False


class _Undecodable(Exception):
    pass


def _check_image(data: bytes, content_type: str) -> None:
    """Pillow opens, verifies and fully decodes the image; its format must be the one the first bytes claim."""
    from PIL import Image

    if content_type == "image/png" and not data.endswith(_PNG_END):
        raise _Undecodable("data after the PNG's end or no end chunk")  # a polyglot or a truncated file
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != _PILLOW_FORMATS[content_type]:
                    raise _Undecodable(f"Pillow reads {image.format}")
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    raise _Undecodable("too many pixels")
                image.verify()
            with Image.open(io.BytesIO(data)) as image:  # verify() leaves the image unusable: decode a fresh one
                image.load()
    except _Undecodable:
        raise
    except Exception as error:  # Pillow raises OSError, SyntaxError, ValueError, … on damaged files
        raise _Undecodable(repr(error)) from None


def _check_pdf(data: bytes) -> None:
    """pypdf parses the document: its cross-reference table, catalogue and every page's box."""
    from pypdf import PdfReader

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                raise _Undecodable("encrypted")
            pages = reader.pages
            if len(pages) == 0:
                raise _Undecodable("no page")
            for page in pages:
                _ = page.mediabox.width
    except _Undecodable:
        raise
    except Exception as error:  # pypdf raises PdfReadError, ValueError, KeyError, … on damaged files
        raise _Undecodable(repr(error)) from None


def decoded_content_type(data: bytes, *, kinds: frozenset[str] = IMAGE_OR_PDF) -> str:
    """The MIME type of the file, proved by decoding it as that format; DomainError when it is not one of ``kinds``."""
    content_type = sniff_content_type(data[:16])
    if content_type is None and OFD in kinds and is_ofd(data):
        return OFD_CONTENT_TYPE  # is_ofd reads the package's entry file: a damaged one is refused there
    if content_type is None or _KIND_OF[content_type] not in kinds:
        if kinds == IMAGE_ONLY:
            raise DomainError(MSG_FILE_NOT_IMAGE, code="file_not_image")
        raise DomainError(MSG_INVOICE_FILE_TYPE if kinds == INVOICE_TYPES else MSG_FILE_TYPE,
                          code="file_type_not_allowed")
    try:
        if _KIND_OF[content_type] == IMAGE:
            _check_image(data, content_type)
        else:
            _check_pdf(data)
    except _Undecodable:
        raise DomainError(MSG_FILE_DAMAGED, code="file_damaged") from None
    return content_type


def _path_for(category: str, sha256: str) -> Path:
    return Path(settings.UPLOAD_ROOT) / category / sha256[:2] / sha256


def store_upload(*, upload, category: str, kinds: frozenset[str] = IMAGE_OR_PDF) -> StoredFile:
    """Check and store an uploaded file of one of ``kinds``; identical content is stored once."""
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size == 0:
        raise DomainError(MSG_FILE_EMPTY, code="file_empty")
    if upload.size > limit:
        raise DomainError(MSG_FILE_TOO_LARGE.format(limit_mb=limit // (1024 * 1024)), code="file_too_large",
                          detail={"limit_bytes": limit, "size_bytes": upload.size})
    digest = hashlib.sha256()
    chunks = []
    for chunk in upload.chunks():
        digest.update(chunk)
        chunks.append(chunk)
    data = b"".join(chunks)
    content_type = decoded_content_type(data, kinds=kinds)
    sha256 = digest.hexdigest()
    target = _path_for(category, sha256)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write to a temporary file and rename, so a crash never leaves a half-written file under the hash name.
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
            handle.write(data)
            temporary = handle.name
        os.replace(temporary, target)
    return StoredFile(sha256=sha256, size=len(data), content_type=content_type)


def open_stored(*, category: str, sha256: str):
    """Open a stored file for reading (callers check permission first)."""
    return _path_for(category, sha256).open("rb")


_EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg", OFD_CONTENT_TYPE: ".ofd"}


def _safe_filename(filename: str, content_type: str) -> str:
    """The uploaded name without path, quotes or control characters, ending in the extension its content proves."""
    name = re.sub(r'[\x00-\x1f\x7f"\\/]+', "_", (filename or "").rsplit("/", 1)[-1]).strip(" .") or "file"
    extension = _EXTENSIONS.get(content_type, "")
    stem = name[: -len(extension)] if extension and name.lower().endswith(extension) else name.rsplit(".", 1)[0]
    return (stem or "file")[:150] + extension


def stored_file_response(*, category: str, sha256: str, content_type: str, filename: str) -> FileResponse:
    """A stored file as the answer: images inline as images, PDFs (and anything else) as a download, never sniffed.

    The content type was proved when the file was stored; `nosniff` stops a browser from reading it as anything else,
    and a PDF is never shown inside the platform's origin (attachment), so a crafted document cannot script a page.
    """
    inline = content_type in _PILLOW_FORMATS
    response = FileResponse(open_stored(category=category, sha256=sha256),
                            content_type=content_type if content_type in _EXTENSIONS else "application/octet-stream",
                            as_attachment=not inline, filename=_safe_filename(filename, content_type))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
