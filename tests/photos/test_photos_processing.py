"""Tests for vigie.photos.processing: validation, re-encoding, metadata stripping, GPS."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms, ImageFile
from PIL.TiffImagePlugin import IFDRational

from vigie.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from vigie.photos.processing import (
    MAX_LONG_SIDE,
    THUMBNAIL_LONG_SIDE,
    ProcessedPhoto,
    _parse_gps,
    process_photo,
)

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">secret-xmp</rdf:RDF></x:xmpmeta>'
)

# Dijon, Place de la Libération: 47°19'20.4" N, 5°2'29.16" E
DIJON_GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (IFDRational(47), IFDRational(19), IFDRational(204, 10)),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (IFDRational(5), IFDRational(2), IFDRational(2916, 100)),
}


def process(raw: bytes, **kwargs: object) -> ProcessedPhoto:
    options: dict[str, object] = {"max_bytes": MAX_BYTES, "max_pixels": MAX_PIXELS}
    options.update(kwargs)
    return process_photo(raw, **options)  # type: ignore[arg-type]


def two_halves(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """Left half red, right half blue."""
    width, height = size
    image = Image.new(mode, size, "blue")
    image.paste("red", (0, 0, width // 2, height))
    return image


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def jpeg_with_metadata(size: tuple[int, int] = (200, 100), orientation: int = 6) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "VigieCam"
    exif[ExifTags.IFD.GPSInfo] = DIJON_GPS
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return encode(
        two_halves(size),
        "JPEG",
        exif=exif,
        xmp=XMP,
        comment=b"secret-comment",
        icc_profile=icc,
        quality=95,
    )


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def is_reddish(pixel: tuple[int, ...]) -> bool:
    r, g, b = pixel[:3]
    return r > 200 and g < 60 and b < 60


def is_bluish(pixel: tuple[int, ...]) -> bool:
    r, g, b = pixel[:3]
    return b > 200 and r < 60 and g < 60


def png_header_only(width: int, height: int, *, bit_depth: int = 8, color_type: int = 2) -> bytes:
    """A PNG whose header declares a size but whose pixel data is a few bytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def one_bit_png(width: int, height: int) -> bytes:
    """A genuine, valid 1-bit PNG of the given size; compresses to almost nothing."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record any attempt to decode pixel data."""
    calls: list[str] = []
    original = ImageFile.ImageFile.load

    def spy(self: ImageFile.ImageFile) -> object:
        calls.append(self.format or "?")
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return calls


# --------------------------------------------------------------------------- JPEG + metadata


def test_process_photo_jpeg_output_has_no_exif_at_all() -> None:
    result = process(jpeg_with_metadata())

    out = opened(result.data)
    assert out.format == "JPEG"
    assert len(out.getexif()) == 0
    assert b"Exif" not in result.data
    assert b"VigieCam" not in result.data
    thumb = opened(result.thumbnail)
    assert len(thumb.getexif()) == 0
    assert b"Exif" not in result.thumbnail


def test_process_photo_jpeg_drops_xmp_comment_and_icc() -> None:
    result = process(jpeg_with_metadata())

    for data in (result.data, result.thumbnail):
        assert b"secret-xmp" not in data
        assert b"http://ns.adobe.com/xap/1.0/" not in data
        assert b"secret-comment" not in data
        assert b"ICC_PROFILE" not in data
        info = opened(data).info
        assert "xmp" not in info
        assert "comment" not in info
        assert "icc_profile" not in info


def test_process_photo_jpeg_applies_exif_orientation() -> None:
    # Orientation 6: the stored pixels must be rotated 90° clockwise for display,
    # so the red left half ends up on top.
    result = process(jpeg_with_metadata(size=(200, 100), orientation=6))

    assert (result.width, result.height) == (100, 200)
    out = opened(result.data).convert("RGB")
    assert out.size == (100, 200)
    assert is_reddish(out.getpixel((50, 20)))
    assert is_bluish(out.getpixel((50, 180)))


