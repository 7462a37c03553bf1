from djangorestframework_camel_case.render import CamelCaseJSONRenderer
from rest_framework.renderers import JSONRenderer


class ProblemJSONRenderer(CamelCaseJSONRenderer):
    """Lets a client that accepts only ``application/problem+json`` still get an answer."""

    media_type = "application/problem+json"
    format = "problem+json"


class CamelCaseReadyJSONRenderer(JSONRenderer):
    """For answers built camelCase already (the changes feed: stored event data is camelCase):
    rendered as they are, without walking every key again through ``camelize``."""


class CamelCaseReadyProblemJSONRenderer(CamelCaseReadyJSONRenderer):
    media_type = "application/problem+json"
    format = "problem+json"


#: ``renderer_classes`` of a view whose answers (and problem details) are camelCase already.
CAMEL_CASE_READY = (CamelCaseReadyJSONRenderer, CamelCaseReadyProblemJSONRenderer)
