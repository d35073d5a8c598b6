"""Stage 2, resolve: ``Default`` and ``parent`` inheritance give each object its effective fields
(``ResolvedObject``).
"""
