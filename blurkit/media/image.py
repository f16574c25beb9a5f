"""Photo I/O through Pillow: decode upright in sRGB, encode with no metadata at all.

Reading applies the EXIF orientation (phones store portraits sideways) and
converts embedded colour profiles to sRGB. Writing builds a fresh image from
the pixel array, so EXIF, GPS, thumbnails, XMP, IPTC, comments and ICC
profiles have nothing to ride on.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from blurkit.errors import MediaError

register_heif_opener()

# Pillow's own guard against decompression bombs; 180 MP covers any camera.
MAX_PIXELS = 180_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

# Only these decoders run, whatever a file's name claims (no EPS, PSD, ... plugins).
READ_FORMATS = ["JPEG", "PNG", "WEBP", "TIFF", "BMP", "HEIF", "AVIF"]
SRGB = ImageCms.createProfile("sRGB")

FORMATS = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".png": "PNG",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".bmp": "BMP",
    ".heic": "HEIF",
    ".heif": "HEIF",
}
SAVE_OPTIONS = {
    "JPEG": {"quality": 93, "subsampling": 0},
    "WEBP": {"quality": 92, "method": 4},
    "TIFF": {"compression": "tiff_lzw"},
    # x265's default preset takes 20-30 s for one 12 MP phone photo on 2 cores; ultrafast takes 2-3 s
    # at the same PSNR (files ~15 % larger).
    "HEIF": {"quality": 90, "enc_params": {"preset": "ultrafast"}},
    "PNG": {"optimize": False},
    "BMP": {},
}


@dataclass
class Photo:
    pixels: np.ndarray  # upright RGB uint8, sRGB
    alpha: np.ndarray | None  # uint8 transparency, when the source had one
    format: str  # Pillow format name of the source


def read_photo(path: Path) -> Photo:
    try:
        with open(path, "rb") as fh:
            return _decode(fh)
    except OSError as exc:  # decoding failures are MediaErrors already; this is the file itself
        raise MediaError(f"cannot read: {exc.strerror or exc}") from exc


def _decode(fh: BinaryIO) -> Photo:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(fh, formats=READ_FORMATS) as im:
                fmt = im.format or "?"
                # MPO is a JPEG with previews or a gain map after the primary image, which alone is read.
                if getattr(im, "n_frames", 1) > 1 and fmt != "MPO":
                    raise MediaError(
                        f"has {im.n_frames} frames (animation or multi-page); blurkit obscures single images only"
                    )
                im.load()
                return _to_photo(im, fmt)
    except MediaError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaError(f"refused: too many pixels to decode safely ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise MediaError("not an image blurkit can read (or the file is damaged)") from exc
    except Exception as exc:  # decoders fail in many ways on damaged files; all mean "cannot read this one"
        reason = " ".join(str(exc).split())
        raise MediaError(f"cannot decode: {reason} (truncated or damaged file?)") from exc


def _to_photo(im: Image.Image, fmt: str) -> Photo:
    icc = im.info.get("icc_profile")
    im = ImageOps.exif_transpose(im)
    alpha = np.asarray(im.convert("RGBA"))[:, :, 3].copy() if im.has_transparency_data else None
    return Photo(np.asarray(_to_srgb(_eight_bit(im), icc)).copy(), alpha, fmt)


def _eight_bit(im: Image.Image) -> Image.Image:
    """16-bit and float greyscale (scans, TIFF exports) scaled to 8 bits: Pillow's own
    conversion clips them, which would turn the photo white and hide its faces."""
    if not (im.mode.startswith("I") or im.mode == "F"):
        return im
    values = np.asarray(im, np.float32)
    if im.mode.startswith("I;16") or (im.mode == "I" and values.max() > 255):
        values = values / 257
    elif im.mode == "F" and values.max() <= 1:
        values = values * 255
    return Image.fromarray(np.clip(values + 0.5, 0, 255).astype(np.uint8))


def _to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """RGB in sRGB, converting from the embedded profile in the image's own mode (RGB, grey or CMYK)."""
    if icc:
        try:
            base = im if im.mode in ("RGB", "L", "CMYK") else im.convert("RGB")
            return ImageCms.profileToProfile(base, ImageCms.ImageCmsProfile(io.BytesIO(icc)), SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken profile: keep the pixels as they are rather than fail the photo
    return im.convert("RGB")


def output_format(path: Path) -> str:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise MediaError(
            f"cannot write {path.suffix or 'files without a suffix'}; use one of {', '.join(sorted(FORMATS))}"
        ) from None


def encode_photo(pixels: np.ndarray, alpha: np.ndarray | None, fmt: str) -> bytes:
    """Encoded bytes carrying pixels only: a fresh image has no EXIF, XMP, IPTC or ICC to copy."""
    im = Image.fromarray(pixels, "RGB")
    if alpha is not None and fmt in ("PNG", "WEBP", "TIFF", "HEIF"):
        im.putalpha(Image.fromarray(alpha, "L"))
    buf = io.BytesIO()
    im.save(buf, format=fmt, **SAVE_OPTIONS[fmt])
    return buf.getvalue()
