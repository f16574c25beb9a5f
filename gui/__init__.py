"""blurkit's desktop app: review, correct and export on the same engine as the CLI.

It reaches the engine only through ``import blurkit`` (the public API); no
detection, image or ffmpeg code lives here.
"""
