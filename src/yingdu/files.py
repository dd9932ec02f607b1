"""Uploaded evidence: type sniffed from content, size-limited, stored by SHA-256 outside the web root."""

import hashlib
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from yingdu.errors import DomainError

MSG_FILE_EMPTY = _("上传的文件为空")
MSG_FILE_TOO_LARGE = _("文件过大，最大允许 {limit_mb} MB")
MSG_FILE_TYPE = _("只接受 PDF、PNG 或 JPEG 文件（按文件内容识别，而非扩展名）")
MSG_INVOICE_FILE_TYPE = _("发票文件只接受 PDF 或 OFD 格式（按文件内容识别，而非扩展名）")

OFD_CONTENT_TYPE = "application/ofd"
# what an upload may be, by default: evidence documents and pictures
EVIDENCE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})
# an electronic invoice (电子发票): PDF, or OFD (GB/T 33190-2016, a ZIP package with OFD.xml at its root)
INVOICE_TYPES = frozenset({"application/pdf", OFD_CONTENT_TYPE})

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


def _path_for(category: str, sha256: str) -> Path:
    return Path(settings.UPLOAD_ROOT) / category / sha256[:2] / sha256


def store_upload(*, upload, category: str, accept: frozenset[str] = EVIDENCE_TYPES) -> StoredFile:
    """Check and store an uploaded file whose content is one of the ``accept`` types; identical content is stored
    once."""
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
    content_type = sniff_content_type(data[:16])
    if content_type is None and OFD_CONTENT_TYPE in accept and is_ofd(data):
        content_type = OFD_CONTENT_TYPE
    if content_type not in accept:
        message = MSG_INVOICE_FILE_TYPE if accept == INVOICE_TYPES else MSG_FILE_TYPE
        raise DomainError(message, code="file_type_not_allowed")
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
