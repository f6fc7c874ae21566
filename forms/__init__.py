"""Marshmallow forms: the application (start form) and the clerks' user-task forms."""
