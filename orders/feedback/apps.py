from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "orders.feedback"
    label = "feedback"
    verbose_name = "Feedback: receipts, discrepancies, scorecards"
    default_auto_field = "django.db.models.BigAutoField"
