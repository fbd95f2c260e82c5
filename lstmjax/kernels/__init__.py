"""Fast paths behind the public API: the same functions, faster implementations."""
