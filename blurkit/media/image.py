"""Photo I/O through Pillow: decode upright in sRGB, encode with no metadata at all.

Reading applies the EXIF orientation (phones store portraits sideways), scales
deeper samples (16-bit, float, HDR) to 8 bits by the range they use, converts
embedded colour profiles to sRGB, and refuses a file whose conversion flattens
the picture. Writing builds a fresh image from the pixel array, so EXIF, GPS,
thumbnails, XMP, IPTC, comments and ICC profiles have nothing to ride on.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import cv2
import numpy as np
from PIL import ExifTags, Image, ImageCms, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from blurkit.errors import MediaError

register_heif_opener()

# Pillow's own guard against decompression bombs; 180 MP covers any camera. A photo export peaks at about
# 14 bytes per pixel over 0.6 GB (benchmarks/photo_memory.py, 4-36 MP): about 3 GB at this limit, so one at a
# time fits an 8 GB laptop; -j N holds N at once.
MAX_PIXELS = 180_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# A photo with transparency is decoded with its alpha and searched in three views (see ``views``): about
# 33 bytes per pixel (2-9 MP), so half the limit keeps it near 3 GB too.
MAX_TRANSPARENT_PIXELS = MAX_PIXELS // 2

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


# A picture that keeps fewer distinct levels than FEW_LEVELS after conversion to 8-bit sRGB, from a source
# with at least MANY_LEVELS, was flattened by the conversion (a depth scaled wrongly, a broken profile): a
# contrast stretch may still show a face that the detector cannot see, so the file fails instead.
FEW_LEVELS = 16
MANY_LEVELS = 64
# Levels are counted on a nearest-neighbour sample of about this many pixels along each side.
PROBE_SIDE = 512
# Rows composited at a time.
BAND_ROWS = 256


@dataclass
class Photo:
    pixels: np.ndarray  # upright RGB uint8, sRGB
    alpha: np.ndarray | None  # uint8 transparency, when the source had one
    format: str  # Pillow format name of the source
    tags: tuple[str, ...] = ()  # names (never values) of the metadata it carried, none of which is written
    more_images: int = 0  # images after the primary one (an MPO's previews, depth or gain maps), never written

    @property
    def views(self) -> list[np.ndarray]:
        return views(self.pixels, self.alpha)

    @property
    def shown(self) -> np.ndarray:
        """What a browser shows on a white page."""
        return self.views[min(1, len(self.views) - 1)]


def views(pixels: np.ndarray, alpha: np.ndarray | None) -> list[np.ndarray]:
    """What a viewer can see of a picture, each an RGB array to detect faces in: its colour channels, and, when
    any pixel is transparent, the picture over white and over black. A face may live in the transparency
    alone (an "ink" picture: colour all black, alpha the face) or in colour that only an opaque viewer shows."""
    if alpha is None or alpha.min() == 255:
        return [pixels]
    return [pixels, _over(pixels, alpha, 255), _over(pixels, alpha, 0)]


def _over(pixels: np.ndarray, alpha: np.ndarray, background: int) -> np.ndarray:
    """The picture over a grey level, rounded, a band of rows at a time: whole-picture temporaries of a
    180 MP photo would take gigabytes."""
    out = np.empty_like(pixels)
    for y in range(0, len(pixels), BAND_ROWS):
        a = alpha[y : y + BAND_ROWS, :, None].astype(np.uint32)
        out[y : y + BAND_ROWS] = (pixels[y : y + BAND_ROWS] * a + background * (255 - a) + 127) // 255
    return out


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
                if im.has_transparency_data and im.width * im.height > MAX_TRANSPARENT_PIXELS:
                    raise MediaError(
                        f"refused: {im.width * im.height / 1e6:.1f} MP with transparency needs more memory than "
                        f"blurkit allows (at most {MAX_TRANSPARENT_PIXELS / 1e6:.1f} MP); flatten or split it first"
                    )
                deep = _deep_colour(im)
                im.load()
                photo = _to_photo(im, fmt, _read_deep(fh) if deep else None)
                photo.more_images = getattr(im, "n_frames", 1) - 1
                return photo
    except MediaError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaError(f"refused: too many pixels to decode safely ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise MediaError("not an image blurkit can read (or the file is damaged)") from exc
    except Exception as exc:  # decoders fail in many ways on damaged files; all mean "cannot read this one"
        reason = " ".join(str(exc).split())
        raise MediaError(f"cannot decode: {reason} (truncated or damaged file?)") from exc


def _deep_colour(im: Image.Image) -> bool:
    """16-bit colour (PNG, TIFF), which Pillow reads as the high byte of each sample: data using 12 or 14
    of the 16 bits would come out nearly black. Known only before loading, from the decoder's raw mode."""
    raw = im.tile[0].args if im.tile else None
    raw = raw[0] if isinstance(raw, tuple) else raw
    return im.mode in ("RGB", "RGBA", "LA") and isinstance(raw, str) and ";16" in raw


def _read_deep(fh: BinaryIO) -> np.ndarray:
    """All 16 bits of a colour PNG or TIFF (Pillow has already vetted it), upright by its EXIF orientation."""
    fh.seek(0)
    data = np.frombuffer(fh.read(), np.uint8)
    deep = cv2.imdecode(data, cv2.IMREAD_ANYDEPTH | cv2.IMREAD_COLOR)
    if deep is None or deep.dtype != np.uint16:
        raise MediaError("cannot read its 16-bit colour at full depth")
    return cv2.cvtColor(deep, cv2.COLOR_BGR2RGB)


