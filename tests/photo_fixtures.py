"""Real photos with planted metadata, colour profiles and orientations, built at test time.

Every planted text carries the marker ``PLANTED`` so an output can be scanned for it byte by byte.
"""

from __future__ import annotations

import hashlib
import io
import struct
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin
from PIL.ExifTags import IFD
from pillow_heif import register_heif_opener

register_heif_opener()

MARKER = b"PLANTED"
PLANTED_DATE = "2019:01:02 03:04:05"
SOI = b"\xff\xd8\xff"

# sRGB and Display P3 primaries (CIE xy) with the D65 white point.
SRGB_PRIMARIES = ((0.640, 0.330), (0.300, 0.600), (0.150, 0.060))
P3_PRIMARIES = ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060))
D65 = (0.3127, 0.3290)
D50_XYZ = (0.9642, 1.0, 0.8249)
BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])
# an ICC 'curv' gamma is stored as u8Fixed8: 2.2 becomes 563/256
GAMMA = round(2.2 * 256) / 256


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB")).copy()


# --- colour profiles -------------------------------------------------------------------------


def _xyz(xy: tuple[float, float]) -> np.ndarray:
    x, y = xy
    return np.array([x / y, 1.0, (1 - x - y) / y])


def rgb_to_xyz(primaries: tuple[tuple[float, float], ...], white: tuple[float, float] = D65) -> np.ndarray:
    """Linear RGB -> XYZ matrix of an RGB space (columns are the primaries, scaled to the white)."""
    m = np.stack([_xyz(p) for p in primaries], axis=1)
    return m * np.linalg.solve(m, _xyz(white))


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _xyz_tag(xyz) -> bytes:
    return b"XYZ \0\0\0\0" + b"".join(_s15(v) for v in xyz)


def _desc_tag(text: bytes) -> bytes:
    ascii_part = text + b"\0"
    return b"desc\0\0\0\0" + struct.pack(">I", len(ascii_part)) + ascii_part + b"\0" * (4 + 4 + 2 + 1 + 67)


def _icc(colour_space: bytes, tags: dict[bytes, bytes]) -> bytes:
    """A minimal ICC v2 display profile (header, tag table, 4-byte aligned tags)."""
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    entries, data = b"", b""
    for sig, body in tags.items():
        body += b"\0" * (-len(body) % 4)
        entries += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = 128 + table_size + len(data)
    header = (
        struct.pack(">I", size)
        + b"\0" * 4
        + struct.pack(">I", 0x02100000)
        + b"mntr"
        + colour_space
        + b"XYZ "
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 24
        + b"\0" * 4
        + b"".join(_s15(v) for v in D50_XYZ)
        + b"\0" * 48
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + entries + data


def _curve(gamma: float) -> bytes:
    return b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256))


def display_p3_like_icc(description: bytes = b"PLANTED Display-P3-like, gamma 2.2") -> bytes:
    """Display P3 primaries with a plain 2.2 gamma: wider than sRGB, so pixels must change."""
    d65 = _xyz(D65)
    adapt = np.linalg.inv(BRADFORD) @ np.diag((BRADFORD @ D50_XYZ) / (BRADFORD @ d65)) @ BRADFORD
    m = adapt @ rgb_to_xyz(P3_PRIMARIES)
    tags = {b"desc": _desc_tag(description), b"wtpt": _xyz_tag(D50_XYZ)}
    for i, sig in enumerate((b"rXYZ", b"gXYZ", b"bXYZ")):
        tags[sig] = _xyz_tag(m[:, i])
    for sig in (b"rTRC", b"gTRC", b"bTRC"):
        tags[sig] = _curve(GAMMA)
    return _icc(b"RGB ", tags)


def linear_grey_icc() -> bytes:
    """A grey profile with gamma 1: stored values are linear light, so sRGB output is brighter."""
    return _icc(b"GRAY", {b"desc": _desc_tag(b"PLANTED linear grey"), b"wtpt": _xyz_tag(D50_XYZ), b"kTRC": _curve(1)})


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    linear = np.clip(linear, 0, 1)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055) * 255


