"""The ``onevisit`` command, the demo and the tools that run a whole hall on one machine.

The only package that may import all the others: ``hall_protocol`` ← ``drivers``, ``edge_agent``,
``hall_controller``, ``kiosk`` ← ``onevisit``. Each subcommand imports only its own package, so a device
running ``onevisit agent`` never loads controller code.
"""
