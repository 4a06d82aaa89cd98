"""Storage layers: git (registry branch) and data (DVC remote)."""
