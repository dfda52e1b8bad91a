"""The Kivy layer: one App per device role, screens bound to the plain-Python view-models.

Nothing here decides anything a citizen or the hall would notice: the view-models (``kiosk.viewmodels``)
and the board models (``kiosk.app.boards``) do; the screens render them and forward touches. Import
``kiosk.app.env.prepare_kivy`` before anything from Kivy: window size and fonts are fixed at import time.
"""
