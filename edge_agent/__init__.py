"""The edge agent: one per device, the only process holding network credentials."""
