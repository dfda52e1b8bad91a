"""Every device UI of a hall (Kivy), and what they share: the self-service kiosk is one of them.

The Apps, one per device role, are in ``kiosk.apps``: the self-service kiosk (自助服务终端), the hall screen
(大厅综合屏), the window display (窗口屏) and the evaluator pad (评价器). Beside them: ``agent_client`` (the
one client of the device's edge agent), ``i18n`` (every sentence a citizen reads), ``viewmodels``,
``catalog``, ``guide`` and ``documents`` (the self-service kiosk's plain-Python models), ``config``,
``speech`` and ``selftest``. ``python -m kiosk --role …`` runs one of the Apps.
"""
