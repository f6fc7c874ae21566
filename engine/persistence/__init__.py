"""Persistence: SQLAlchemy 2 tables, repositories and the unit of work. The only package that imports SQLAlchemy."""
