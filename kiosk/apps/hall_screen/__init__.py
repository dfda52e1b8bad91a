"""The hall screen (大厅综合屏): the latest calls and every service's queue, readable across the hall.

``board`` is its model (plain Python, tested without a window); ``app`` the Kivy App, ``hall_screen.kv`` its
layout.
"""
