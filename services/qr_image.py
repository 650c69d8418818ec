"""QR code images: render a payload as PNG, read QR codes from a photo or screenshot.

No aiogram, no I/O beyond in-memory bytes. Errors raise :class:`QrImageError` with a stable
``code`` for handlers to translate:

``not_image``  the bytes are not an image Pillow can open and decode (or are empty/truncated)
``too_large``  the image has more pixels than :data:`MAX_PIXELS` (decompression-bomb guard)
``encode``     the payload cannot be rendered (empty, or too long for a QR code)
"""

from __future__ import annotations

import io
import warnings

import segno
import zxingcpp
from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = ["MAX_PIXELS", "QrImageError", "decode_image", "render_png"]

# Telegram photos are at most 2560 px a side; documents can be anything. 40 MP covers phone
# cameras while keeping a hostile file from eating memory.
MAX_PIXELS = 40_000_000
# zxing works best when the code spans a few hundred pixels; huge photos are scaled down first
# (it also tries downscaled copies itself, this bounds the work).
_MAX_SIDE = 2400
# What `read_barcodes(formats=BarcodeFormat.QRCode)` converts to (its stub wants the set).
_QR_CODES = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


class QrImageError(ValueError):
    """An image cannot be rendered or read; ``code``: ``not_image``, ``too_large``, ``encode``."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def render_png(payload: str, scale: int = 8) -> bytes:
    """A PNG of ``payload`` as a QR code: error correction at least M, 4-module quiet zone.

    segno raises the level above M when that fits in the same QR version (more robust, same
    size). Text is encoded as UTF-8 bytes, matching the QRIS CRC. ``scale`` is pixels per
    module; 8 gives roughly 400–600 px for a QRIS payload, easy to scan from another screen.
    """
    if type(scale) is not int or scale < 1:
        raise ValueError(f"scale must be a positive int, not {scale!r}")
    if not payload:
        raise QrImageError("encode", "empty payload")
    try:
        qr = segno.make(payload, error="m", micro=False, encoding="utf-8")
    except segno.DataOverflowError as exc:
        raise QrImageError("encode", str(exc)) from exc
    out = io.BytesIO()
    qr.save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def _open(data: bytes) -> Image.Image:
    if not data:
        raise QrImageError("not_image", "no data")
    try:
        with warnings.catch_warnings():
            # Pillow warns, then raises, above its own bomb limit; we apply ours below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise QrImageError("too_large", f"{image.width}x{image.height} pixels")
            image.load()
    except QrImageError:
        raise
    except Image.DecompressionBombError as exc:
        raise QrImageError("too_large", str(exc)) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        # Pillow reports corrupt or truncated files with any of these.
        raise QrImageError("not_image", f"{type(exc).__name__}: {exc}") from exc
    return image


def _grayscale(image: Image.Image) -> Image.Image:
    # Phone cameras store rotation in EXIF rather than in the pixels.
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # A transparent PNG (a screenshot of a QR with alpha) would turn black on conversion.
        background = Image.new("RGBA", image.size, "white")
        background.alpha_composite(image.convert("RGBA"))
        image = background
    gray = image.convert("L")
    longest = max(gray.size)
    if longest > _MAX_SIDE:
        factor = _MAX_SIDE / longest
        size = (max(1, round(gray.width * factor)), max(1, round(gray.height * factor)))
        gray = gray.resize(size, Image.Resampling.LANCZOS)
    return gray


def decode_image(data: bytes) -> list[str]:
    """Texts of the QR codes found in an image (PNG, JPEG, WebP, ...), in reading order.

    Returns ``[]`` when the image holds no readable QR code; raises :class:`QrImageError` when
    the bytes are not an image. Duplicate texts are reported once.
    """
    gray = _grayscale(_open(data))
    barcodes = zxingcpp.read_barcodes(
        gray,
        formats=_QR_CODES,
        try_rotate=True,
        try_downscale=True,
        try_invert=True,
    )
    if not barcodes:
        # Strong shadows or glare defeat the default local binarizer more often than a global one.
        barcodes = zxingcpp.read_barcodes(
            gray,
            formats=_QR_CODES,
            binarizer=zxingcpp.Binarizer.GlobalHistogram,
        )
    texts: list[str] = []
    for barcode in barcodes:
        if barcode.valid and barcode.text and barcode.text not in texts:
            texts.append(barcode.text)
    return texts