def test_process_photo_jpeg_extracts_gps() -> None:
    result = process(jpeg_with_metadata())

    assert result.gps is not None
    lat, lon = result.gps
    assert lat == pytest.approx(47.3223333, abs=1e-6)
    assert lon == pytest.approx(5.0414333, abs=1e-6)


def test_process_photo_jpeg_output_is_progressive_rgb_jpeg() -> None:
    result = process(jpeg_with_metadata())

    assert result.content_type == "image/jpeg"
    out = opened(result.data)
    assert out.mode == "RGB"
    assert out.info.get("progressive") == 1


def test_process_photo_jpeg_without_exif_has_no_gps() -> None:
    result = process(encode(two_halves((64, 48)), "JPEG"))

    assert result.gps is None
    assert (result.width, result.height) == (64, 48)


def test_process_photo_mpo_camera_jpeg_accepted() -> None:
    first = two_halves((120, 80))
    second = Image.new("RGB", (120, 80), "green")
    raw = encode(first, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(raw)).format == "MPO"

    result = process(raw)

    assert (result.width, result.height) == (120, 80)
    assert opened(result.data).format == "JPEG"


def test_process_photo_cmyk_jpeg_converted_to_rgb() -> None:
    result = process(encode(Image.new("CMYK", (40, 30), (0, 255, 255, 0)), "JPEG"))

    out = opened(result.data)
    assert out.mode == "RGB"
    assert is_reddish(out.getpixel((20, 15)))


# --------------------------------------------------------------------------- PNG / WebP


def test_process_photo_png_alpha_composited_on_white() -> None:
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))  # fully transparent
    image.paste((255, 0, 0, 255), (0, 0, 50, 100))  # opaque red left half
    image.paste((255, 0, 0, 128), (50, 0, 100, 50))  # half-transparent red, top right

    result = process(encode(image, "PNG"), filename="alpha.png")

    out = opened(result.data)
    assert out.format == "JPEG"
    assert out.mode == "RGB"
    assert is_reddish(out.getpixel((20, 50)))
    r, g, b = out.getpixel((90, 90))
    assert min(r, g, b) > 240  # transparent -> white, not black
    r, g, b = out.getpixel((75, 25))
    assert r > 240 and 100 < g < 160 and 100 < b < 160  # red at 50% over white: pink


def test_process_photo_png_palette_with_transparency_composited_on_white() -> None:
    image = Image.new("P", (20, 20), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.paste(1, (0, 0, 10, 20))
    raw = encode(image, "PNG", transparency=0)

    out = opened(process(raw).data)

    assert is_reddish(out.getpixel((5, 10)))
    assert min(out.getpixel((15, 10))) > 240


def test_process_photo_png_16_bit_greyscale_keeps_its_tone() -> None:
    raw = encode(Image.new("I;16", (20, 20), 32768), "PNG")

    out = opened(process(raw).data)

    r, g, b = out.getpixel((10, 10))
    assert 110 < r < 145 and r == g == b


def test_process_photo_png_text_metadata_dropped() -> None:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "secret-png-text")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    raw = encode(two_halves((30, 20)), "PNG", pnginfo=info)

    result = process(raw)

    assert b"secret" not in result.data
    assert b"secret" not in result.thumbnail


def test_process_photo_webp_accepted_and_reencoded_as_jpeg() -> None:
    raw = encode(two_halves((160, 90)), "WEBP", quality=90)

    result = process(raw, filename="photo.webp")

    assert result.content_type == "image/jpeg"
    out = opened(result.data)
    assert out.format == "JPEG"
    assert (result.width, result.height) == (160, 90)
    assert is_reddish(out.getpixel((20, 45)))
    assert is_bluish(out.getpixel((140, 45)))


