"""Token validation for CI: :mod:`.validate` (count files against a budget, the
report) and :mod:`.badge` (the token-efficiency badge)."""
