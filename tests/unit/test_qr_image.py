"""QR images: render with segno, read back with zxing-cpp, also from a photo-like JPEG."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageFilter

from services.qr_image import QrImageError, decode_image, render_png

VECTORS = Path(__file__).resolve().parent.parent / "data" / "qris_vectors.txt"
STATIC, DYNAMIC = (
    line.strip()
    for line in VECTORS.read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
)


def _image(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def _save(image: Image.Image, kind: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def _noise(size: tuple[int, int], seed: int, low: int = 0, high: int = 255) -> Image.Image:
    rng = random.Random(seed)
    pixels = bytes(rng.randint(low, high) for _ in range(size[0] * size[1]))
    return Image.frombytes("L", size, pixels)


def _photo_like(png: bytes) -> bytes:
    """The code as a phone would see a printed sticker: smaller, tilted, on a noisy gray
    table, slightly blurred, uneven light, JPEG-compressed."""
    code = _image(png).convert("L")
    code = code.resize((int(code.width * 0.8), int(code.height * 0.8)), Image.Resampling.BICUBIC)
    code = code.rotate(7, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=235)
    # Printed black is never black, paper never white.
    code = code.point(lambda value: 40 + value * 170 // 255)
    background = _noise((1100, 900), seed=7, low=90, high=170)
    background.paste(code, (230, 160))
    photo = background.filter(ImageFilter.GaussianBlur(1.2))
    # A shadow darkening one side.
    gradient = Image.linear_gradient("L").rotate(90).resize(photo.size)
    photo = Image.blend(
        photo, Image.composite(photo, Image.new("L", photo.size, 0), gradient), 0.3
    )
    return _save(photo.convert("RGB"), "JPEG", quality=70)


# --- render -------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [STATIC, DYNAMIC])
def test_rendered_png_reads_back_with_zxing(payload: str) -> None:
    png = render_png(payload)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = _image(png)
    # Read directly with zxing-cpp, the independent decoder, not through decode_image.
    barcodes = zxingcpp.read_barcodes(image.convert("L"))
    assert [barcode.text for barcode in barcodes] == [payload]
    assert barcodes[0].format == zxingcpp.BarcodeFormat.QRCode
    assert barcodes[0].ec_level in ("M", "Q", "H")


def test_rendered_png_is_phone_sized() -> None:
    image = _image(render_png(DYNAMIC))
    assert image.width == image.height
    assert 300 <= image.width <= 1200
    # Quiet zone: the outer 4 modules (32 px at scale 8) are white.
    gray = image.convert("L")
    assert gray.crop((0, 0, image.width, 32)).getextrema() == (255, 255)
    assert gray.crop((0, 0, 32, image.height)).getextrema() == (255, 255)


def test_scale_changes_size() -> None:
    small = _image(render_png(DYNAMIC, scale=4))
    large = _image(render_png(DYNAMIC, scale=8))
    assert large.width == 2 * small.width


@pytest.mark.parametrize("scale", [0, -1, 2.5])
def test_bad_scale(scale: object) -> None:
    with pytest.raises(ValueError):
        render_png(DYNAMIC, scale=scale)  # type: ignore[arg-type]


def test_unrenderable_payloads() -> None:
    for payload in ("", "x" * 5000):
        with pytest.raises(QrImageError) as info:
            render_png(payload)
        assert info.value.code == "encode"


# --- decode -------------------------------------------------------------------------------------


def test_decode_rendered_png() -> None:
    assert decode_image(render_png(DYNAMIC)) == [DYNAMIC]


def test_decode_photo_like_jpeg() -> None:
    photo = _photo_like(render_png(DYNAMIC))
    assert _image(photo).format == "JPEG"
    assert decode_image(photo) == [DYNAMIC]


def test_decode_transparent_png_screenshot() -> None:
    # Dark modules on a fully transparent background: naive conversion makes it all black.
    code = _image(render_png(STATIC)).convert("L")
    alpha = code.point(lambda value: 255 - value)
    rgba = Image.merge("RGBA", (code, code, code, alpha))
    assert decode_image(_save(rgba, "PNG")) == [STATIC]


def test_decode_two_codes() -> None:
    first = _image(render_png(STATIC, scale=4)).convert("L")
    second = _image(render_png(DYNAMIC, scale=4)).convert("L")
    sheet = Image.new(
        "L", (first.width + second.width + 40, max(first.height, second.height)), 255
    )
    sheet.paste(first, (0, 0))
    sheet.paste(second, (first.width + 40, 0))
    assert sorted(decode_image(_save(sheet, "PNG"))) == sorted([STATIC, DYNAMIC])


def test_noise_has_no_code() -> None:
    assert decode_image(_save(_noise((400, 300), seed=1), "PNG")) == []
    assert decode_image(_save(Image.new("RGB", (64, 64), "white"), "JPEG")) == []


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not an image at all",
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
        bytes(range(256)) * 4,
    ],
)
def test_not_an_image(data: bytes) -> None:
    with pytest.raises(QrImageError) as info:
        decode_image(data)
    assert info.value.code == "not_image"


def test_truncated_image() -> None:
    png = render_png(DYNAMIC)
    with pytest.raises(QrImageError) as info:
        decode_image(png[: len(png) // 2])
    assert info.value.code == "not_image"


def test_oversized_image_is_refused_before_decoding() -> None:
    huge = _save(Image.new("1", (8000, 6000), 1), "PNG")  # 48 MP, a few kB compressed
    assert len(huge) < 200_000
    with pytest.raises(QrImageError) as info:
        decode_image(huge)
    assert info.value.code == "too_large"
