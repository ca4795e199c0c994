"""Validation and re-encoding of photos attached to reports.

Every uploaded photo goes through :func:`process_photo` before it is stored.
The function is pure (bytes in, bytes out, no I/O) and enforces the rules the
rest of the application relies on:

* Only JPEG (including camera "MPO" JPEGs), PNG and WebP are accepted, and the
  format is recognised from the content (magic bytes, then Pillow's decoder
  for that format only). The file name and the declared content type are
  never trusted.
* The size limit is checked before anything is parsed; the pixel count is
  checked from the image header before any pixel is decoded, independently of
  Pillow's process-wide ``Image.MAX_IMAGE_PIXELS``. Pillow's own
  decompression-bomb warning and error are turned into refusals as well.
* The image is always re-encoded: EXIF orientation is applied, then every
  piece of metadata is dropped (EXIF, GPS, XMP, ICC profile, comments), the
  image is flattened to RGB on a white background, downscaled so that its long
  side is at most :data:`MAX_LONG_SIDE` pixels and written as a progressive
  JPEG. A thumbnail (long side :data:`THUMBNAIL_LONG_SIDE`) is made as well.
* The GPS position found in the EXIF data, if any and valid, is returned so
  that the caller may suggest it as the report location; it never reaches the
  stored file.

Errors are raised with the application's exception hierarchy
(:mod:`vigie.errors`), always with ``field="photo"``:

* :class:`~vigie.errors.PayloadTooLarge` (413): more than ``max_bytes``.
* :class:`~vigie.errors.UnsupportedMediaType` (415): not a JPEG, PNG or WebP.
* :class:`~vigie.errors.ValidationFailed` (422): too many pixels
  (decompression bomb), or a JPEG/PNG/WebP that is corrupt or truncated.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from PIL import ExifTags, Image, ImageFilter, ImageOps

from vigie.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed

__all__ = [
    "JPEG_QUALITY",
    "MAX_LONG_SIDE",
    "THUMBNAIL_LONG_SIDE",
    "THUMBNAIL_QUALITY",
    "ProcessedPhoto",
    "blur_jpeg",
    "process_photo",
]

MAX_LONG_SIDE = 2560
"""Long side, in pixels, of the stored full image (larger images are downscaled)."""
THUMBNAIL_LONG_SIDE = 400
"""Long side, in pixels, of the thumbnail (smaller images are not upscaled)."""
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 75
OUTPUT_CONTENT_TYPE = "image/jpeg"

_FIELD = "photo"
_WHITE = (255, 255, 255)

# Magic bytes -> (Pillow decoder to use, Pillow formats that decoder may report).
# Pillow reports multi-picture camera JPEGs as "MPO"; they are JPEGs.
_JPEG = ("JPEG", frozenset({"JPEG", "MPO"}))
_PNG = ("PNG", frozenset({"PNG"}))
_WEBP = ("WEBP", frozenset({"WEBP"}))

_ACCEPTED = "JPEG, PNG or WebP"


@dataclass(frozen=True)
class ProcessedPhoto:
    """A photo that passed validation, re-encoded without any metadata."""

    data: bytes
    """The re-encoded full image."""
    thumbnail: bytes
    """The re-encoded thumbnail (same content type as ``data``)."""
    content_type: str
    """``"image/jpeg"`` (``"image/webp"`` is reserved for a future encoder)."""
    width: int
    """Width of ``data`` in pixels, after orientation and downscaling."""
    height: int
    """Height of ``data`` in pixels, after orientation and downscaling."""
    gps: tuple[float, float] | None
    """(latitude, longitude) in decimal degrees read from EXIF, or ``None``."""


def process_photo(raw: bytes, *, max_bytes: int, max_pixels: int, filename: str = "") -> ProcessedPhoto:
    """Validate ``raw`` and return it re-encoded, stripped of metadata.

    ``filename`` is only used to make error messages clearer; it plays no part
    in recognising the format.
    """
    what = _describe(filename)

    if len(raw) > max_bytes:
        raise PayloadTooLarge(
            f"{what} is {_format_bytes(len(raw))}; the largest photo accepted is {_format_bytes(max_bytes)}.",
            field=_FIELD,
        )
    if not raw:
        raise UnsupportedMediaType(f"{what} is empty; send a {_ACCEPTED} image.", field=_FIELD)

    detected = _sniff(raw)
    if detected is None:
        raise UnsupportedMediaType(
            f"{what} is not a {_ACCEPTED} image (the format is recognised from the file "
            "content, not its name); other formats such as GIF, HEIC, SVG or PDF are "
            "not accepted.",
            field=_FIELD,
        )
    decoder, reported_formats = detected

    with warnings.catch_warnings():
        # Pillow warns (and, past twice its limit, raises) about images larger than
        # Image.MAX_IMAGE_PIXELS; treat the warning as a refusal too. (Before Python
        # 3.14, catch_warnings swaps process-wide filters, so concurrent calls may
        # restore them out of order; the only filter involved is this one.)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = _open(raw, decoder, what, max_pixels)
        with image:
            if image.format not in reported_formats:
                raise _corrupt(what, decoder)
            _check_pixels(image.width, image.height, max_pixels, what)
            if decoder == "JPEG":
                # Let libjpeg decode at a reduced scale (1/2, 1/4, 1/8) when the
                # image is much larger than what we keep: less memory and time.
                image.draft("RGB", _fit(image.size, MAX_LONG_SIDE))
            _load(image, what, decoder, max_pixels)
            gps = _read_gps(image)
            flat = _flatten(_orient(image))

    full = _downscale(flat, MAX_LONG_SIDE)
    thumb = _downscale(full, THUMBNAIL_LONG_SIDE)
    return ProcessedPhoto(
        data=_encode_jpeg(full, quality=JPEG_QUALITY, progressive=True),
        thumbnail=_encode_jpeg(thumb, quality=THUMBNAIL_QUALITY, progressive=False),
        content_type=OUTPUT_CONTENT_TYPE,
        width=full.width,
        height=full.height,
        gps=gps,
    )


# --------------------------------------------------------------------------- errors


def _describe(filename: str) -> str:
    """Name the photo in messages, with its file name (sanitised, shortened) if any."""
    name = "".join(ch for ch in filename if ch.isprintable()).strip()
    if not name:
        return "The photo"
    if len(name) > 80:
        name = name[:77] + "..."
    return f"The photo '{name}'"


def _format_bytes(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB ({size:,} bytes)"
    if size >= 1024:
        return f"{size / 1024:.1f} KB ({size:,} bytes)"
    return f"{size:,} bytes"


def _format_pixels(count: int) -> str:
    if count < 100_000:
        return f"{count:,} pixels"
    return f"{count / 1_000_000:.1f} megapixels ({count:,} pixels)"


def _corrupt(what: str, decoder: str) -> ValidationFailed:
    kind = "WebP" if decoder == "WEBP" else decoder
    return ValidationFailed(
        f"{what} looks like a {kind} image but is corrupt or truncated and cannot be "
        "decoded; please send the photo again.",
        field=_FIELD,
    )


def _bomb(
    what: str,
    max_pixels: int,
    width: int | None = None,
    height: int | None = None,
    pillow_error: Exception | None = None,
) -> ValidationFailed:
    limit = max_pixels
    if pillow_error is not None:
        # Pillow's own process-wide limit fired; it may be lower than ours.
        pillow_limit = Image.MAX_IMAGE_PIXELS
        if pillow_limit is not None and pillow_limit < limit:
            limit = int(pillow_limit)
    if width is not None and height is not None:
        size = f" is {width} x {height} = {_format_pixels(width * height)};"
    else:
        match = _PILLOW_PIXELS.search(str(pillow_error or ""))
        size = f" is {_format_pixels(int(match[1]))};" if match else " has too many pixels;"
    return ValidationFailed(
        f"{what}{size} the largest image accepted is {_format_pixels(limit)}. Please send a smaller photo.",
        field=_FIELD,
    )


_PILLOW_PIXELS = re.compile(r"\((\d+) pixels\)")


# --------------------------------------------------------------------------- decoding


def _sniff(raw: bytes) -> tuple[str, frozenset[str]] | None:
    if raw.startswith(b"\xff\xd8\xff"):
        return _JPEG
    if raw.startswith(b"\x89PNG\r\n\x1a\n"):
        return _PNG
    if len(raw) >= 12 and raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        return _WEBP
    return None


def _open(raw: bytes, decoder: str, what: str, max_pixels: int) -> Image.Image:
    """Parse the header only (no pixel is decoded here)."""
    try:
        return Image.open(io.BytesIO(raw), formats=[decoder])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _bomb(what, max_pixels, pillow_error=error) from None
    except Exception:  # untrusted input: any parser failure means a corrupt file
        raise _corrupt(what, decoder) from None


def _check_pixels(width: int, height: int, max_pixels: int, what: str) -> None:
    if width <= 0 or height <= 0:
        raise ValidationFailed(f"{what} has no pixels ({width} x {height}).", field=_FIELD)
    if width * height > max_pixels:
        raise _bomb(what, max_pixels, width, height)


def _load(image: Image.Image, what: str, decoder: str, max_pixels: int) -> None:
    try:
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _bomb(what, max_pixels, image.width, image.height, error) from None
    except Exception:  # truncated data, bad checksums, decoder errors...
        raise _corrupt(what, decoder) from None


def _orient(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; a malformed EXIF block is ignored, not fatal."""
    try:
        oriented = ImageOps.exif_transpose(image)
    except Exception:
        return image
    return oriented if oriented is not None else image


