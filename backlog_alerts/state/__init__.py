"""The alert state: the ledger of what each topic heard, where it lives, and how it is kept whole."""
