"""The learnings in content/: parsing, validation and sync into the database."""
