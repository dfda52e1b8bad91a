"""Plain-Python view-models of the kiosk's screens: everything a screen shows, every action it triggers.

Independent of Kivy: each view-model has attributes and a ``changed`` signal (see ``observable``); texts
are ``kiosk.i18n.Text`` / ``Bilingual`` rendered by the screen in the citizen's language. Import the
modules directly (``kiosk.viewmodels.ticket``); this package file stays light so ``kiosk.documents`` can
import ``kiosk.viewmodels.session`` without a cycle.
"""
