import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from hotsauce.settings import VAR_DIR


class Command(BaseCommand):
    help = "Create the sandbox staff superuser 'admin' once and print its credentials."

    def handle(self, *args, **opts):
        user_model = get_user_model()
        stored = VAR_DIR / "admin-password.txt"
        user = user_model.objects.filter(username="admin").first()
        if user is None:
            password = secrets.token_urlsafe(12)
            user_model.objects.create_superuser("admin", "admin@hotsauce.example", password)
            stored.write_text(password)
        password = stored.read_text().strip() if stored.exists() else "(unchanged; see var/admin-password.txt)"
        self.stdout.write(f"  Admin login: admin / {password}")
