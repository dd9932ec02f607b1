"""Pure domain rules with no Django import: USCC, money, working days, subsidy arithmetic."""
