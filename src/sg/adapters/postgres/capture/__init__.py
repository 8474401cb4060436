"""The change-capture port over statement-level audit triggers and change logs."""
