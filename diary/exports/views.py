"""
The views serving every public format: `mission_export` for a mission's documents
(`formats.EXPORTERS`), `site_export` for the site-wide ones (`open_data.SITE_EXPORTERS`:
/agreements.csv, /meetings.csv and their CSVW metadata), both through `_serve`, and
`revision_export` for a published revision's frozen JSON; the Atom feeds (`feeds.py`) are
among the mission's and the site's documents.

Decided here once for all of them:
- Visibility: published missions only, for everyone, staff included. A format is the public
  record, read outside the site; drafts are previewed as pages, never exported (404).
- Caching: `public_page(everyone=True)` lets the page cache share the document among all
  readers (it reads no session; staff get the same public record) under the content version, exactly as it does pages: never stale, with its ETag, 304s,
  and HEAD answered with GET's headers.
- Query strings: a mission's formats read none, so any is redirected (301) to the bare
  address; a site document reads its declared filters only, and any other spelling of a
  selection is redirected to its canonical address.
- Readers the page cache does not serve (anyone with a session) still get an ETag — a digest
  of the document — and a 304 when it matches, on GET and HEAD alike.
"""

from django.db.models import F
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.utils.cache import get_conditional_response, set_response_etag
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from ..caching import public_page
from ..models import Mission, Visit
from .feeds import MISSION_FEEDS, SITE_FEEDS, RevisionJsonExporter
from .formats import EXPORTERS, VISIT_EXPORTERS
from .open_data import SITE_EXPORTERS, SITE_PARAMS

# The Atom feeds (feeds.py) are formats like the others, served by the same views.
MISSION_DOCUMENTS = {**EXPORTERS, **MISSION_FEEDS}
SITE_DOCUMENTS = {**SITE_EXPORTERS, **SITE_FEEDS}


@require_safe
@public_page(everyone=True)
def mission_export(request, slug, identifier):
    if request.GET:
        # No format reads a parameter. Sent to the one address the cache keeps, a junk query
        # string cannot make the server build a large document again and again.
        return HttpResponsePermanentRedirect(request.path)
    exporter_class = _exporter_class(MISSION_DOCUMENTS, identifier)
    mission = get_object_or_404(
        Mission.objects.published().select_related("lead_organisation"), slug=slug
    )
    return _serve(request, exporter_class(mission, request.build_absolute_uri))


@require_safe
@public_page(everyone=True, params=SITE_PARAMS)
def site_export(request, identifier):
    """A site-wide document (`scope = "site"`): the published diary as a whole, e.g. a CSV."""
    exporter_class = _exporter_class(SITE_DOCUMENTS, identifier)
    exporter = exporter_class(None, request.build_absolute_uri, request.GET)
    canonical = exporter.canonical_query()
    if canonical is None or request.META.get("QUERY_STRING", "") != canonical:
        # Each selection has one address (its filters in one order): the cache keeps that one
        # and junk or reordered parameters cannot make the server build it again and again.
        canonical = canonical or ""
        return HttpResponsePermanentRedirect(
            f"{request.path}?{canonical}" if canonical else request.path
        )
    return _serve(request, exporter)


@require_safe
@public_page(everyone=True)
def revision_export(request, slug, number):
    """A published mission's revision `number` as it was published: its frozen public JSON."""
    if request.GET:
        return HttpResponsePermanentRedirect(request.path)
    mission = get_object_or_404(Mission.objects.published(), slug=slug)
    revision = get_object_or_404(mission.revisions, number=number)
    return _serve(request, RevisionJsonExporter(mission, request.build_absolute_uri, revision))


@require_safe
@public_page(everyone=True)
def visit_export(request, mission_slug, slug, identifier):
    """
    A document of one visit of a published mission (`scope = "visit"`): the .ics of a dated
    visit. An undated visit has none (404): a calendar event needs a date, never invented.
    """
    if request.GET:
        return HttpResponsePermanentRedirect(request.path)
    exporter_class = _exporter_class(VISIT_EXPORTERS, identifier)
    visit = get_object_or_404(
        # Its day must be its own mission's: a day of another mission is no date of this one.
        Visit.objects.published()
        .filter(day__isnull=False, day__mission=F("mission"))
        .select_related("mission", "day", "place"),
        mission__slug=mission_slug,
        slug=slug,
    )
    visit.day.mission = visit.mission
    exporter = exporter_class(visit.mission, request.build_absolute_uri, visit=visit)
    return _serve(request, exporter)


def _exporter_class(exporters, identifier):
    try:
        return exporters[identifier]
    except KeyError:
        raise Http404(f"No public format {identifier!r}.") from None


def _serve(request, exporter):
    response = HttpResponse(
        exporter.render(),
        content_type=exporter.media_type,
        headers={
            "Content-Disposition": content_disposition_header(
                as_attachment=exporter.as_attachment, filename=exporter.filename
            ),
            **exporter.headers(),
        },
    )
    # Django's ConditionalGetMiddleware does this for GET only; HEAD must carry it too.
    set_response_etag(response)
    return get_conditional_response(request, etag=response["ETag"], response=response)
