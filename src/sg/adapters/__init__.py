"""Adapters: implementations of sg's ports."""
