"""Step 3: the report's counts against the rules, and the alerts published once per fact."""
