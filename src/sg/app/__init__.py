"""Composition root, public engine facades, configuration and the command line."""
