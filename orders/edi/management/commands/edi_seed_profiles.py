"""Sandbox X12 profiles: every supplier and retail partner gets qualifier ZZ and its own code as ISA and GS id."""

from django.core.management.base import BaseCommand

from orders.edi import services
from partners.models import RetailPartner, Supplier


class Command(BaseCommand):
    help = "Create the sandbox's trading-partner profiles (ZZ / partner code) where missing."

    def handle(self, *args, **opts):
        count = 0
        for supplier in Supplier.objects.all():
            services.profile_ensure(supplier=supplier)
            count += 1
        for retailer in RetailPartner.objects.all():
            services.profile_ensure(retail_partner=retailer)
            count += 1
        self.stdout.write(f"X12 profiles: {count} partners (qualifier ZZ, id = partner code).")
