"""What Nexus tells its operators beyond logs: Prometheus metrics and Sentry error reports.

Both are opt-in. Metrics (METRICS_PORT) are counted per interaction by a `Span` that follows it
from delivery to the end of its handling, and read from the bot's state when Prometheus
scrapes; error reports (SENTRY_DSN) leave scrubbed of the token and of what members wrote.
The Prometheus and Sentry libraries are imported by the modules that use them
(`bot.telemetry.metrics`, `.server`, `.reporting`), so a bot with both off loads neither.
"""

from bot.telemetry.interactions import ERROR, OUTCOMES, REFUSED, Span, current_span

__all__ = ["ERROR", "OUTCOMES", "REFUSED", "Span", "current_span"]
