"""The Python API: Model, decorators, save/load/link functions, Client, step context."""
