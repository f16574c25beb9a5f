"""The video engine: when and where to detect (``schedule``), the frame loop (``pipeline``), motion and shot
cuts (``motion``), tracking (``track``), following a drawn region (``follow``) and segments (``segments``)."""
