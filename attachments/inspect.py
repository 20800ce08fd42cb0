"""What a file really is, and the copy of it that may be kept (docs/attachments.md).

Pure policy: bytes in, cleaned bytes or a refusal out; nothing here touches the database or
storage. The type comes from the content (magic bytes, then actually decoding it), never
from the file name or the Content-Type the client sent.

- Photos (JPEG, PNG, GIF, WebP) are decoded with Pillow and encoded again from the pixels
  alone: EXIF (GPS location, camera, times), XMP, ICC profiles, comments and text chunks
  are not copied, and only a GIF's or WebP's first frame is kept. The pixel count is read
  from the header and checked before anything is decoded (decompression bombs).
- PDFs are kept as sent, after checks: a PDF header at byte 0, nothing but white space
  after the last %%EOF, no JavaScript, launch or submit actions, automatic actions (/AA),
  embedded files, rich media or XFA forms, found by parsing every object with pypdf (which
  opens compressed object streams) and by reading the raw name tokens as well.
- A file that is two things at once (a photo with a ZIP, PDF or HTML page appended or
  hidden inside it) is refused outright, not silently cleaned: it was made to deceive.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

IMAGE_TYPES = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "GIF": ("image/gif", ".gif"),
    "WEBP": ("image/webp", ".webp"),
}
PDF_TYPE = ("application/pdf", ".pdf")
IMAGE_CONTENT_TYPES = frozenset(t for t, _ in IMAGE_TYPES.values())
ALL_CONTENT_TYPES = IMAGE_CONTENT_TYPES | {PDF_TYPE[0]}
EXTENSIONS = {content_type: ext for content_type, ext in [*IMAGE_TYPES.values(), PDF_TYPE]}

# Another kind of document inside a photo or PDF: a web page or script (anywhere: a browser
# sniffing the file would run it), a PDF header (anywhere: readers look for it), an archive
# (after the image's end, or a ZIP's end record near the end of the file, where unzip
# looks). Each is long enough that compressed pixels match it by chance about once in
# 10^4 files of 10 MB or far less; data after a photo that is none of these (a phone's
# "motion photo" video, a second preview JPEG) is simply not kept.
_MARKUP = re.compile(rb"<(?:html|script|svg|iframe|body|object|embed|!doctype\s+html)[\s>/]", re.I)
_PDF_HEADER = b"%PDF-"
_ARCHIVES = (b"PK\x03\x04", b"PK\x05\x06", b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c")
_ZIP_END = b"PK\x05\x06"
_ZIP_END_REACH = 22 + 65535  # the end record and the longest comment after it
# PDF names and action types that make a document do something when opened or clicked.
_ACTIVE_KEYS = frozenset(
    {"JS", "JavaScript", "AA", "EmbeddedFile", "EmbeddedFiles", "RichMedia", "XFA", "Launch"}
)
_ACTIVE_ACTIONS = frozenset(
    {"JavaScript", "Launch", "SubmitForm", "ImportData", "GoToE", "GoToR", "Rendition",
     "Sound", "Movie", "RichMediaExecute", "Hide", "SetOCGState"}
)  # fmt: skip
_PDF_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]+)")
_PDF_MAX_OBJECTS = 200_000


class Refused(Exception):
    """The file may not be kept: `status` (400, 413 or 415), a `code` and a clear `detail`."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_pixels: int
    images: bool = True
    pdf: bool = True


@dataclass(frozen=True)
class Cleaned:
    """What is kept: the bytes to store and what they are."""

    content: bytes
    content_type: str
    extension: str
    width: int | None = None
    height: int | None = None


def megabytes(size: int) -> str:
    """10485760 -> "10 MB" (the way the limits are written to people)."""
    value = size / (1024 * 1024)
    return f"{value:.0f} MB" if value >= 10 or value == int(value) else f"{value:.1f} MB"


def refuse_type() -> Refused:
    return Refused(
        415,
        "unsupported_type",
        "This kind of file cannot be sent. Send a photo (JPEG, PNG, GIF or WebP) or a PDF.",
    )


