"""Tracing demo: the spans of a command, its event and the event's handlers, printed by
OpenTelemetry's console exporter (or sent over OTLP), and log records that carry their trace
and correlation ids."""
