"""The Python API named in the spec, over the same code the command runs."""

from __future__ import annotations

from pathlib import Path

from tokopt_pipeline.lib import outputs
from tokopt_pipeline.lib.engine.render import Summary
from tokopt_pipeline.lib.engine.summarize import summarize
from tokopt_pipeline.lib.settings import layers as settings
from tokopt_pipeline.lib.settings.options import DEFAULT_TOKEN_BUDGET, SummaryOptions


def _get(args, name, default=None):
    if isinstance(args, dict):
        return args.get(name, default)
    return getattr(args, name, default)


def options_from(args) -> SummaryOptions:
    """SummaryOptions from an argparse-like object or a dict (missing keys: defaults),
    with the command's layering: a ``preset`` and an ``optimization_profile`` (from
    ``custom_profile_path``) fill in what ``args`` does not give."""
    merged, _ = settings.layered(args)
    extra = {k: _get(args, k) for k in settings.RUN_SETTINGS}
    return settings.summary_options({**extra, **merged})


def process_logs(args) -> tuple[Summary, Path]:
    """Summarize ``args.log_file`` into ``args.output_dir``; return ``(summary, path)``.

    ``args`` is any object with the command's option names as attributes (or a dict):
    ``log_file``, ``output_dir`` (default ``./logs``), ``max_log_size`` (MB, default 5),
    ``max_logs`` (default 10), ``token_budget`` (default 76659), and optionally
    ``format``, ``profile``, ``priority_filter``, ``token_buffer``.

    Raises:
        TokoptError subclasses with a message and the command's exit code.
    """
    log_file = _get(args, "log_file") or "test_output.log"
    opts = options_from(args)
    output_dir = _get(args, "output_dir", "./logs") or "./logs"
    summary = summarize(str(log_file), opts)
    path = outputs.summary_path(output_dir, str(log_file), opts.fmt)
    outputs.atomic_write_text(path, summary.text)
    outputs.record_outputs(output_dir, [path])
    outputs.rotate(output_dir, int(_get(args, "max_logs", 10) or 10), float(_get(args, "max_log_size", 5) or 5), keep=path)
    return summary, path


def _store_of(args):
    from tokopt_pipeline.lib.store.db import Store

    return Store.from_env(_get(args, "store_path"))


def store_in_memory(summary: Summary, log_path, args=None):
    """Record a summarized run in the memory and mark its summary (the spec's
    ``store_in_memory``).

    Errors never seen in an earlier run are marked **new** and tests found flaky
    ``[flaky]``; what the suite's last passing run had too is demoted (unless
    ``no_baseline``), and a passing run leaves its own baseline; when ``log_path`` is the summary file :func:`process_logs` wrote, it is
    rewritten with the marks. ``args`` may give ``suite``, ``commit``, ``store_path``
    and the summary options (``token_budget``, ``format``, ...).

    Returns:
        ``(summary, info)``: the marked summary and a dict with ``run_id``, ``suite``,
        ``commit``, ``new_errors``, ``flaky_tests`` and ``status`` (``"applied"``, or
        the pending file when the store was busy).

    Example:
        summary, path = process_logs(args)
        summary, info = store_in_memory(summary, path, args)
    """
    from tokopt_pipeline.lib import memory
    from tokopt_pipeline.lib.engine.render import summarize_analysis
    from tokopt_pipeline.lib.outputs import atomic_write_text

    args = args or {}
    a = summary.analysis
    summary_file = Path(log_path) if log_path is not None and str(log_path) != str(a.source) else None
    marker = memory.Marker(_store_of(args), suite=_get(args, "suite"), commit=_get(args, "commit"),
                           use_baseline=not _get(args, "no_baseline"))
    had_baseline = bool(a.baseline)
    marker(a)
    marks = marker.marks
    demoted = bool(a.baseline) and not had_baseline
    if marks and (marks.new_errors or marks.new_tests or marks.flaky_tests or demoted) and not hasattr(summary, "components"):
        # The summary was rendered before the memory was asked: render it again, marked.
        summary = summarize_analysis(a, options_from(args))
        if summary_file is not None and summary_file.is_file():
            atomic_write_text(summary_file, summary.text)
    status = marker.record(summary_path=summary_file)
    run = marker.run
    return summary, {
        "run_id": run.run_id, "suite": run.suite, "commit": run.commit, "status": status,
        "new_errors": [g.key for g in summary.analysis.groups.values() if g.new],
        "flaky_tests": sorted(t.test_id for t in summary.analysis.tests.values() if t.flaky),
    }


def track_token_usage(log_path, args=None, summary: Summary | None = None) -> dict:
    """Record a run's token usage (the spec's ``track_token_usage``) and mail any
    threshold alert it raises when monitoring is on.

    ``log_path`` is the summary file :func:`process_logs` returned (its tokens are
    counted exactly, and ``args.log_file`` gives the tokens in) or, with ``summary``,
    any path to label the record with. ``args`` may give ``suite`` (the component),
    ``token_budget``, ``alert_email`` and ``store_path``.

    Returns:
        the stored record (tokens in/out, budget, reduction, budget use) plus
        ``status`` and ``alerts_sent``.
    """
    from tokopt_pipeline.lib import memory
    from tokopt_pipeline.lib.engine import tokens
    from tokopt_pipeline.lib.usage import alerts
    from tokopt_pipeline.lib.usage import ledger as usage

    args = args or {}
    if summary is None:
        text = Path(log_path).read_text(encoding="utf-8")
        source = str(_get(args, "log_file") or log_path)
        budget = int(_get(args, "token_budget", DEFAULT_TOKEN_BUDGET) or DEFAULT_TOKEN_BUDGET)
        tokens_out = tokens.count(text)
        if source != str(log_path) and Path(source).is_file():
            from tokopt_pipeline.lib.engine.analysis import analyze

            a = analyze(source, options_from(args))
            tin, exact, profile = a.tokens_in, a.tokens_in_exact, a.profile
        else:
            tin, exact, profile = tokens_out, True, ""

        from types import SimpleNamespace

        fig = SimpleNamespace(
            tokens_in=tin, tokens_in_exact=exact, tokens_out=tokens_out, budget=budget, shown={},
            reduction_pct=round(100.0 * (1 - tokens_out / tin), 2) if tin else 0.0,
            budget_pct=round(100.0 * tokens_out / budget, 2) if budget else 0.0,
        )
        summary_like, label = fig, source
    else:
        summary_like, label, profile = summary, summary.analysis.source, summary.analysis.profile
    from tokopt_pipeline.lib.engine.priority import UsageError

    try:  # checked before anything is stored: a bad value is refused, never kept
        if _get(args, "suite"):
            alerts.check_label(str(_get(args, "suite")), "suite")
        if _get(args, "alert_email"):
            alerts.check_address(str(_get(args, "alert_email")), "alert_email")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    component = _get(args, "suite") or alerts.escape_label(memory.derive_suite(label, profile))
    store = _store_of(args)
    payload = usage.usage_payload(summary_like, label, component)
    status = store.write("usage_record", payload)
    sent = 0
    try:
        sent = alerts.deliver_pending(store, None, default_to=_get(args, "alert_email"))
    except alerts.AlertError:
        pass  # kept pending; --check-usage shows it
    payload.update(status=status, alerts_sent=sent)
    return payload
