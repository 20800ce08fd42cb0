"""What a file really is, and what is kept of it (attachments/inspect.py, names.py): no
database, bytes in and bytes out."""

from __future__ import annotations

import io

import pytest
from PIL import Image, PngImagePlugin

from attachments.inspect import Limits, Refused, inspect
from attachments.names import safe_name
from tests.attachments import files

LIMITS = Limits(max_bytes=10 * 1024 * 1024, max_pixels=50_000_000)


def saved(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def test_a_png_keeps_its_transparency_and_loses_its_text_chunks():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "home address: 1 High Street")
    data = saved(Image.new("RGBA", (20, 10), (0, 0, 0, 0)), "PNG", pnginfo=info)

    kept = inspect(data, LIMITS)

    assert b"High Street" in data and b"High Street" not in kept.content
    with Image.open(io.BytesIO(kept.content)) as image:
        assert (image.mode, image.size, image.getpixel((0, 0))[3]) == ("RGBA", (20, 10), 0)


def test_a_webp_loses_its_exif():
    exif = Image.Exif()
    exif[0x8825] = files.GPS
    data = saved(Image.new("RGB", (30, 30), (1, 2, 3)), "WEBP", exif=exif.tobytes())

    kept = inspect(data, LIMITS)

    assert kept.content_type == "image/webp"
    with Image.open(io.BytesIO(kept.content)) as image:
        assert dict(image.getexif()) == {}


def test_an_animated_gif_keeps_its_first_frame_only():
    frames = [Image.new("P", (12, 12), colour) for colour in (1, 2, 3)]
    data = saved(frames[0], "GIF", save_all=True, append_images=frames[1:], comment=b"secret")

    kept = inspect(data, LIMITS)

    assert b"secret" in data and b"secret" not in kept.content
    with Image.open(io.BytesIO(kept.content)) as image:
        assert getattr(image, "n_frames", 1) == 1


def test_a_sideways_phone_photo_is_turned_upright_before_its_exif_goes():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    data = saved(Image.new("RGB", (40, 20), (200, 0, 0)), "JPEG", exif=exif.tobytes())

    kept = inspect(data, LIMITS)

    assert (kept.width, kept.height) == (20, 40)


def test_a_photo_with_more_pixels_than_allowed_is_refused_before_decoding():
    data = saved(Image.new("L", (300, 200)), "PNG")
    with pytest.raises(Refused) as refused:
        inspect(data, Limits(max_bytes=LIMITS.max_bytes, max_pixels=50_000))
    assert (refused.value.status, refused.value.code) == (413, "image_too_large")


def test_a_phone_photo_with_a_video_after_it_is_kept_without_the_video():
    photo = files.photo_with_location()
    motion = photo + b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40

    kept = inspect(motion, LIMITS)

    assert kept.content_type == "image/jpeg" and b"ftypmp42" not in kept.content


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (files.pdf(catalog_extra="/OpenAction [3 0 R /Fit] "), None),
        (
            files.pdf(
                objects=(
                    "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10]"
                    " /A << /S /URI /URI (https://www.dorset.gov.uk/) >> >>",
                )
            ),
            None,
        ),
        (
            files.pdf(catalog_extra="/AA << /WC 4 0 R >> ", objects=("<< /S /Launch >>",)),
            "pdf_active_content",
        ),
        (
            files.pdf(objects=("<< /S /SubmitForm /F (https://evil.example/) >>",)),
            "pdf_active_content",
        ),
        (b"%PDF-1.7\nnothing here\n%%EOF\n", "file_damaged"),
        (b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "file_damaged"),
        (files.pdf().replace(b"%%EOF", b"<html><body>hi</body></html>\n%%EOF"), "polyglot"),
    ],
    ids=["opens-at-page-one", "web-link", "launch", "submit-form", "no-pages", "no-eof", "html"],
)
def test_pdfs_with_links_are_kept_and_active_or_broken_ones_refused(data, code):
    if code is None:
        assert inspect(data, LIMITS).content == data
    else:
        with pytest.raises(Refused) as refused:
            inspect(data, LIMITS)
        assert refused.value.code == code


def test_a_pdf_with_a_password_is_refused():
    import pypdf

    writer = pypdf.PdfWriter()
    writer.add_blank_page(100, 100)
    writer.encrypt("open-sesame", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)

    with pytest.raises(Refused) as refused:
        inspect(out.getvalue(), LIMITS)
    assert refused.value.code == "pdf_encrypted"


def test_a_council_that_takes_no_pdfs_refuses_them_and_one_without_photos_refuses_those():
    no_pdf = Limits(max_bytes=LIMITS.max_bytes, max_pixels=LIMITS.max_pixels, pdf=False)
    no_images = Limits(max_bytes=LIMITS.max_bytes, max_pixels=LIMITS.max_pixels, images=False)
    with pytest.raises(Refused):
        inspect(files.pdf(), no_pdf)
    with pytest.raises(Refused):
        inspect(files.image_bytes("PNG"), no_images)


@pytest.mark.parametrize(
    ("raw", "extension", "expected"),
    [
        ("pothole.jpg", ".jpg", "pothole.jpg"),
        ("C:\\Users\\jo\\Desktop\\parking ticket.JPEG", ".jpg", "parking ticket.jpg"),
        ("<script>alert(1)</script>.png", ".png", "script.png"),
        ("\u202egpj.exe", ".jpg", "gpj.jpg"),
        ("...", ".pdf", "document.pdf"),
        ("", ".jpg", "document.jpg"),
        ("Llythyr Treth y Cyngor, Ŵyl Dewi.pdf", ".pdf", "Llythyr Treth y Cyngor, Ŵyl Dewi.pdf"),
        ("x" * 300 + ".png", ".png", "x" * 100 + ".png"),
    ],
)
def test_a_file_name_is_made_safe_and_takes_the_real_extension(raw, extension, expected):
    assert safe_name(raw, extension, fallback="document") == expected
