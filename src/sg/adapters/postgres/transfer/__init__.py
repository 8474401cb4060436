"""The object-transport port as a client-side binary COPY pipe."""
