from datetime import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from hotsauce.jobs import duration_text, job_report


def _ago(now: datetime, moment: datetime | None) -> str:
    return "never" if moment is None else f"{duration_text(now - moment)} ago"


class Command(BaseCommand):
    help = ("List every periodic job with its period and last success; exit 1 if any is overdue (its last "
            "success, or its first tracking when it never succeeded, is older than twice its period).")

    def handle(self, *args, **opts):
        now = timezone.now()
        report = job_report(now=now)
        width = max((len(status.name) for status in report), default=3)
        self.stdout.write(f"{'job':<{width}}  {'every':>7}  {'last success':<14}  state")
        for status in report:
            line = (f"{status.name:<{width}}  {status.every:>7}  {_ago(now, status.last_success):<14}  "
                    f"{'OVERDUE' if status.overdue else 'ok'}")
            if status.failing:
                line += f"  (failed {_ago(now, status.last_failure)}: {status.last_error})"
            self.stdout.write(self.style.ERROR(line) if status.overdue else line)
        overdue = [status.name for status in report if status.overdue]
        if overdue:
            self.stderr.write(f"{len(overdue)} overdue: {', '.join(overdue)}")
            raise SystemExit(1)
