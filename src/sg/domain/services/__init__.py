"""Domain services: change tracking, commits, objects, transfer and versions over the ports."""
