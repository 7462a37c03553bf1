import json

from django.core.management.base import BaseCommand, CommandError

from hotsauce.errors import ApplicationError
from partners.services import api_client_create


class Command(BaseCommand):
    help = "Create an API client and print its credentials (shown this once) as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--kind", required=True, choices=["supplier", "retailer", "brand"])
        parser.add_argument("--partner", help="supplierId or retailPartnerId the client acts for")
        parser.add_argument("--scopes", help='space-separated, e.g. "inventory:read orders:write"')
        parser.add_argument("--api-key", action="store_true", help="issue an API key instead of a client secret")
        parser.add_argument("--allowed-ips", default="", help="comma-separated CIDRs")
        parser.add_argument("--name", default="")

    def handle(self, *args, **opts):
        try:
            _client, creds = api_client_create(
                kind=opts["kind"], partner_code=opts["partner"],
                scopes=opts["scopes"].split() if opts["scopes"] else None, name=opts["name"],
                with_api_key=opts["api_key"], allowed_ips=opts["allowed_ips"])
        except ApplicationError as exc:
            raise CommandError(exc.detail) from None
        self.stdout.write(json.dumps(creds, indent=2))
