from django.core.management.base import BaseCommand

from inventory.services.reconcile import reconcile


class Command(BaseCommand):
    help = "Recompute every lot from the ledger and report any drift (exit 1 if there is any)."

    def handle(self, *args, **opts):
        drift = reconcile()
        if not drift:
            self.stdout.write(self.style.SUCCESS("No drift: every lot matches its ledger."))
            return
        for row in drift:
            self.stdout.write(self.style.ERROR(
                f"lot {row['lot_id']} ({row['supplier']}/{row['product']} {row['warehouse']} {row['batch']}): "
                f"on hand {row['on_hand']} vs ledger {row['ledger_on_hand']}, reserved {row['reserved']} vs "
                f"ledger {row['ledger_reserved']}, held {row['quarantined']} vs ledger {row['ledger_quarantined']}"))
        raise SystemExit(1)