def _flatten(image: Image.Image) -> Image.Image:
    """Return an RGB image; transparency is composited on white."""
    has_alpha = image.mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in image.info
    if has_alpha:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, _WHITE)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if image.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N"):
        # 16-bit greyscale PNG: scale to 8 bits (a plain convert would clip to white).
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    return image.convert("RGB")


def _fit(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    width, height = size
    longest = max(width, height)
    if longest <= long_side:
        return width, height
    scale = long_side / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def _downscale(image: Image.Image, long_side: int) -> Image.Image:
    target = _fit(image.size, long_side)
    if target == image.size:
        return image
    return image.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _encode_jpeg(image: Image.Image, *, quality: int, progressive: bool) -> bytes:
    # Nothing from the source may leak into the output: Pillow's JPEG writer reads
    # some keys (e.g. "comment") from image.info, so clear it, and pass no exif,
    # xmp or icc_profile.
    image.info = {}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True, progressive=progressive)
    return out.getvalue()


# --------------------------------------------------------------------------- GPS


def _read_gps(image: Image.Image) -> tuple[float, float] | None:
    """(latitude, longitude) from the EXIF GPS IFD, or None if absent or invalid."""
    try:
        gps = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        return _parse_gps(gps)
    except Exception:
        return None


def _parse_gps(gps: Mapping[int, Any]) -> tuple[float, float] | None:
    if not gps:
        return None
    lat = _coordinate(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "N", "S", 90)
    lon = _coordinate(
        gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "E", "W", 180
    )
    if lat is None or lon is None:
        return None
    if lat == 0.0 and lon == 0.0:
        # "Null Island": what many devices write when they have no fix.
        return None
    return lat, lon


