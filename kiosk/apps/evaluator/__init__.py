"""An evaluator pad (评价器) at a window: five big buttons after a finish there, or the keypad's keys.

``board`` is its model (plain Python, tested without a window); ``app`` the Kivy App, ``evaluator.kv`` its
layout. The rating itself is the kiosk's ``RatingViewModel``.
"""
