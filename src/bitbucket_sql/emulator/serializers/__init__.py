"""Object shapes (``objects``), shared value builders (``common``) and JSON responses (``render``)."""
