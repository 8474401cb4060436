"""In-memory fakes of sg's ports, shared by the unit and contract tests."""
