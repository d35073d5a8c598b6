"""What a task needs at run time from its pipeline, independent of the operator type."""
