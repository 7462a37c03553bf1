from django.core.management.base import BaseCommand

from inventory.services import reconcile


def _describe(row: dict) -> str:
    if row["check"] == "ledger":
        return (f"lot {row['lot_id']} ({row['supplier']}/{row['product']} {row['warehouse']} {row['batch']}): "
                f"on hand {row['on_hand']} vs ledger {row['ledger_on_hand']}, reserved {row['reserved']} vs "
                f"ledger {row['ledger_reserved']}, held {row['quarantined']} vs ledger {row['ledger_quarantined']}")
    if row["check"] == "holds":
        return (f"lot {row['lot_id']} ({row['supplier']}/{row['product']} {row['warehouse']} {row['batch']}): "
                f"reserved {row['reserved']} but reservations hold {row['held_by_reservations']}")
    return (f"lot {row['lot_id']}, holder {row['reservation_id']}: holds {row['held']} but its ledger rows "
            f"reserved {row['ledger_reserved']}")


class Command(BaseCommand):
    help = ("Prove every lot from the ledger and every reserved unit from its holder's holds; report any "
            "difference by lot and holder (exit 1 if there is any).")

    def handle(self, *args, **opts):
        drift = reconcile()
        if not drift:
            self.stdout.write(self.style.SUCCESS(
                "No drift: every lot matches its ledger and every reserved unit its holder."))
            return
        for row in drift:
            self.stdout.write(self.style.ERROR(_describe(row)))
        raise SystemExit(1)
