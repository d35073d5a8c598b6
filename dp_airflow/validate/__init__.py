"""Stage 4, validate: every rule over a resolved definition, every diagnostic collected with its
place.
"""
