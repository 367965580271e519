"""Input errors, in a module of their own so that light readers need not import pandas to raise them."""


class SourceError(ValueError):
    """An input that cannot be read or is not the CSV we expect; the message names the file."""


class SourceMissing(SourceError):
    """The input does not exist (yet): for a report, a state of its own rather than a crash."""
