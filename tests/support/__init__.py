"""Helpers shared by sg's test suites."""
