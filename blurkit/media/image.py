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

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from blurkit.errors import MediaError

register_heif_opener()

# Pillow's own guard against decompression bombs; 180 MP covers any camera.
MAX_PIXELS = 180_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

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
    "HEIF": {"quality": 90},
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
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                fmt = im.format or "?"
                if getattr(im, "n_frames", 1) > 1:
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
    except (OSError, SyntaxError, ValueError) as exc:
        raise MediaError(f"cannot decode: {exc} (truncated or damaged file?)") from exc


def _to_photo(im: Image.Image, fmt: str) -> Photo:
    icc = im.info.get("icc_profile")
    im = ImageOps.exif_transpose(im)
    has_alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
    alpha = np.asarray(im.convert("RGBA"))[:, :, 3].copy() if has_alpha else None
    rgb = im.convert("RGB")
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            rgb = ImageCms.profileToProfile(rgb, src, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken profile: keep the pixels as they are rather than fail the photo
    return Photo(np.asarray(rgb).copy(), alpha, fmt)


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
