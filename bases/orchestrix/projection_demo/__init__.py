"""Projection demo: a read model that catches up, follows new events, is rebuilt, and is
replaced by a new version blue/green, with the lag shown at each step."""
