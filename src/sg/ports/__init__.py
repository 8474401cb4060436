"""Ports: the typing.Protocol interfaces that sg's services and facades depend on."""
