"""Assignment specs shipped with the harness (TOML files, read as package data)."""
