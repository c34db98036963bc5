"""Use cases in plain async Python (no Discord imports): one user action, one transaction."""
