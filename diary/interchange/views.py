"""Public machine-readable views of a published mission: its JSON and its c3voc schedule."""

from django.http import JsonResponse
from django.middleware.http import ConditionalGetMiddleware
from django.shortcuts import get_object_or_404
from django.utils.decorators import decorator_from_middleware
from django.views.decorators.http import require_safe

from ..models import Mission
from .public_json import mission_document
from .schedule import mission_schedule

# ETag = hash of the body, answered with 304 on a matching If-None-Match: Django's own
# middleware, applied to these views only. The document is built once per request.
conditional_get = decorator_from_middleware(ConditionalGetMiddleware)
READABLE_JSON = {"ensure_ascii": False, "indent": 2}


def _published_mission(slug):
    """Drafts do not exist here, for anyone: these documents are the public record."""
    return get_object_or_404(
        Mission.objects.published().select_related("lead_organisation"), slug=slug
    )


def _published_mission_json(build_document):
    """A view serving build_document(mission, absolute_url) for a published mission."""

    @require_safe
    @conditional_get
    def view(request, slug):
        mission = _published_mission(slug)
        document = build_document(mission, request.build_absolute_uri)
        return JsonResponse(document, json_dumps_params=READABLE_JSON)

    return view


mission_json = _published_mission_json(mission_document)
mission_schedule_json = _published_mission_json(mission_schedule)
