"""The Kivy layer: one App per device role, each in its own subpackage, screens bound to plain-Python models.

- ``kiosk`` — the self-service kiosk (自助服务终端); its view-models are ``kiosk.viewmodels``.
- ``hall_screen`` — the hall screen (大厅综合屏).
- ``window_display`` — a window display (窗口屏), with its LED display.
- ``evaluator`` — an evaluator pad (评价器) at a window.

What they share is here: ``base`` (the App base class: theme, language, tasks, speech), ``board_app`` (the
base of the three hall-feed Apps), ``board_layout`` (how the boards size themselves, portrait or landscape,
and the density each screen gets), ``board_feed`` (whether a board's picture is current, and the hall's
notices), ``widgets`` and ``build`` with ``common.kv``, ``devices`` (the peripherals), ``env`` (Kivy's process
settings) and ``runtime`` (wiring per role, and the run loop).

Nothing here decides anything a citizen or the hall would notice: the view-models and the board models do;
the screens render them and forward touches. Import ``kiosk.apps.env.prepare_kivy`` before anything from
Kivy: window size and fonts are fixed at import time.
"""
