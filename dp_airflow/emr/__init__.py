"""EMR requests from Data Pipeline objects: clusters (RunJobFlow) and activity steps (pure data)."""
