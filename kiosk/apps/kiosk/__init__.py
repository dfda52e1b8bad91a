"""The self-service kiosk (自助服务终端): identify, find a service, take a ticket, print, rate.

Its view-models are ``kiosk.viewmodels`` (plain Python, tested without a window); ``app`` is the Kivy App
with its overlays and the glue to devices and agent, ``screens`` draws each screen, ``kiosk.kv`` the frame.
"""
