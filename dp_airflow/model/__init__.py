"""Stage 3, the typed model: one pydantic class per Data Pipeline type, their slots, and the
registry entry of each type (``registry.REGISTRY``).
"""
