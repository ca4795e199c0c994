"""Draw the app's PNG icons (the design of static/icons/icon.svg) with Pillow.

Run ``python -m vigie.citizen.icons`` after changing the design; the PNG files
are committed under static/icons/. "any" icons have rounded corners like the
SVG; "maskable" icons fill the square and keep the pin inside the central
safe zone (a circle of 80 % of the size) that every launcher mask preserves.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ICONS_DIR = Path(__file__).resolve().parent.parent / "static" / "icons"
GREEN = (20, 83, 45, 255)
WHITE = (255, 255, 255, 255)
SUPERSAMPLE = 4


def draw_icon(size: int, maskable: bool = False) -> Image.Image:
    s = size * SUPERSAMPLE
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if maskable:
        d.rectangle((0, 0, s, s), fill=GREEN)
        scale = 0.62  # the pin stays well inside the 80 % safe circle
    else:
        d.rounded_rectangle((0, 0, s - 1, s - 1), radius=round(s * 14 / 64), fill=GREEN)
        scale = 1.0
    # The SVG's pin on its 64-unit grid: a head of radius 17 at (32, 26.6), tip at (32, 54).
    unit = s / 64 * scale
    ox = oy = (s - 64 * unit) / 2

    def p(x: float, y: float) -> tuple[float, float]:
        return (ox + x * unit, oy + y * unit)

    head = (p(15, 9.6), p(49, 43.6))
    d.ellipse(head, fill=WHITE)
    d.polygon([p(18.67, 37.15), p(45.33, 37.15), p(32, 54)], fill=WHITE)  # tangents to the head
    d.ellipse((p(25, 20), p(39, 34)), fill=GREEN)
    return img.resize((size, size), Image.Resampling.LANCZOS)


def write_icons(directory: Path = ICONS_DIR) -> list[Path]:
    written = []
    for size in (192, 512):
        for maskable in (False, True):
            name = f"icon-maskable-{size}.png" if maskable else f"icon-{size}.png"
            path = directory / name
            draw_icon(size, maskable).save(path, "PNG", optimize=True)
            written.append(path)
    return written


if __name__ == "__main__":
    for written in write_icons():
        print(written)
