"""
The one interface every public format implements (after pretalx's `BaseExporter`).

An exporter turns one published mission — or, for a site-wide document (`scope = "site"`),
the whole published diary — into one document. It knows what the document is
called (identifier, file name), what it is (media type) and how to build it; it knows
nothing of HTTP, caching or who asks: the one view in `diary/exports/views.py` decides those
once for every format.
"""


class BaseExporter:
    #: Names the format in URLs and code: "ics", "json", "schedule".
    identifier: str = ""
    #: "mission": a document of one published mission (`mission` is set). "site": a document
    #: of the whole published diary (`mission` is None), e.g. /agreements.csv. "visit": a
    #: document of one visit of a published mission (`mission` and `visit` are set), e.g. the
    #: .ics of one dated visit, to add to a calendar.
    scope: str = "mission"
    #: The query parameters the document reads (a site document's filters), in the one order
    #: its addresses write them; any other query string is redirected (see views.py).
    params: tuple = ()
    #: The Content-Type of the document.
    media_type: str = ""
    #: The file name's ending after the mission's slug: ".ics", "-schedule.json". A site
    #: document's file name is its identifier, which is also its address: "agreements.csv".
    filename_suffix: str = ""
    #: Offer the document as a download (a calendar file) rather than to show it inline.
    as_attachment: bool = False

    def __init__(self, mission, absolute_url, query=None, *, visit=None):
        """
        `absolute_url` turns a path into a full URL (request.build_absolute_uri); `query`
        holds the declared `params` of the request (a QueryDict), for site documents;
        `visit`, the visit of a visit document.
        """
        self.mission = mission
        self.absolute_url = absolute_url
        self.query = query if query is not None else {}
        self.visit = visit

    @property
    def filename(self) -> str:
        if self.mission is None:
            return self.identifier
        if self.visit is not None:
            return f"{self.mission.slug}-{self.visit.slug}{self.filename_suffix}"
        return f"{self.mission.slug}{self.filename_suffix}"

    def headers(self) -> dict:
        """HTTP headers the document comes with besides its type and file name."""
        return {}

    def canonical_query(self) -> str | None:
        """The query string of the one address of this selection, or None if it has none."""
        return "" if not self.params else None

    def render(self) -> bytes:
        """The document. Nothing in it may depend on the time of the request or the reader."""
        raise NotImplementedError
