"""Factories and helpers for the test suite (each test builds the data it needs)."""