def p3_like_to_srgb(rgb: np.ndarray) -> np.ndarray:
    """What a colour-managed viewer shows for pixels tagged with ``display_p3_like_icc``, computed independently."""
    linear = (rgb.astype(np.float64) / 255) ** GAMMA
    m = np.linalg.inv(rgb_to_xyz(SRGB_PRIMARIES)) @ rgb_to_xyz(P3_PRIMARIES)
    return srgb_encode(linear @ m.T)


# --- EXIF, thumbnails, IPTC ----------------------------------------------------------------------


def thumbnail_jpeg(rgb: np.ndarray) -> bytes:
    """A small JPEG of the unobscured photo, with a marked comment so it can be found in any output."""
    buf = io.BytesIO()
    Image.fromarray(rgb).resize((160, 120)).save(buf, "JPEG", quality=80, comment=MARKER + b" thumbnail")
    return buf.getvalue()


def planted_exif(rgb: np.ndarray, orientation: int = 1) -> bytes:
    """EXIF with camera, time, serial, MakerNote, GPS and a thumbnail (IFD1), as Pillow's ``exif=`` takes it."""
    exif = Image.Exif()
    exif[0x010F] = "PLANTED-Make"
    exif[0x0110] = "PLANTED-Model"
    exif[0x0132] = PLANTED_DATE
    exif[0x013B] = "PLANTED-Artist"
    exif[0x0112] = orientation
    sub = exif.get_ifd(IFD.Exif)
    sub[0x9003] = PLANTED_DATE  # DateTimeOriginal
    sub[0xA431] = "PLANTED-BodySerial-123456"
    sub[0x927C] = MARKER + b"-MakerNote\0" + bytes(range(256))
    gps = exif.get_ifd(IFD.GPSInfo)
    gps[1] = "N"
    gps[2] = (52.0, 31.0, 12.34)
    gps[3] = "E"
    gps[4] = (13.0, 24.0, 56.78)
    prefix = b"Exif\0\0"
    return prefix + _with_thumbnail(exif.tobytes().removeprefix(prefix), thumbnail_jpeg(rgb))


def _with_thumbnail(tiff: bytes, thumb: bytes) -> bytes:
    """Chain an IFD1 that points at a JPEG thumbnail after IFD0, as cameras and phones do."""
    order = "<" if tiff[:2] == b"II" else ">"
    (ifd0,) = struct.unpack(order + "I", tiff[4:8])
    (count,) = struct.unpack(order + "H", tiff[ifd0 : ifd0 + 2])
    next_at = ifd0 + 2 + 12 * count
    ifd1 = len(tiff) + (len(tiff) % 2)
    entries = [(0x0103, 3, 1, 6), (0x0201, 4, 1, ifd1 + 2 + 12 * 3 + 4), (0x0202, 4, 1, len(thumb))]
    body = struct.pack(order + "H", len(entries))
    for tag, typ, n, value in entries:
        packed = struct.pack(order + "H", value) + b"\0\0" if typ == 3 else struct.pack(order + "I", value)
        body += struct.pack(order + "HHI", tag, typ, n) + packed
    body += struct.pack(order + "I", 0)
    out = bytearray(tiff + b"\0" * (ifd1 - len(tiff)) + body + thumb)
    out[next_at : next_at + 4] = struct.pack(order + "I", ifd1)
    return bytes(out)


def iptc_records() -> bytes:
    """IPTC-IIM caption and by-line records."""
    iptc = b""
    for dataset, text in ((120, MARKER + b" IPTC caption"), (80, MARKER + b" IPTC by-line")):
        iptc += b"\x1c\x02" + bytes([dataset]) + struct.pack(">H", len(text)) + text
    return iptc


def iptc_app13() -> bytes:
    """A Photoshop APP13 segment holding the IPTC records, as Photoshop and Lightroom write them."""
    iptc = iptc_records()
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\0\0" + struct.pack(">I", len(iptc)) + iptc
    resource += b"\0" * (len(resource) % 2)
    body = b"Photoshop 3.0\0" + resource
    return b"\xff\xed" + struct.pack(">H", len(body) + 2) + body


