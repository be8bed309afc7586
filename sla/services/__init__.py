"""Writes of the SLA app: ``policies``, ``clocks`` (the reactions' work) and ``monitor``."""
