"""Registry operations over the git and data stores."""