def test_process_photo_webp_with_alpha_and_exif() -> None:
    image = Image.new("RGBA", (80, 40), (0, 0, 255, 0))
    image.paste((0, 0, 255, 255), (0, 0, 40, 40))
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = DIJON_GPS
    raw = encode(image, "WEBP", lossless=True, exif=exif)

    result = process(raw)

    assert result.gps == pytest.approx((47.3223333, 5.0414333), abs=1e-6)
    assert b"Exif" not in result.data
    out = opened(result.data)
    assert is_bluish(out.getpixel((20, 20)))
    assert min(out.getpixel((70, 20))) > 240


def test_process_photo_format_detected_by_content_not_filename() -> None:
    raw = encode(two_halves((30, 20)), "PNG")

    result = process(raw, filename="holiday.gif")

    assert opened(result.data).format == "JPEG"


# --------------------------------------------------------------------------- sizes


def test_process_photo_downscales_long_side_to_limit() -> None:
    raw = encode(two_halves((3000, 1000)), "PNG")

    result = process(raw)

    assert (result.width, result.height) == (MAX_LONG_SIDE, 853)
    assert opened(result.data).size == (MAX_LONG_SIDE, 853)


def test_process_photo_downscales_large_jpeg_portrait() -> None:
    raw = encode(two_halves((1500, 6000)), "JPEG")

    result = process(raw)

    assert (result.width, result.height) == (640, MAX_LONG_SIDE)


def test_process_photo_small_image_not_upscaled() -> None:
    result = process(encode(two_halves((300, 200)), "PNG"))

    assert (result.width, result.height) == (300, 200)
    assert opened(result.thumbnail).size == (300, 200)


def test_process_photo_thumbnail_dimensions() -> None:
    landscape = process(encode(two_halves((1600, 1200)), "JPEG"))
    portrait = process(jpeg_with_metadata(size=(1000, 500), orientation=6))

    assert opened(landscape.thumbnail).size == (THUMBNAIL_LONG_SIDE, 300)
    assert opened(portrait.thumbnail).size == (200, THUMBNAIL_LONG_SIDE)
    assert opened(landscape.thumbnail).format == "JPEG"
    assert len(landscape.thumbnail) < len(landscape.data)


# --------------------------------------------------------------------------- refusals


def test_process_photo_oversize_refused_413() -> None:
    raw = encode(two_halves((64, 64)), "PNG")

    with pytest.raises(PayloadTooLarge) as caught:
        process(raw, max_bytes=len(raw) - 1, filename="big.png")

    error = caught.value
    assert error.status == 413
    assert error.field == "photo"
    assert "big.png" in error.message
    assert f"{len(raw) - 1:,} bytes" in error.message


def test_process_photo_exactly_max_bytes_accepted() -> None:
    raw = encode(two_halves((64, 64)), "PNG")

    assert process(raw, max_bytes=len(raw)).width == 64


def test_process_photo_oversize_checked_before_content() -> None:
    with pytest.raises(PayloadTooLarge):
        process(b"not an image at all", max_bytes=5)


@pytest.mark.parametrize(
    ("raw", "filename"),
    [
        pytest.param(b"GIF", "anim.gif", id="gif"),
        pytest.param(b"Hello, this is plain text.\n", "notes.txt", id="text"),
        pytest.param(
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
            "logo.svg",
            id="svg",
        ),
        pytest.param(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "doc.pdf", id="pdf"),
        pytest.param(bytes(range(256)) * 4, "junk.jpg", id="junk"),
        pytest.param(b"\xff\xd8", "short.jpg", id="two-bytes"),
        pytest.param(b"RIFF\x00\x00\x00\x00WAVE", "sound.webp", id="riff-wave"),
        pytest.param(b"", "empty.jpg", id="empty"),
    ],
)
def test_process_photo_unsupported_content_refused_415(raw: bytes, filename: str) -> None:
    if raw == b"GIF":
        raw = encode(Image.new("RGB", (10, 10), "red"), "GIF")

    with pytest.raises(UnsupportedMediaType) as caught:
        process(raw, filename=filename)

    error = caught.value
    assert error.status == 415
    assert error.field == "photo"
    assert filename in error.message


