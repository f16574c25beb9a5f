"""Errors a front end reports as one line naming the file."""


class BlurkitError(Exception):
    """Anything blurkit refuses or cannot do; the message says what to do."""


class MediaError(BlurkitError):
    """The input is unreadable, truncated, not media, or unsafe to decode."""


class DetectionError(BlurkitError):
    """Detection could not run; nothing may be written for that input."""


class ModelError(DetectionError):
    """A shipped model is missing or altered."""


class OutputExistsError(BlurkitError):
    """The destination exists and overwriting was not asked for."""


class ReplacesInputError(BlurkitError):
    """The output would replace an input: refused always, --overwrite or not."""


class Cancelled(BlurkitError):
    """The user cancelled; nothing was written."""
