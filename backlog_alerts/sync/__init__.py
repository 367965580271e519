"""Steps 1 and 2: one SNS topic per department, and its subscriptions kept in step with the contacts file."""
