"""Device drivers: one small async interface per device kind, a real implementation and a simulator."""
