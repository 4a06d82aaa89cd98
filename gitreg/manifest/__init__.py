"""Schemas and paths of the files on the registry branch, and their YAML form."""