def _coordinate(value: Any, ref: Any, positive: str, negative: str, limit: float) -> float | None:
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if not isinstance(ref, str):
        return None
    ref = ref.strip("\x00 ").upper()
    if ref not in (positive, negative):
        return None

    parts = list(value) if isinstance(value, tuple | list) else [value]
    if not 1 <= len(parts) <= 3:
        return None
    numbers: list[float] = []
    for part in parts:
        number = _number(part)
        if number is None or number < 0:
            return None
        numbers.append(number)
    numbers += [0.0] * (3 - len(numbers))
    degrees, minutes, seconds = numbers
    if minutes >= 60 or seconds >= 60:
        return None

    decimal = degrees + minutes / 60 + seconds / 3600
    if decimal > limit:
        return None
    return round(-decimal if ref == negative else decimal, 7)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, tuple) and len(value) == 2:  # (numerator, denominator)
        numerator, denominator = value
        if not isinstance(numerator, int) or not isinstance(denominator, int) or not denominator:
            return None
        value = numerator / denominator
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def blur_jpeg(data: bytes, thumbnail: bool = False) -> bytes:
    """A stored JPEG blurred beyond recognition (faces, plates): what the public sees of a
    photo an operator chose to blur. The radius follows the picture's size."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        rgb = image.convert("RGB")
    radius = max(4.0, max(rgb.size) / 40)
    blurred = rgb.filter(ImageFilter.GaussianBlur(radius))
    quality = THUMBNAIL_QUALITY if thumbnail else JPEG_QUALITY
    return _encode_jpeg(blurred, quality=quality, progressive=not thumbnail)
