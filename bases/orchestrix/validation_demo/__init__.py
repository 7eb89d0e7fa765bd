"""Validation demo: bad input is refused with a typed error naming the field and the value,
and nothing is written."""
