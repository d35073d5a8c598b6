"""Stage 1, read: a definition file (CLI JSON, API JSON, CloudFormation, YAML) and its parameters
and values files become a ``RawDefinition`` whose every object, field and value keeps its place
in the file.
"""
