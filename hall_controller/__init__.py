"""The hall controller: queue engine, routing, silent calling, device registry, persistence."""
