"""Databases, SQL scripts and record formats for the SQL and copy activities."""
