"""
The one view serving every public format of a mission (`formats.EXPORTERS`).

Decided here once for all of them:
- Visibility: published missions only, for everyone, staff included. A format is the public
  record, read outside the site; drafts are previewed as pages, never exported (404).
- Caching: `public_page(everyone=True)` lets the page cache share the document among all
  readers (it reads no session; staff get the same public record) under the content version, exactly as it does pages: never stale, with its ETag, 304s,
  and HEAD answered with GET's headers.
- Query strings: none is read, so any is redirected (301) to the bare address.
- Readers the page cache does not serve (anyone with a session) still get an ETag — a digest
  of the document — and a 304 when it matches, on GET and HEAD alike.
"""

from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.utils.cache import get_conditional_response, set_response_etag
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from ..caching import public_page
from ..models import Mission
from .formats import EXPORTERS


@require_safe
@public_page(everyone=True)
def mission_export(request, slug, identifier):
    if request.GET:
        # No format reads a parameter. Sent to the one address the cache keeps, a junk query
        # string cannot make the server build a large document again and again.
        return HttpResponsePermanentRedirect(request.path)
    try:
        exporter_class = EXPORTERS[identifier]
    except KeyError:
        raise Http404(f"No public format {identifier!r}.") from None
    mission = get_object_or_404(
        Mission.objects.published().select_related("lead_organisation"), slug=slug
    )
    exporter = exporter_class(mission, request.build_absolute_uri)
    response = HttpResponse(
        exporter.render(),
        content_type=exporter.media_type,
        headers={
            "Content-Disposition": content_disposition_header(
                as_attachment=exporter.as_attachment, filename=exporter.filename
            )
        },
    )
    # Django's ConditionalGetMiddleware does this for GET only; HEAD must carry it too.
    set_response_etag(response)
    return get_conditional_response(request, etag=response["ETag"], response=response)
