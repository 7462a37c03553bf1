import json

from djangorestframework_camel_case.settings import api_settings
from rest_framework.renderers import JSONRenderer

from hotsauce.api.camel import camelize


class CamelCaseJSONRenderer(JSONRenderer):
    """camelCase keys (``hotsauce.api.camel``: the library's renderer, its key conversion remembered)."""

    ignore_fields = tuple(api_settings.JSON_UNDERSCOREIZE.get("ignore_fields") or ())

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return super().render(camelize(data, self.ignore_fields), accepted_media_type, renderer_context)


class ProblemJSONRenderer(CamelCaseJSONRenderer):
    """Lets a client that accepts only ``application/problem+json`` still get an answer."""

    media_type = "application/problem+json"
    format = "problem+json"


class RenderedJSON(str):
    """A value that is JSON text already (an event envelope read from storage as text):
    ``CamelCaseReadyJSONRenderer`` writes it as it is, inside the list that holds it."""


class CamelCaseReadyJSONRenderer(JSONRenderer):
    """For answers built camelCase already (the changes feed: stored event data is camelCase):
    rendered as they are, without walking every key again through ``camelize``. A top-level list
    of ``RenderedJSON`` is spliced in as text, not encoded again."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if not isinstance(data, dict) or not any(_rendered(value) for value in data.values()):
            return super().render(data, accepted_media_type, renderer_context)
        parts = []
        for key, value in data.items():
            text = ("[" + ",".join(value) + "]") if _rendered(value) else \
                super().render(value, accepted_media_type, renderer_context).decode()
            parts.append(f"{json.dumps(key)}:{text}")
        return ("{" + ",".join(parts) + "}").encode()


def _rendered(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, RenderedJSON) for item in value)


class CamelCaseReadyProblemJSONRenderer(CamelCaseReadyJSONRenderer):
    media_type = "application/problem+json"
    format = "problem+json"


#: ``renderer_classes`` of a view whose answers (and problem details) are camelCase already.
CAMEL_CASE_READY = (CamelCaseReadyJSONRenderer, CamelCaseReadyProblemJSONRenderer)
