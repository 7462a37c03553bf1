from djangorestframework_camel_case.render import CamelCaseJSONRenderer


class ProblemJSONRenderer(CamelCaseJSONRenderer):
    """Lets a client that accepts only ``application/problem+json`` still get an answer."""

    media_type = "application/problem+json"
    format = "problem+json"