def test_process_photo_gif_refused_415_even_named_jpg() -> None:
    raw = encode(Image.new("RGB", (10, 10), "red"), "GIF")

    with pytest.raises(UnsupportedMediaType) as caught:
        process(raw, filename="photo.jpg")

    assert "JPEG, PNG or WebP" in caught.value.message


def test_process_photo_text_refused_415_without_filename() -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        process(b"just some text")

    assert caught.value.field == "photo"
    assert caught.value.message.startswith("The photo is not")


def test_process_photo_truncated_jpeg_refused_422() -> None:
    noisy = Image.effect_noise((256, 256), 64).convert("RGB")
    raw = encode(noisy, "JPEG", quality=95)

    with pytest.raises(ValidationFailed) as caught:
        process(raw[: len(raw) // 2], filename="cut.jpg")

    error = caught.value
    assert error.status == 422
    assert error.field == "photo"
    assert "cut.jpg" in error.message
    assert "corrupt or truncated" in error.message


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"\xff\xd8\xff\xe0" + b"\x00" * 100, id="jpeg-magic-then-junk"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, id="png-magic-then-junk"),
        pytest.param(b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 20, id="webp-bad-chunk"),
    ],
)
def test_process_photo_corrupt_supported_format_refused_422(raw: bytes) -> None:
    with pytest.raises(ValidationFailed) as caught:
        process(raw)

    assert caught.value.status == 422
    assert caught.value.field == "photo"


