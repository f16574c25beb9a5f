"""blurkit: find every face in photos and video and obscure it irreversibly, offline."""

from blurkit.api import FileResult, anonymize_file, anonymize_image, find_faces, load_photo, media_kind
from blurkit.batch import Plan, Skipped, list_media
from blurkit.batch import plan as plan_batch
from blurkit.batch import run as run_batch
from blurkit.check import CheckResult, check_file
from blurkit.detect import detect_faces
from blurkit.errors import BlurkitError, Cancelled, DetectionError, MediaError, OutputExistsError, ReplacesInputError
from blurkit.media import PHOTO_SUFFIXES, VIDEO_SUFFIXES
from blurkit.naming import NAMINGS, new_name, revealing_name, shown_name
from blurkit.obscure import TrackMemory, mask_regions, obscure
from blurkit.regions import Region
from blurkit.render import render_frame
from blurkit.report import check_outputs, write_report
from blurkit.request import Control, Job, Run
from blurkit.settings import MODES, NOT_REMOVED, Settings, detection_fields, setting_fields
from blurkit.version import __version__ as __version__
from blurkit.video.follow import follow_region
from blurkit.video.pipeline import VideoInfo, probe_video, read_video_frame, video_detection_settings

__all__ = [
    "MODES",
    "NAMINGS",
    "NOT_REMOVED",
    "PHOTO_SUFFIXES",
    "VIDEO_SUFFIXES",
    "BlurkitError",
    "Cancelled",
    "CheckResult",
    "Control",
    "DetectionError",
    "FileResult",
    "Job",
    "MediaError",
    "OutputExistsError",
    "Plan",
    "Region",
    "ReplacesInputError",
    "Run",
    "Settings",
    "Skipped",
    "TrackMemory",
    "VideoInfo",
    "anonymize_file",
    "anonymize_image",
    "check_file",
    "check_outputs",
    "detect_faces",
    "detection_fields",
    "find_faces",
    "follow_region",
    "list_media",
    "load_photo",
    "mask_regions",
    "media_kind",
    "new_name",
    "obscure",
    "plan_batch",
    "probe_video",
    "read_video_frame",
    "render_frame",
    "revealing_name",
    "run_batch",
    "setting_fields",
    "shown_name",
    "video_detection_settings",
    "write_report",
]
