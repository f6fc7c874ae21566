"""Test support shared by the test suite and the benchmark: a throwaway PostgreSQL server, fresh databases."""
