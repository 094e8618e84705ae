"""The use cases. Each public method owns exactly one transaction."""
