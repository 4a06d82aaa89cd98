"""ZenML-compatible module paths: `gitreg.artifacts.utils`, `gitreg.artifacts.artifact_config`."""
