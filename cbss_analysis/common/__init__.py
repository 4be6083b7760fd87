"""Conventions written once and used everywhere: argument checks, safe YAML, files, notices, text.

Nothing here knows about surveys, estimates or reports; every layer of the package may use it.
"""
