"""Tests of the pure rules: money, working days, subsidy arithmetic."""
