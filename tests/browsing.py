"""
The site as a browser sees it: its public pages, its admin addresses, and its forms read out
of the HTML the way a browser would submit them (to post them back edited).
"""

from html.parser import HTMLParser

from django.urls import reverse

from diary.models import (
    Agreement,
    CooperationArea,
    Day,
    Mission,
    Organisation,
    Person,
    Source,
    Visit,
)

DIARY_MODELS = [Mission, Day, Visit, Organisation, Person, Agreement, CooperationArea, Source]


def admin_url(model, action, *args):
    return reverse(f"admin:diary_{model._meta.model_name}_{action}", args=args)


# A page of each kind the demo mission has, in English (tests/test_public.py, test_browser.py).
DEMO_PAGES = [
    "/",
    "/missions/japan-2024/",
    "/missions/japan-2024/2024-06-11/",
    "/missions/japan-2024/visits/tansa-x-sagamihara/",
    "/missions/japan-2024/updates/",
    "/organisations/jaxa/",
    "/people/hiroshi-yamakawa/",
    "/organisations/",
    "/people/",
    "/agreements/",
    "/agreements/luxprovide-jaxa-loi/",
    "/sources/5e8127f6-d6a4-4a50-8e49-a22c118f5b5e/",
]


def html_of(client, url):
    """The page at `url` as `client` reads it, which must be there (200)."""
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def public_pages():
    """Every page an anonymous visitor can reach from the published missions."""
    pages = [
        "/",
        reverse("diary:agreements"),
        reverse("diary:organisations"),
        reverse("diary:people"),
    ]
    for queryset in (
        Mission.objects.published(),
        Day.objects.published().select_related("mission"),
        Visit.objects.published().select_related("mission"),
        Organisation.objects.published(),
        Person.objects.published(),
        Agreement.objects.published(),
        Source.objects.published(),
    ):
        pages += [obj.get_absolute_url() for obj in queryset]
    pages += [
        reverse("diary:mission_updates", kwargs={"slug": mission.slug})
        for mission in Mission.objects.published()
    ]
    return pages


class _FormReader(HTMLParser):
    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields = {}
        self._select = None
        self._textarea = None

    def _add(self, name, value):
        self.fields.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
        if not self.inside or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self._add(name, attrs.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select" and name:
            self._select = name
            self.fields.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in attrs:
            self._add(self._select, attrs.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self._add(name, "")

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            # Browsers drop the newline right after <textarea>, which Django's widget writes.
            value = self.fields[self._textarea][-1]
            self.fields[self._textarea][-1] = value.removeprefix("\r\n").removeprefix("\n")
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea][-1] += data


def read_form(html, form_id):
    """{name: [values]} as the browser would send the form with that id, unedited."""
    reader = _FormReader(form_id)
    reader.feed(html)
    if not reader.fields:
        raise ValueError(f"No form with id {form_id!r} and fields in the page")
    return {name: values for name, values in reader.fields.items() if values}


def single_values(fields):
    """Flatten one-valued fields so a test can say data["summary"] = "…"."""
    return {name: values[0] if len(values) == 1 else values for name, values in fields.items()}