def test_process_photo_truncated_png_refused_422() -> None:
    raw = encode(Image.effect_noise((128, 128), 64).convert("RGB"), "PNG")

    with pytest.raises(ValidationFailed):
        process(raw[: len(raw) * 2 // 3])


def test_process_photo_decompression_bomb_refused_422_without_decoding(
    no_decoding: list[str],
) -> None:
    raw = png_header_only(30_000, 30_000)
    assert len(raw) < 200

    with pytest.raises(ValidationFailed) as caught:
        process(raw, filename="bomb.png")

    error = caught.value
    assert error.status == 422
    assert error.field == "photo"
    assert "bomb.png" in error.message
    assert "900.0 megapixels" in error.message
    assert "40.0 megapixels" in error.message
    assert no_decoding == []


def test_process_photo_real_bomb_png_refused_by_header_check(
    no_decoding: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A genuine 1-bit PNG of 12000 x 12000 (144 Mpx) is about 20 KB on disk.
    raw = one_bit_png(12_000, 12_000)
    assert len(raw) < 100_000
    # Our limit must hold even when Pillow's global limit is disabled.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)

    with pytest.raises(ValidationFailed) as caught:
        process(raw)

    assert "12000 x 12000" in caught.value.message
    assert no_decoding == []


def test_process_photo_max_pixels_is_independent_of_pillow_global(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    raw = encode(two_halves((11, 10)), "PNG")

    assert process(raw, max_pixels=110).width == 11
    with pytest.raises(ValidationFailed) as caught:
        process(raw, max_pixels=109)

    assert "11 x 10" in caught.value.message


def test_process_photo_pillow_bomb_warning_refused_422(monkeypatch: pytest.MonkeyPatch) -> None:
    # Our own limit is generous, but Pillow's global limit warns: still refused.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    raw = encode(two_halves((40, 40)), "PNG")  # 1600 px: warning, not error

    with pytest.raises(ValidationFailed) as caught:
        process(raw, max_pixels=MAX_PIXELS)

    assert caught.value.field == "photo"
    # Pillow refuses while parsing the header: the size is known, not the dimensions.
    assert "is 1,600 pixels" in caught.value.message
    assert "accepted is 1,000 pixels" in caught.value.message  # the limit that applied


def test_process_photo_pillow_bomb_error_refused_422(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    raw = encode(two_halves((40, 40)), "JPEG")  # 1600 px > 2 x 100: Pillow raises

    with pytest.raises(ValidationFailed):
        process(raw, max_pixels=MAX_PIXELS)


# --------------------------------------------------------------------------- GPS parsing


def test_parse_gps_south_west_negative() -> None:
    gps = {
        ExifTags.GPS.GPSLatitudeRef: "S",
        ExifTags.GPS.GPSLatitude: (IFDRational(33), IFDRational(52), IFDRational(4)),
        ExifTags.GPS.GPSLongitudeRef: "W",
        ExifTags.GPS.GPSLongitude: (IFDRational(70), IFDRational(30), IFDRational(0)),
    }

    lat, lon = _parse_gps(gps) or (0.0, 0.0)

    assert lat == pytest.approx(-(33 + 52 / 60 + 4 / 3600), abs=1e-6)
    assert lon == pytest.approx(-70.5, abs=1e-6)


def test_parse_gps_accepts_raw_tuples_and_bytes_refs() -> None:
    gps = {
        ExifTags.GPS.GPSLatitudeRef: b"N\x00",
        ExifTags.GPS.GPSLatitude: ((47, 1), (19, 1), (2040, 100)),
        ExifTags.GPS.GPSLongitudeRef: b"E\x00",
        ExifTags.GPS.GPSLongitude: ((5, 1), (2, 1), (2916, 100)),
    }

    assert _parse_gps(gps) == pytest.approx((47.3223333, 5.0414333), abs=1e-6)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({ExifTags.GPS.GPSLatitudeRef: "X"}, id="bad-ref"),
        pytest.param({ExifTags.GPS.GPSLongitudeRef: None}, id="missing-ref"),
        pytest.param({ExifTags.GPS.GPSLatitude: None}, id="missing-latitude"),
        pytest.param(
            {ExifTags.GPS.GPSLatitude: (IFDRational(47), IFDRational(1, 0), IFDRational(0))},
            id="zero-denominator",
        ),
        pytest.param({ExifTags.GPS.GPSLatitude: ((47, 1), (19, 0), (0, 1))}, id="raw-zero-den"),
        pytest.param(
            {ExifTags.GPS.GPSLatitude: (IFDRational(91), IFDRational(0), IFDRational(0))},
            id="latitude-over-90",
        ),
        pytest.param(
            {ExifTags.GPS.GPSLongitude: (IFDRational(181), IFDRational(0), IFDRational(0))},
            id="longitude-over-180",
        ),
        pytest.param(
            {ExifTags.GPS.GPSLatitude: (IFDRational(47), IFDRational(75), IFDRational(0))},
            id="minutes-75",
        ),
        pytest.param(
            {ExifTags.GPS.GPSLatitude: (IFDRational(-47), IFDRational(0), IFDRational(0))},
            id="negative",
        ),
        pytest.param({ExifTags.GPS.GPSLatitude: ("a", "b", "c")}, id="strings"),
        pytest.param({ExifTags.GPS.GPSLatitude: (1, 2, 3, 4)}, id="four-parts"),
        pytest.param({ExifTags.GPS.GPSLatitude: ()}, id="empty"),
    ],
)
def test_parse_gps_invalid_values_return_none(change: dict[int, object]) -> None:
    gps: dict[int, object] = {**DIJON_GPS, **change}
    gps = {key: value for key, value in gps.items() if value is not None}

    assert _parse_gps(gps) is None


def test_parse_gps_null_island_returns_none() -> None:
    zero = (IFDRational(0), IFDRational(0), IFDRational(0))
    gps = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: zero,
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: zero,
    }

    assert _parse_gps(gps) is None


def test_process_photo_invalid_gps_ignored_not_raised() -> None:
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "Q",
        ExifTags.GPS.GPSLatitude: (IFDRational(1, 0), IFDRational(0), IFDRational(0)),
    }
    raw = encode(two_halves((40, 30)), "JPEG", exif=exif)

    result = process(raw)

    assert result.gps is None
    assert b"Exif" not in result.data


def test_process_photo_result_is_frozen() -> None:
    result = process(encode(two_halves((20, 10)), "PNG"))

    with pytest.raises(AttributeError):
        result.width = 1  # type: ignore[misc]