def _to_photo(im: Image.Image, fmt: str, deep: np.ndarray | None) -> Photo:
    icc = im.info.get("icc_profile")
    tags = metadata_names(im)
    im = ImageOps.exif_transpose(im)
    alpha = np.asarray(im.convert("RGBA"))[:, :, 3].copy() if im.has_transparency_data else None
    pixels = np.asarray(_to_srgb(_eight_bit(im, deep), icc)).copy()
    before, after = _levels(_probe(im) if deep is None else deep), _levels(pixels)
    if after < FEW_LEVELS and before >= MANY_LEVELS:
        raise MediaError(
            f"converting it to 8-bit sRGB leaves {after} levels of its {before}: refusing what could hide a face"
        )
    return Photo(pixels, alpha, fmt, tags)


# Metadata blocks Pillow keeps in ``info``, by the name a report gives them (EXIF is listed tag by tag).
_INFO_BLOCKS = {"icc_profile": "ICC profile", "xmp": "XMP", "photoshop": "IPTC (Photoshop)", "comment": "comment"}
_EXIF_IFDS = {
    ExifTags.IFD.Exif: ExifTags.TAGS,
    ExifTags.IFD.GPSInfo: ExifTags.GPSTAGS,
    ExifTags.IFD.Interop: ExifTags.TAGS,
}
# TIFF tags that lay out the pixels (size, strips, compression, resolution), not metadata about the picture.
_LAYOUT_TAGS = frozenset(
    {254, 255, 256, 257, 258, 259, 262, 266, 273, 277, 278, 279, 282, 283, 284, 296, 317, 320, 322, 323, 324, 325}
    | {338, 339, 347, 530, 531, 532}
)


def metadata_names(im: Image.Image) -> tuple[str, ...]:
    """What the file says besides its pixels, by name only: a report may list what was removed, but a
    value (a place, a serial number) must never reach it."""
    names: set[str] = {label for key, label in _INFO_BLOCKS.items() if im.info.get(key)}
    if any(k.startswith("XML:com.adobe.xmp") for k in im.info):
        names.add("XMP")
    names.update(f"PNG text {k}" for k in getattr(im, "text", {}) if not k.startswith("XML:com.adobe.xmp"))
    exif = im.getexif()
    names.update(f"EXIF {ExifTags.TAGS.get(k, hex(k))}" for k in exif if k not in _EXIF_IFDS and k not in _LAYOUT_TAGS)
    for ifd, table in _EXIF_IFDS.items():
        names.update(f"EXIF {table.get(k, hex(k))}" for k in exif.get_ifd(ifd))
    if exif.get_ifd(ExifTags.IFD.IFD1):
        names.add("EXIF thumbnail")
    return tuple(sorted(names))


def _eight_bit(im: Image.Image, deep: np.ndarray | None) -> Image.Image:
    """Samples deeper than 8 bits (16-bit and 32-bit integer, float, HDR) scaled to 8 bits by the range
    they use: Pillow's own conversion clips or truncates them, which turns a photo white or black and
    hides its faces from the detector but not from a contrast stretch."""
    if deep is not None:
        # the same picture Pillow decoded, in the same orientation, or nothing
        if deep.shape[:2] != (im.height, im.width) or not np.array_equal(deep >> 8, np.asarray(im.convert("RGB"))):
            raise MediaError("its 16-bit colour decodes differently in two readers; convert it to 8 bits first")
        return Image.fromarray(_to_8_bits(deep))
    if not (im.mode.startswith("I") or im.mode == "F"):
        return im
    return Image.fromarray(_to_8_bits(np.asarray(im)))


def _to_8_bits(values: np.ndarray) -> np.ndarray:
    """Integers by the smallest bit depth that holds their maximum (12-bit data in 16-bit files); floats
    as 0..1, or up to their 99.9th percentile when brighter (HDR); negatives lower the black point; NaN
    is black and infinities clip."""
    if values.dtype.kind == "f":
        sample = _sample(values)
        finite = sample[np.isfinite(sample)]
        lo, hi = np.percentile(finite, [0.1, 99.9]) if finite.size else (0.0, 1.0)
        lo, hi = min(float(lo), 0.0), max(float(hi), 1.0)
        values = np.nan_to_num(values, nan=lo, posinf=hi, neginf=lo)
    else:
        lo = min(int(values.min()), 0)
        hi = 2 ** max(8, int(values.max()).bit_length()) - 1
    scaled = (values.astype(np.float32) - np.float32(lo)) * np.float32(255 / (hi - lo))
    return np.clip(scaled + 0.5, 0, 255).astype(np.uint8)


def _sample(values: np.ndarray) -> np.ndarray:
    """Every n-th row and column, about PROBE_SIDE of each."""
    step = max(1, max(values.shape[:2]) // PROBE_SIDE)
    return values[::step, ::step]


def _probe(im: Image.Image) -> np.ndarray:
    """What the source's pixels are, on a small sample: deep samples as stored, anything else as Pillow
    shows it in RGB (a palette's colours, not its indices)."""
    step = max(1, max(im.size) // PROBE_SIDE)
    small = im.resize((max(1, im.width // step), max(1, im.height // step)), Image.Resampling.NEAREST)
    return np.asarray(small if small.mode.startswith("I") or small.mode == "F" else small.convert("RGB"))


def _levels(values: np.ndarray) -> int:
    """Distinct values among the middle 99 % of a sample of the samples (outliers are not the picture)."""
    sample = _sample(values).ravel()
    if sample.dtype.kind == "f":
        sample = sample[np.isfinite(sample)]
    if not sample.size:
        return 0
    lo, hi = np.percentile(sample, [0.5, 99.5])
    return len(np.unique(sample[(sample >= lo) & (sample <= hi)]))


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
