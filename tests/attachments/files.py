"""Files for the attachment tests, made here: photos with a GPS location, PDFs (plain, with
JavaScript, with an embedded file), and the bad inputs of issue 15."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

GPS = {1: "N", 2: (50.0, 43.0, 10.0), 3: "W", 4: (1.0, 58.0, 0.0)}


def photo_with_location(size: tuple[int, int] = (320, 240)) -> bytes:
    """A JPEG with EXIF: camera, GPS position (near Dorchester) and a comment."""
    image = Image.new("RGB", size, (180, 60, 40))
    for x in range(0, size[0], 8):  # some detail, so it is a photo and not a flat colour
        for y in range(0, size[1], 8):
            image.putpixel((x, y), (x % 255, y % 255, 90))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Phone 12"
    exif[0x8825] = GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"taken at home")
    return out.getvalue()


def gps_of(data: bytes) -> dict:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(0x8825))


def image_bytes(fmt: str, size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA" if fmt != "JPEG" else "RGB", size, (10, 120, 200)).save(out, fmt)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def decompression_bomb() -> bytes:
    """A 1 KB PNG that claims 50000 x 50000 pixels (7.5 GB once decoded)."""
    header = struct.pack(">IIBBBBB", 50000, 50000, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\0" * 10000, 9))
        + _chunk(b"IEND", b"")
    )


def pdf(*, catalog_extra: str = "", objects: tuple[str, ...] = ()) -> bytes:
    """A one-page PDF with correct cross-references; `objects` are added as 4 0 obj, 5 0…"""
    bodies = [
        f"<< /Type /Catalog /Pages 2 0 R {catalog_extra}>>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        *objects,
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(bodies) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    trailer = f"trailer\n<< /Size {len(bodies) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    out += trailer.encode()
    return bytes(out)


def pdf_with_javascript() -> bytes:
    return pdf(
        catalog_extra="/OpenAction 4 0 R ",
        objects=("<< /Type /Action /S /JavaScript /JS (app.alert\\(1\\)) >>",),
    )


def pdf_with_hidden_javascript() -> bytes:
    """The same, with the names written with #xx escapes (/J#61vaScript)."""
    return pdf(
        catalog_extra="/OpenAction 4 0 R ",
        objects=("<< /Type /Action /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>",),
    )


def pdf_with_embedded_file() -> bytes:
    return pdf(
        catalog_extra="/Names << /EmbeddedFiles << /Names [(a.exe) 4 0 R] >> >> ",
        objects=("<< /Type /Filespec /F (a.exe) >>",),
    )


def zip_bytes() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("evil.html", "<script>alert(1)</script>")
    return out.getvalue()


HTML_PAGE = b"<!DOCTYPE html>\n<html><body><script>alert(document.cookie)</script></body></html>\n"
SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.domain)</script></svg>\n"
)


def pdf_with_javascript_in_an_object_stream() -> bytes:
    """JavaScript that only a parser sees: the action is inside a compressed object stream
    (PDF 1.5), so its names never appear in the raw bytes."""
    objects = [
        "<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        "<< /Type /Action /S /JavaScript /JS (app.alert\\(1\\)) >>",
    ]
    bodies, offsets, at = [], [], 0
    for body in objects:
        offsets.append(at)
        bodies.append(body + "\n")
        at += len(body) + 1
    header = " ".join(f"{n} {off}" for n, off in zip(range(1, 5), offsets, strict=True)) + "\n"
    packed = zlib.compress((header + "".join(bodies)).encode("latin-1"))
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    stream_at = len(out)
    out += (
        f"5 0 obj\n<< /Type /ObjStm /N 4 /First {len(header)} /Filter /FlateDecode"
        f" /Length {len(packed)} >>\nstream\n"
    ).encode()
    out += packed + b"\nendstream\nendobj\n"
    xref_at = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    rows += [struct.pack(">BIH", 2, 5, index) for index in range(4)]
    rows += [struct.pack(">BIH", 1, stream_at, 0), struct.pack(">BIH", 1, xref_at, 0)]
    table = b"".join(rows)
    out += (
        f"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length {len(table)} >>\nstream\n"
    ).encode()
    out += table + b"\nendstream\nendobj\n"
    out += f"startxref\n{xref_at}\n%%EOF\n".encode()
    return bytes(out)
