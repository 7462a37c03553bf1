import re
import uuid

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

# A client's id is echoed only if it is safe to put back in a header and in logs.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def _request_id(request) -> str:
    incoming = request.headers.get("X-Request-Id", "")
    return incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex


class RequestIdMiddleware:
    """Gives every request an id (the client's own when it sent one) and echoes it back."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        request.request_id = _request_id(request)
        response = self.get_response(request)
        response["X-Request-Id"] = request.request_id
        return response

    async def __acall__(self, request):
        request.request_id = _request_id(request)
        response = await self.get_response(request)
        response["X-Request-Id"] = request.request_id
        return response