def sniff(data: bytes) -> str | None:
    """The type the first bytes say: a key of IMAGE_TYPES, "PDF", or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data.startswith(b"%PDF-"):
        return "PDF"
    return None


def inspect(data: bytes, limits: Limits) -> Cleaned:
    """The copy of `data` that may be kept, or Refused saying why."""
    if not data:
        raise Refused(400, "file_empty", "The file is empty. Choose a photo or PDF to send.")
    if len(data) > limits.max_bytes:
        raise too_big(limits.max_bytes)
    kind = sniff(data)
    if kind is None:
        raise refuse_type()
    if kind == "PDF":
        if not limits.pdf:
            raise Refused(415, "unsupported_type", "PDF documents cannot be sent here.")
        return _pdf(data)
    if not limits.images:
        raise Refused(415, "unsupported_type", "Photos cannot be sent here.")
    return _image(data, kind, limits)


def too_big(max_bytes: int) -> Refused:
    return Refused(
        413, "file_too_large", f"The file is too big. Files can be at most {megabytes(max_bytes)}."
    )


def _polyglot() -> Refused:
    return Refused(
        415,
        "polyglot",
        "This file contains another kind of file hidden inside it, so it cannot be sent.",
    )


def _hides_another_file(data: bytes, end: int, *, header_at: int) -> bool:
    """True when `data` also holds a web page, a PDF (other than its own header at
    `header_at`), or an archive after `end` or a ZIP end record near the end."""
    if _MARKUP.search(data):
        return True
    if data.find(_PDF_HEADER, 0 if header_at < 0 else header_at + 1) >= 0:
        return True
    if _ZIP_END in data[-_ZIP_END_REACH:]:
        return True
    trailer = data[end:]
    return any(marker in trailer for marker in _ARCHIVES)


# --- photos ---------------------------------------------------------------------------


def _image_end(data: bytes, kind: str) -> int | None:
    """Where the image's own bytes end (anything after is another file), or None when the
    structure cannot be followed (refused as damaged)."""
    try:
        return {"PNG": _png_end, "JPEG": _jpeg_end, "GIF": _gif_end, "WEBP": _webp_end}[kind](data)
    except (IndexError, ValueError, struct.error):
        return None


def _png_end(data: bytes) -> int | None:
    pos = 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        chunk = data[pos + 4 : pos + 8]
        pos += 12 + length
        if chunk == b"IEND":
            return pos
    return None


def _jpeg_end(data: bytes) -> int | None:
    pos = 2
    while pos + 2 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:
            return pos + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        pos += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
            while True:
                pos = data.index(b"\xff", pos)
                following = data[pos + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    pos += 1 if following == 0xFF else 2
                    continue
                break
    return None


def _gif_sub_blocks(data: bytes, pos: int) -> int:
    while True:
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos


def _gif_end(data: bytes) -> int | None:
    flags = data[10]
    pos = 13 + (3 * (2 ** ((flags & 7) + 1)) if flags & 0x80 else 0)
    while pos < len(data):
        block = data[pos]
        if block == 0x3B:
            return pos + 1
        if block == 0x21:  # extension: label, then sub-blocks
            pos = _gif_sub_blocks(data, pos + 2)
        elif block == 0x2C:  # image: descriptor, local colour table, LZW size, sub-blocks
            local = data[pos + 9]
            pos += 10 + (3 * (2 ** ((local & 7) + 1)) if local & 0x80 else 0)
            pos = _gif_sub_blocks(data, pos + 1)
        else:
            return None
    return None


def _webp_end(data: bytes) -> int | None:
    (size,) = struct.unpack("<I", data[4:8])
    return 8 + size + (size & 1)


def _image(data: bytes, kind: str, limits: Limits) -> Cleaned:
    end = _image_end(data, kind)
    if end is None or end > len(data):
        raise Refused(400, "file_damaged", "This photo is damaged or incomplete.")
    if _hides_another_file(data, end, header_at=-1):
        raise _polyglot()
    content_type, extension = IMAGE_TYPES[kind]
    bomb = Refused(
        413,
        "image_too_large",
        "This photo has too many pixels to be opened safely. Send a smaller photo.",
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[kind])
            width, height = image.size
            # Checked from the header, before a single pixel is decoded.
            if width * height > limits.max_pixels or width <= 0 or height <= 0:
                raise bomb
            image.seek(0)
            image.load()
            out = _reencode(image, kind)
    except Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise bomb from exc
    except Exception as exc:  # Pillow raises many kinds for broken files
        raise Refused(400, "file_damaged", "This photo is damaged or incomplete.") from exc
    return Cleaned(out, content_type, extension, *out_size(out, kind))


def out_size(content: bytes, kind: str) -> tuple[int, int]:
    with Image.open(io.BytesIO(content), formats=[kind]) as check:
        return check.size


def _reencode(image: Image.Image, kind: str) -> bytes:
    """The pixels alone, in the same format: no metadata survives."""
    transparency = image.info.get("transparency")
    if kind == "JPEG":
        # The photo's EXIF orientation is applied before the EXIF is dropped.
        image = ImageOps.exif_transpose(image)
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
    elif kind == "WEBP":
        image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    elif kind == "PNG" and image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16", "I"):
        image = image.convert("RGBA")
    clean = image.copy()
    clean.info = (
        {} if transparency is None or kind not in ("PNG", "GIF") else {"transparency": transparency}
    )
    buffer = io.BytesIO()
    if kind == "JPEG":
        clean.save(buffer, "JPEG", quality=90, optimize=True)
    elif kind == "PNG":
        clean.save(buffer, "PNG", optimize=False)
    elif kind == "GIF":
        clean.save(buffer, "GIF", save_all=False)
    else:
        clean.save(buffer, "WEBP", quality=90)
    return buffer.getvalue()


# --- PDF ------------------------------------------------------------------------------


def _pdf(data: bytes) -> Cleaned:
    import pypdf
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    if not re.match(rb"%PDF-[12]\.\d", data[:8]):
        raise Refused(400, "file_damaged", "This PDF is damaged or incomplete.")
    eof = data.rfind(b"%%EOF")
    if eof < 0:
        raise Refused(400, "file_damaged", "This PDF is damaged or incomplete.")
    if data[eof + 5 :].strip(b"\x00\r\n\t\x0c ") or _hides_another_file(
        data, len(data), header_at=0
    ):
        raise _polyglot()
    active = Refused(
        415,
        "pdf_active_content",
        "This PDF contains scripts, actions or embedded files, so it cannot be sent. "
        "Save or print it as a plain PDF and try again.",
    )
    for token in _PDF_NAME.findall(data):
        if _name(token) in _ACTIVE_KEYS:
            raise active
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise Refused(
                415, "pdf_encrypted", "Password-protected PDFs cannot be sent. Remove the password."
            )
        pages = len(reader.pages)
        seen: set[int] = set()
        stack: list = [reader.trailer]
        for generation, numbers in reader.xref.items():
            stack.extend(IndirectObject(n, generation, reader) for n in numbers)
        stack.extend(IndirectObject(n, 0, reader) for n in reader.xref_objStm)
        walked = 0
        while stack:
            item = stack.pop()
            walked += 1
            if walked > _PDF_MAX_OBJECTS:
                raise Refused(415, "pdf_too_complex", "This PDF is too complex to check.")
            if isinstance(item, IndirectObject):
                key = (item.idnum << 16) | item.generation
                if key in seen:
                    continue
                seen.add(key)
                item = item.get_object()
            if isinstance(item, DictionaryObject):
                for name, value in item.items():
                    if str(name)[1:] in _ACTIVE_KEYS:
                        raise active
                    if (
                        name == "/S"
                        and isinstance(value, NameObject)
                        and str(value)[1:] in _ACTIVE_ACTIONS
                    ):
                        raise active
                    stack.append(value)
            elif isinstance(item, ArrayObject):
                stack.extend(item)
    except Refused:
        raise
    except Exception as exc:  # pypdf raises many kinds for broken files
        raise Refused(400, "file_damaged", "This PDF is damaged or incomplete.") from exc
    if pages < 1:
        raise Refused(400, "file_damaged", "This PDF has no pages.")
    return Cleaned(data, *PDF_TYPE)


def _name(token: bytes) -> str:
    """A raw PDF name with its #xx escapes decoded (/J#61vaScript is /JavaScript)."""
    decoded = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), token)
    return decoded.decode("latin-1")
