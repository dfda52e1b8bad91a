"""Discrete-event simulation of a service hall driving the real queue engine (``python -m bench.hallsim``)."""
