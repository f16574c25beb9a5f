"""Photo input and output on real files: metadata planted in every format never survives, colour is
converted to sRGB, sideways phone photos are detected and written upright, each format comes back as itself."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import cv2
import numpy as np
import pytest
from photo_fixtures import (
    D50_XYZ,
    INK_MODES,
    MARKER,
    PLANTED_DATE,
    SOI,
    _curve,
    _desc_tag,
    _icc,
    _xyz_tag,
    display_p3_like_icc,
    linear_grey_icc,
    load_rgb,
    over_white,
    p3_like_to_srgb,
    planted_exif,
    save_ink,
    srgb_encode,
    write_planted,
)
from PIL import Image, IptcImagePlugin
from PIL.ExifTags import IFD

import blurkit.media.image
from blurkit import MediaError, Region, Settings, anonymize_file, check_file, detect_faces, load_photo, mask_regions
from blurkit.cli import main
from blurkit.obscure import mask_of
from blurkit.regions import boxes_of, iou_matrix

SAMPLES = Path(__file__).resolve().parent.parent / "sample_media"
# width, height, bits, compression, photometric, strips, samples, rows, strip sizes, planar, predictor, extra samples
TIFF_PIXEL_TAGS = {256, 257, 258, 259, 262, 273, 277, 278, 279, 284, 317, 338}
METADATA_KEYS = {"exif", "xmp", "icc_profile", "comment", "photoshop", "iptc", "Comment", "Description"}


@pytest.fixture(scope="module")
def hopper() -> np.ndarray:
    """A portrait photo (512 wide, 600 high) with one face."""
    return load_rgb(SAMPLES / "grace_hopper.jpg")


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return load_rgb(SAMPLES / "astronaut.png")


def decoded(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB")).copy()


def face_box_changed(before: np.ndarray, after: np.ndarray, regions: list[Region]) -> bool:
    r = max(regions, key=lambda r: r.score)
    x0, y0, x1, y1 = int(r.x0), int(r.y0), int(r.x1), int(r.y1)
    return np.abs(before[y0:y1, x0:x1].astype(int) - after[y0:y1, x0:x1]).mean() > 20


def png_chunks(data: bytes) -> list[bytes]:
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        chunks.append(data[at + 4 : at + 8])
        at += 12 + length
    return chunks


def webp_chunks(data: bytes) -> list[bytes]:
    chunks, at = [], 12
    while at < len(data):
        (length,) = struct.unpack("<I", data[at + 4 : at + 8])
        chunks.append(data[at : at + 4])
        at += 8 + length + length % 2
    return chunks


def assert_no_metadata(path: Path) -> None:
    raw = path.read_bytes()
    assert MARKER not in raw
    assert PLANTED_DATE.encode() not in raw
    with Image.open(path) as im:
        if im.format == "TIFF":  # a TIFF's EXIF is its own header: allow only the tags that describe pixels
            assert set(im.tag_v2) <= TIFF_PIXEL_TAGS
        else:
            assert len(im.getexif()) == 0
        assert not {k for k, v in im.info.items() if v} & METADATA_KEYS
        assert not im.info.get("thumbnails")  # HEIC thumbnail items
        if im.format == "PNG":
            assert set(png_chunks(raw)) <= {b"IHDR", b"IDAT", b"IEND"}
        if im.format == "WEBP":
            assert set(webp_chunks(raw)) <= {b"VP8 ", b"VP8L", b"VP8X", b"ALPH"}
        if im.format == "JPEG":
            assert [marker for marker, _ in im.applist] == ["APP0"]  # JFIF only: no APP1/APP2/APP13
            assert IptcImagePlugin.getiptcinfo(im) is None
            assert raw.count(SOI) == 1  # no embedded thumbnail


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp", ".tif", ".heic"])
def test_planted_metadata_does_not_survive(tmp_path: Path, hopper: np.ndarray, suffix: str) -> None:
    src = write_planted(hopper, tmp_path / f"planted{suffix}")
    with Image.open(src) as im:  # the input really carries it all
        exif = im.getexif()
        assert exif[0x010F] == "PLANTED-Make" and exif.get_ifd(IFD.GPSInfo)
        assert im.info.get("icc_profile") and im.info.get("xmp")
        assert exif.get_ifd(IFD.Exif)[0xA431].startswith("PLANTED")
        assert exif.get_ifd(IFD.IFD1) or suffix == ".tif"
    assert src.read_bytes().count(MARKER) >= 6
    if suffix == ".png":
        assert {b"iCCP", b"tEXt", b"iTXt", b"eXIf"} <= set(png_chunks(src.read_bytes()))
    if suffix == ".webp":
        assert {b"ICCP", b"EXIF", b"XMP "} <= set(webp_chunks(src.read_bytes()))
    dst = tmp_path / "out" / src.name
    result = anonymize_file(src, dst)
    assert result.status == "written" and result.regions
    assert_no_metadata(dst)
    assert face_box_changed(load_photo(src).pixels, decoded(dst), result.regions)


def test_thumbnail_and_camera_fields_are_gone_from_a_phone_style_jpeg(tmp_path: Path, hopper: np.ndarray) -> None:
    """The embedded EXIF thumbnail shows the unobscured face: the output holds one image only."""
    src = write_planted(hopper, tmp_path / "phone.jpg")
    with Image.open(src) as im:
        thumb_at = im.getexif().get_ifd(IFD.IFD1)[0x0201]
    assert thumb_at and src.read_bytes().count(SOI) == 2
    dst = tmp_path / "phone-out.jpg"
    anonymize_file(src, dst)
    assert dst.read_bytes().count(SOI) == 1
    assert b"Exif" not in dst.read_bytes() and b"http://ns.adobe.com/xap" not in dst.read_bytes()


def test_mpo_camera_jpeg_reads_the_primary_image_and_drops_the_rest(tmp_path: Path, hopper: np.ndarray) -> None:
    """Cameras and phones append previews or gain maps (MPF); those hold the face too."""
    src = tmp_path / "camera.jpg"
    primary = Image.fromarray(hopper)
    primary.save(src, "MPO", save_all=True, append_images=[primary.resize((256, 300))], quality=95)
    with Image.open(src) as im:
        assert im.format == "MPO" and im.n_frames == 2
    dst = tmp_path / "out.jpg"
    result = anonymize_file(src, dst)
    assert result.regions and (result.width, result.height) == (512, 600)
    with Image.open(dst) as im:
        assert im.format == "JPEG" and getattr(im, "n_frames", 1) == 1
    assert dst.read_bytes().count(SOI) == 1


def test_display_p3_profile_is_converted_to_srgb(tmp_path: Path, astronaut: np.ndarray) -> None:
    src = tmp_path / "p3.png"
    Image.fromarray(astronaut).save(src, icc_profile=display_p3_like_icc())
    dst = tmp_path / "p3-out.png"
    anonymize_file(src, dst, regions=[])
    out = decoded(dst).astype(float)
    expected = p3_like_to_srgb(astronaut)
    assert np.abs(out - expected).mean() < 1.5
    assert np.abs(out - astronaut).mean() > 5  # the conversion did something
    with Image.open(dst) as im:
        assert "icc_profile" not in im.info


def test_grey_profile_is_converted_to_srgb(tmp_path: Path, astronaut: np.ndarray) -> None:
    grey = np.asarray(Image.fromarray(astronaut).convert("L"))
    src = tmp_path / "grey.png"
    Image.fromarray(grey).save(src, icc_profile=linear_grey_icc())
    pixels = load_photo(src).pixels.astype(float)
    expected = srgb_encode(grey / 255)
    assert np.abs(pixels - expected[:, :, None]).mean() < 1.5
    assert np.abs(pixels.mean() - grey.mean()) > 20


def test_broken_profile_keeps_the_pixels(tmp_path: Path, astronaut: np.ndarray) -> None:
    src = tmp_path / "broken-icc.png"
    Image.fromarray(astronaut).save(src, icc_profile=b"not a profile at all" * 8)
    assert np.array_equal(load_photo(src).pixels, astronaut)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_16_bit_greyscale_is_scaled_not_clipped(tmp_path: Path, hopper: np.ndarray, suffix: str) -> None:
    grey = np.asarray(Image.fromarray(hopper).convert("L"))
    src = tmp_path / f"scan16{suffix}"
    Image.fromarray(grey.astype(np.uint16) * 257).save(src)
    with Image.open(src) as im:
        assert im.mode.startswith("I")
    pixels = load_photo(src).pixels
    assert np.abs(pixels[:, :, 0].astype(int) - grey).max() <= 1
    assert detect_faces(pixels)


# EXIF orientation -> how the camera stored the upright picture
STORED_AS = {6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270, 3: Image.Transpose.ROTATE_180}


@pytest.mark.parametrize("suffix", [".jpg", ".heic", ".png", ".webp", ".tif"])
@pytest.mark.parametrize("orientation", [6, 8, 3])
def test_sideways_phone_photo_is_detected_and_written_upright(
    tmp_path: Path, hopper: np.ndarray, orientation: int, suffix: str
) -> None:
    src = tmp_path / f"sideways{suffix}"
    Image.fromarray(hopper).transpose(STORED_AS[orientation]).save(
        src, exif=planted_exif(hopper, orientation), quality=95
    )
    with Image.open(src) as im:
        stored_size = im.size
    if suffix not in (".heic", ".tif"):  # pillow-heif and Pillow's TIFF reader hand back upright pixels themselves
        assert stored_size == ((512, 600) if orientation == 3 else (600, 512))
    dst = tmp_path / f"out{suffix}"
    result = anonymize_file(src, dst)
    out = decoded(dst)
    assert out.shape == (600, 512, 3) and (result.width, result.height) == (512, 600)
    # the face was found where it is in the upright photo
    upright_faces = detect_faces(hopper)
    assert result.regions
    assert iou_matrix(boxes_of(result.regions), boxes_of(upright_faces)).max() > 0.5
    # and the rest of the picture is the upright photo, not a rotated one
    inside = mask_of(out.shape, mask_regions(result.regions, Settings(), 512, 600))
    outside = ~mask_of(out.shape, [r.scaled(2.0) for r in mask_regions(result.regions, Settings(), 512, 600)])
    assert np.abs(out.astype(int) - hopper)[outside].mean() < 4
    assert np.abs(out.astype(int) - hopper)[inside].mean() > 20
    with Image.open(dst) as im:
        assert 0x0112 not in im.getexif()


@pytest.mark.parametrize(
    ("suffix", "fmt"),
    [
        (".jpg", "JPEG"),
        (".jpeg", "JPEG"),
        (".png", "PNG"),
        (".webp", "WEBP"),
        (".tiff", "TIFF"),
        (".bmp", "BMP"),
        (".heic", "HEIF"),
        (".heif", "HEIF"),
    ],
)
def test_each_format_comes_back_as_itself(tmp_path: Path, hopper: np.ndarray, suffix: str, fmt: str) -> None:
    src = tmp_path / f"photo{suffix}"
    Image.fromarray(hopper).save(src, fmt, **({"quality": 95} if fmt in ("JPEG", "WEBP", "HEIF") else {}))
    dst = tmp_path / "out" / src.name
    result = anonymize_file(src, dst)
    with Image.open(dst) as im:
        assert im.format == fmt and im.size == (512, 600)
    original = load_photo(src).pixels
    out = decoded(dst)
    assert face_box_changed(original, out, result.regions)
    outside = ~mask_of(out.shape, [r.scaled(2.0) for r in mask_regions(result.regions, Settings(), 512, 600)])
    assert np.abs(out.astype(int) - original)[outside].mean() < (0.01 if fmt in ("PNG", "TIFF", "BMP") else 4)
    assert "note" not in result.details


def test_heic_written_as_jpeg_says_so(tmp_path: Path, hopper: np.ndarray) -> None:
    src = tmp_path / "phone.heic"
    Image.fromarray(hopper).save(src, "HEIF", quality=90)
    result = anonymize_file(src, tmp_path / "phone.jpg")
    assert result.details["note"] == "written as JPEG"
    with Image.open(tmp_path / "phone.jpg") as im:
        assert im.format == "JPEG"


@pytest.mark.parametrize("suffix", [".png", ".webp", ".tif"])
def test_alpha_is_kept_and_opaque_inside_masks(tmp_path: Path, hopper: np.ndarray, suffix: str) -> None:
    alpha = np.tile(np.linspace(40, 255, 512).astype(np.uint8), (600, 1))
    src = tmp_path / f"cutout{suffix}"
    rgba = Image.fromarray(hopper)
    rgba.putalpha(Image.fromarray(alpha))
    rgba.save(src, **({"lossless": True} if suffix == ".webp" else {}))
    dst = tmp_path / f"out{suffix}"
    result = anonymize_file(src, dst)
    with Image.open(dst) as im:
        assert im.mode == "RGBA"
        out_alpha = np.asarray(im)[:, :, 3]
    inside = mask_of(out_alpha.shape, mask_regions(result.regions, Settings(), 512, 600))
    assert inside.any()
    assert np.all(out_alpha[inside] == 255)
    assert np.abs(out_alpha[~inside].astype(int) - alpha[~inside]).max() <= 1


def test_alpha_inside_the_mask_does_not_reach_the_output(tmp_path: Path, hopper: np.ndarray) -> None:
    """A cut-out's transparency traces the face's outline; changing it inside the mask changes nothing."""
    regions = detect_faces(hopper)
    inside = mask_of(hopper.shape, mask_regions(regions, Settings(), 512, 600))
    outputs = []
    for i, seed in enumerate((1, 2)):
        rng = np.random.default_rng(seed)
        rgba = np.dstack([hopper, np.full((600, 512), 200, np.uint8)])
        rgba[inside] = rng.integers(0, 256, (int(inside.sum()), 4), dtype=np.uint8)
        src = tmp_path / f"in{i}.png"
        Image.fromarray(rgba).save(src)
        anonymize_file(src, tmp_path / f"out{i}.png", regions=regions)
        outputs.append((tmp_path / f"out{i}.png").read_bytes())
    assert outputs[0] == outputs[1]


def test_encoder_adds_nothing_of_its_own(tmp_path: Path, hopper: np.ndarray) -> None:
    """Even a clean input comes out with only the pixels: no software tag, date or profile."""
    for fmt, suffix in (("PNG", ".png"), ("WEBP", ".webp"), ("TIFF", ".tif"), ("HEIF", ".heic"), ("JPEG", ".jpg")):
        src = tmp_path / f"clean{suffix}"
        Image.fromarray(hopper).save(src, fmt)
        dst = tmp_path / f"clean-out{suffix}"
        anonymize_file(src, dst, regions=[])
        assert_no_metadata(dst)
        with Image.open(dst) as im:
            if fmt == "PNG":
                assert im.info == {}


# --- deep samples: float, HDR, 16-bit and 32-bit ---------------------------------------------------


def grey_of(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(rgb).convert("L"))


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.astype(np.float64).ravel(), b.astype(np.float64).ravel())[0, 1])


def rgb16_tiff(path: Path, rgb: np.ndarray, orientation: int = 1) -> None:
    """An uncompressed 16-bit RGB TIFF with an orientation tag, written by hand (Pillow cannot write one)."""
    height, width = rgb.shape[:2]
    entries = [  # tag, type (3 SHORT, 4 LONG), count, value
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, 3, 0),  # bits per sample: three SHORTs after the IFD
        (259, 3, 1, 1),
        (262, 3, 1, 2),
        (273, 4, 1, 0),  # strip offset: after the bits
        (274, 3, 1, orientation),
        (277, 3, 1, 3),
        (278, 4, 1, height),
        (279, 4, 1, rgb.size * 2),
        (284, 3, 1, 1),
    ]
    bits_at = 8 + 2 + 12 * len(entries) + 4
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        value = {258: bits_at, 273: bits_at + 6}.get(tag, value)
        field = struct.pack("<HH", value, 0) if kind == 3 and count == 1 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, kind, count) + field
    header = b"II" + struct.pack("<HI", 42, 8)
    path.write_bytes(header + ifd + struct.pack("<I", 0) + struct.pack("<3H", 16, 16, 16) + rgb.astype("<u2").tobytes())


def test_float_tiff_brighter_than_one_keeps_its_contrast(tmp_path: Path, hopper: np.ndarray) -> None:
    """HDR-style float (0 to 1.2): read as if 255 were white it was black, no face was found and a
    contrast stretch of the output showed the face."""
    grey = grey_of(hopper)
    src = tmp_path / "hdr.tif"
    Image.fromarray((grey / 255 * 1.2).astype(np.float32)).save(src)
    with Image.open(src) as im:
        assert im.mode == "F"
    pixels = load_photo(src).pixels
    assert pixels.max() - pixels.min() > 200
    assert correlation(pixels[:, :, 0], grey) > 0.99
    dst = tmp_path / "out.tif"
    result = anonymize_file(src, dst)
    assert result.faces >= 1
    assert face_box_changed(pixels, decoded(dst), result.regions)


def test_float_tiff_with_negatives_nan_and_infinities_keeps_its_picture(tmp_path: Path, hopper: np.ndarray) -> None:
    grey = grey_of(hopper)
    values = (grey / 255 * 1.1 - 0.1).astype(np.float32)  # -0.1 to 1.0
    values[:5, :] = np.nan
    values[5:8, :] = np.inf
    values[8:10, :] = -np.inf
    src = tmp_path / "odd.tif"
    Image.fromarray(values).save(src)
    pixels = load_photo(src).pixels[:, :, 0]
    assert np.all(pixels[:5] == 0) and np.all(pixels[5:8] == 255) and np.all(pixels[8:10] == 0)
    assert pixels[10:].max() - pixels[10:].min() > 200
    assert correlation(pixels[10:], grey[10:]) > 0.99


# 12-bit data (0-4095) as scanners and machine-vision cameras store it in 16-bit files, by file name.
TWELVE_BIT_WRITERS = {
    "grey16.tif": lambda path, data: Image.fromarray(data).save(path),
    "grey16.png": lambda path, data: Image.fromarray(data).save(path),
    "grey16be.tif": lambda path, data: Image.frombytes(
        "I;16B", (data.shape[1], data.shape[0]), data.astype(">u2").tobytes()
    ).save(path),
    "rgb16.png": lambda path, data: cv2.imwrite(str(path), np.dstack([data] * 3)),
    "rgb16.tif": lambda path, data: rgb16_tiff(path, np.dstack([data] * 3)),
}


@pytest.mark.parametrize("name", TWELVE_BIT_WRITERS)
def test_12_bit_data_in_16_bit_files_is_scaled_by_its_range(tmp_path: Path, hopper: np.ndarray, name: str) -> None:
    """Scaled as if it used all 16 bits (or cut to its high byte, as Pillow reads 16-bit colour) it came
    out nearly black: 16 levels for a detector to find faces in."""
    grey = grey_of(hopper)
    src = tmp_path / name
    TWELVE_BIT_WRITERS[name](src, grey.astype(np.uint16) * 16)
    pixels = load_photo(src).pixels
    assert np.abs(pixels.astype(int) - grey[:, :, None]).max() <= 1


def test_32_bit_integer_tiff_is_scaled_by_its_range(tmp_path: Path, hopper: np.ndarray) -> None:
    grey = grey_of(hopper)
    src = tmp_path / "counts.tif"
    Image.fromarray(grey.astype(np.int32) * 1000 - 20_000).save(src)  # -20000 .. 235000: 18 bits and a sign
    with Image.open(src) as im:
        assert im.mode == "I"
    pixels = load_photo(src).pixels[:, :, 0]
    assert pixels.max() - pixels.min() > 100
    assert correlation(pixels, grey) > 0.99


def test_sideways_16_bit_colour_tiff_is_read_upright_at_full_depth(tmp_path: Path, astronaut: np.ndarray) -> None:
    """16-bit colour is read past Pillow (which keeps only the high bytes), so it must still be turned upright."""
    upright = astronaut.astype(np.uint16) * 16
    src = tmp_path / "sideways16.tif"
    rgb16_tiff(src, np.rot90(upright), orientation=6)  # stored turned a quarter left, as EXIF 6 says
    assert np.abs(load_photo(src).pixels.astype(int) - astronaut).max() <= 1


def flattening_grey_profile() -> bytes:
    """A grey profile with gamma 255: everything but near-white maps to black (a broken or hostile profile)."""
    tags = {b"desc": _desc_tag(b"flattening grey"), b"wtpt": _xyz_tag(D50_XYZ), b"kTRC": _curve(255)}
    return _icc(b"GRAY", tags)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif"])
def test_a_conversion_that_flattens_the_picture_fails_the_file(tmp_path: Path, hopper: np.ndarray, suffix: str) -> None:
    src = tmp_path / f"flat{suffix}"
    Image.fromarray(grey_of(hopper)).save(src, icc_profile=flattening_grey_profile())
    dst = tmp_path / "out" / f"flat{suffix}"
    with pytest.raises(MediaError, match="levels"):
        anonymize_file(src, dst)
    assert not dst.parent.exists() or list(dst.parent.iterdir()) == []


def test_1_bit_and_palette_photos_convert_as_they_look(tmp_path: Path, hopper: np.ndarray) -> None:
    """Few colours in, the same few out: the flattening check does not mistake them for a collapse."""
    grey = grey_of(hopper)
    bitmap = Image.fromarray(grey > 110)
    palette = Image.fromarray(hopper).convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    for name, im in (("bitmap.tif", bitmap), ("bitmap.png", bitmap), ("palette.png", palette)):
        im.save(tmp_path / name)
        assert np.array_equal(load_photo(tmp_path / name).pixels, np.asarray(im.convert("RGB"))), name


INK_SUFFIX = {"webp": ".webp", "tif": ".tif", "heic": ".heic"}


@pytest.mark.parametrize("mode", INK_MODES)
def test_a_face_held_only_in_the_transparency_layer_is_found_and_obscured(
    tmp_path: Path, hopper: np.ndarray, mode: str
) -> None:
    """Colour all black, the face in the alpha channel alone ("ink", cut-outs): a browser shows the face on a
    white page. Detection looks at what a viewer sees, so the face is covered in every channel."""
    suffix = INK_SUFFIX.get(mode, ".png")
    src = save_ink(tmp_path / f"ink{suffix}", hopper, mode)
    seen = over_white(src)
    assert detect_faces(seen)  # the face is there for anyone who opens the file
    dst = tmp_path / f"out{suffix}"
    result = anonymize_file(src, dst)
    assert result.faces >= 1
    shown = over_white(dst)
    inside = mask_of(shown.shape, mask_regions(result.regions, Settings(), 512, 600))
    cx, cy = max(detect_faces(seen), key=lambda r: r.score).center
    assert inside[int(cy), int(cx)]
    # what a viewer sees of the face is gone: no detection over it, and no trace of its picture left
    assert not [r for r in detect_faces(shown) if r.score >= Settings().check_threshold]
    assert np.nan_to_num(correlation(seen[inside][:, 0], shown[inside][:, 0])) < 0.3
    assert check_file(dst, written=result).status == "clean"


def test_an_mpos_other_images_are_said_to_be_left_out(tmp_path: Path, hopper: np.ndarray, capsys) -> None:
    """An MPO's second image (a preview, a depth or gain map) is not written: the summary and the report say so."""
    src = tmp_path / "in" / "camera.jpg"
    src.parent.mkdir()
    primary = Image.fromarray(hopper)
    primary.save(src, "MPO", save_all=True, append_images=[primary.resize((256, 300))], quality=95)
    report = tmp_path / "report.json"
    assert main([str(src), "-o", str(tmp_path / "out.jpg"), "--report", str(report)]) == 0
    err = capsys.readouterr().err
    assert "camera.jpg: 1 more image(s) in it (previews, depth or gain maps) not written, only the first" in err
    (entry,) = json.loads(report.read_text())["files"]
    assert entry["status"] == "written" and "1 more image(s)" in entry["note"]


def test_transparent_photos_have_a_lower_pixel_limit(tmp_path: Path, hopper: np.ndarray, monkeypatch) -> None:
    """Three views of a transparent photo take about twice an opaque one's memory: its limit is half, so a photo
    at either limit needs about the same (benchmarks/photo_memory.py). Refused in one line, before decoding."""
    monkeypatch.setattr(blurkit.media.image, "MAX_TRANSPARENT_PIXELS", 512 * 600 - 1)
    opaque, cutout = tmp_path / "opaque.png", tmp_path / "cutout.png"
    Image.fromarray(hopper).save(opaque)
    rgba = Image.fromarray(hopper)
    rgba.putalpha(200)
    rgba.save(cutout)
    assert anonymize_file(opaque, tmp_path / "out1.png").faces
    with pytest.raises(
        MediaError, match=r"^refused: 0\.3 MP with transparency needs more memory .*\(at most 0\.3 MP\)"
    ):
        anonymize_file(cutout, tmp_path / "out2.png")
    assert not (tmp_path / "out2.png").exists()
