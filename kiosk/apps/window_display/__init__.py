"""A window display (窗口屏): the number called to, or served at, one window; mirrored to an LED display.

``board`` is its model (plain Python, tested without a window); ``app`` the Kivy App, ``window_display.kv``
its layout.
"""
