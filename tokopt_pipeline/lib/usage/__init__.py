"""Token usage and its alerts: :mod:`.ledger` (usage records and reports),
:mod:`.thresholds` (when use is a warning or critical), :mod:`.alerts` (mail) and
:mod:`.report_html` (the static report)."""
