from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hotsauce.api.fields import DATETIME_INPUT_FORMATS, StrictSerializer

# What webhooks.services accepts before it resolves the host: an absolute http(s) URL.
URL_SCHEMA = {"type": "string", "maxLength": 2000,
              "pattern": r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#@\x00-\x1F\x7F]+(/[^\s\x00-\x1F\x7F]*)?$"}


@extend_schema_field(URL_SCHEMA)
class ReceiverUrlField(serializers.CharField):
    pass


class EndpointCreateSerializer(StrictSerializer):
    url = ReceiverUrlField(max_length=2000)
    event_types = serializers.ListField(child=serializers.CharField(max_length=64), allow_empty=False,
                                        max_length=50, required=False, default=["*"],
                                        help_text='Event types to receive; ["*"] (the default) for all.')
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class EndpointUpdateSerializer(StrictSerializer):
    url = ReceiverUrlField(max_length=2000, required=False)
    event_types = serializers.ListField(child=serializers.CharField(max_length=64), allow_empty=False,
                                        max_length=50, required=False)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False)


class RecoverSerializer(StrictSerializer):
    since = serializers.DateTimeField(input_formats=DATETIME_INPUT_FORMATS)


class EndpointSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    url = serializers.CharField()
    event_types = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField()
    enabled = serializers.BooleanField()
    disabled_reason = serializers.CharField()
    disabled_at = serializers.DateTimeField(allow_null=True)
    failing_since = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class EndpointWithSecretSerializer(EndpointSerializer):
    """Only the create and rotate responses carry the secret."""

    secret = serializers.CharField()
    previous_secret_expires_at = serializers.DateTimeField(allow_null=True)


class DeliverySerializer(serializers.Serializer):
    """A delivery (one event owed to one endpoint), as the /test response shows it."""

    id = serializers.IntegerField()
    event_id = serializers.CharField(source="event.event_id")
    event_type = serializers.CharField(source="event.type")
    sequence = serializers.IntegerField(source="event.sequence")
    status = serializers.CharField(source="state")
    attempt_count = serializers.IntegerField(source="attempts")
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class DeliveryAttemptSerializer(serializers.Serializer):
    """One row of /deliveries: one HTTP attempt, with the delivery it belongs to."""

    id = serializers.IntegerField()
    delivery_id = serializers.IntegerField()
    event_id = serializers.CharField(source="delivery.event.event_id", help_text="Also the webhook-id header.")
    event_type = serializers.CharField(source="delivery.event.type")
    sequence = serializers.IntegerField(source="delivery.event.sequence")
    attempt = serializers.IntegerField(source="number")
    attempted_at = serializers.DateTimeField()
    status = serializers.SerializerMethodField()
    status_code = serializers.IntegerField(allow_null=True)
    latency_ms = serializers.IntegerField(allow_null=True)
    error = serializers.CharField()
    response_body = serializers.CharField()
    delivery_status = serializers.CharField(source="delivery.state")
    next_attempt_at = serializers.DateTimeField(source="delivery.next_attempt_at", allow_null=True)

    def get_status(self, attempt) -> str:
        return "succeeded" if attempt.success else "failed"


@extend_schema_field({"$ref": "#/components/schemas/EventEnvelope"})  # webhooks/schema.py
class EnvelopeField(serializers.DictField):
    pass


class EventFeedSerializer(serializers.Serializer):
    """Schema only: the feed returns envelopes of API-CONTRACT.md 5.1."""

    results = serializers.ListField(child=EnvelopeField())
    next_after = serializers.IntegerField()
    has_more = serializers.BooleanField()
