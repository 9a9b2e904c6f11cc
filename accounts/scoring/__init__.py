"""The key-account scoring engine (DESIGN §5, policy kas-v1)."""
