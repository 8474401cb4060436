"""Attacks on sg from other roles and from untrusted input."""