def xmp_packet() -> bytes:
    return (
        b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        b'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:exif="http://ns.adobe.com/exif/1.0/" '
        b'exif:GPSLatitude="52,31.2N" dc:creator="' + MARKER + b' XMP creator"/></rdf:RDF></x:xmpmeta>'
        b'<?xpacket end="w"?>'
    )


# --- planted files, one per format -----------------------------------------------------------------


def write_planted(rgb: np.ndarray, path: Path, alpha: np.ndarray | None = None) -> Path:
    """Save ``rgb`` in the format named by the suffix, carrying every kind of metadata that format can hold."""
    im = Image.fromarray(rgb)
    if alpha is not None:
        im.putalpha(Image.fromarray(alpha))
    exif = planted_exif(rgb)
    icc = display_p3_like_icc()
    suffix = path.suffix.lower()
    if suffix in (".jpg", ".jpeg"):
        buf = io.BytesIO()
        im.save(buf, "JPEG", exif=exif, icc_profile=icc, xmp=xmp_packet(), comment=MARKER + b" JPEG COM")
        data = buf.getvalue()
        path.write_bytes(data[:2] + iptc_app13() + data[2:])  # APP13 right after SOI
    elif suffix == ".png":
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", (MARKER + b" PNG tEXt").decode())
        info.add_itxt("Description", (MARKER + b" PNG iTXt").decode(), zip=False)
        info.add_itxt("XML:com.adobe.xmp", xmp_packet().decode(), zip=False)
        im.save(path, "PNG", pnginfo=info, exif=exif, icc_profile=icc)
    elif suffix == ".webp":
        im.save(path, "WEBP", exif=exif, xmp=xmp_packet(), icc_profile=icc, quality=95)
    elif suffix in (".tif", ".tiff"):
        tags = {
            271: "PLANTED-Make",
            272: "PLANTED-Model",
            306: PLANTED_DATE,
            270: (MARKER + b" TIFF ImageDescription").decode(),
            315: "PLANTED-Artist",
            700: xmp_packet(),
            33723: iptc_records(),
            IFD.Exif: {0xA431: "PLANTED-BodySerial-123456", 0x9003: PLANTED_DATE},
            IFD.GPSInfo: {1: "N", 2: (52.0, 31.0, 12.34), 3: "E", 4: (13.0, 24.0, 56.78)},
        }
        im.save(path, "TIFF", tiffinfo=tags, icc_profile=icc)
    elif suffix in (".heic", ".heif"):
        im.save(path, "HEIF", exif=exif, xmp=xmp_packet(), icc_profile=icc, thumbnails=[128], quality=90)
    else:
        raise ValueError(f"no planting for {suffix}")
    return path


# --- a face held only in the transparency layer ------------------------------------------------

INK_MODES = ("RGBA", "LA", "P", "webp", "tif", "heic")


def save_ink(path: Path, rgb: np.ndarray, mode: str = "RGBA") -> Path:
    """``rgb`` stored as ink: every colour sample black, alpha = 255 - grey. Over a white page it is the grey
    picture, pixel for pixel; its colour channels alone are black. ``mode``: a PNG's mode (RGBA, LA, or P, a
    palette of 256 blacks whose tRNS chunk holds the levels), or webp, tif or heic (RGBA)."""
    grey = np.asarray(Image.fromarray(rgb).convert("L"))
    alpha = 255 - grey
    if mode == "LA":
        im = Image.fromarray(np.dstack([np.zeros_like(alpha), alpha]), "LA")
    elif mode == "P":
        im = Image.fromarray(alpha, "L").convert("P")  # an index per level, then every entry black
        im.putpalette([0] * 768)
        im.info["transparency"] = bytes(range(256))
    else:
        im = Image.fromarray(np.dstack([np.zeros((*alpha.shape, 3), np.uint8), alpha]), "RGBA")
    options = {"webp": {"lossless": True}, "heic": {"quality": -1}}.get(mode, {})
    im.save(path, **options)
    return path


def over_white(path: Path) -> np.ndarray:
    """What a browser shows of an image on a white page."""
    with Image.open(path) as im:
        rgba = np.asarray(im.convert("RGBA")).astype(np.float32)
    a = rgba[:, :, 3:] / 255
    return np.round(rgba[:, :, :3] * a + 255 * (1 - a)).astype(np.uint8)
