"""
The one interface every public format implements (after pretalx's `BaseExporter`).

An exporter turns one published mission into one document. It knows what the document is
called (identifier, file name), what it is (media type) and how to build it; it knows
nothing of HTTP, caching or who asks: the one view in `diary/exports/views.py` decides those
once for every format.
"""


class BaseExporter:
    #: Names the format in URLs and code: "ics", "json", "schedule".
    identifier: str = ""
    #: The Content-Type of the document.
    media_type: str = ""
    #: The file name's ending after the mission's slug: ".ics", "-schedule.json".
    filename_suffix: str = ""
    #: Offer the document as a download (a calendar file) rather than to show it inline.
    as_attachment: bool = False

    def __init__(self, mission, absolute_url):
        """`absolute_url` turns a path into a full URL (request.build_absolute_uri)."""
        self.mission = mission
        self.absolute_url = absolute_url

    @property
    def filename(self) -> str:
        return f"{self.mission.slug}{self.filename_suffix}"

    def render(self) -> bytes:
        """The document. Nothing in it may depend on the time of the request or the reader."""
        raise NotImplementedError
