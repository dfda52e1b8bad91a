"""The device UIs (Kivy): self-service kiosk, hall screen, window display, evaluator pad."""
