"""Bad input: random addresses, script in staff text, and requests far too large."""

import datetime
from urllib.parse import quote, unquote_plus, urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diary.models import (
    Mission,
    Organisation,
)
from diary.models.base import SUMMARY_MAX_LENGTH

from .browsing import DIARY_MODELS as MODELS
from .browsing import public_pages, read_form, single_values

pytestmark = pytest.mark.django_db

# The requests are read-only, so one demo + draft world serves every generated example.
FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# What a draft world holds that no anonymous visitor may ever read.
DRAFT_MARKERS = [
    "Secret mission",
    "Secret day",
    "Secret visit",
    "Secret agreement",
    "Hidden Partner",
    "Hidden Person",
]
DRAFT_SLUGS = [
    "secret-mission",
    "secret-visit",
    "secret-agreement",
    "hidden-partner",
    "hidden-person",
]
REAL_SLUGS = ["japan-2024", "ispace", "jaxa", "lsa"]

any_text = st.text(st.characters(codec="utf-8"), max_size=30)
slugs = st.one_of(
    st.sampled_from(DRAFT_SLUGS + REAL_SLUGS),
    st.from_regex(r"[-a-zA-Z0-9_]{1,50}", fullmatch=True),
    any_text.filter(bool),
)
dates = st.one_of(
    st.dates().map(datetime.date.isoformat),
    st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True),  # 2024-02-30, 0000-99-99
    any_text,
)
query_strings = st.one_of(
    st.dictionaries(any_text, any_text, max_size=3).map(urlencode),
    any_text.map(lambda text: quote(text, safe="=&")),
)


def segment(text):
    return quote(text, safe="")


ROUTES = [
    lambda a, b, d: "/",
    lambda a, b, d: "/agreements/",
    lambda a, b, d: f"/missions/{segment(a)}/",
    lambda a, b, d: f"/missions/{segment(a)}/{segment(d)}/",
    lambda a, b, d: f"/missions/secret-mission/{segment(d)}/",
    lambda a, b, d: f"/missions/{segment(a)}/visits/{segment(b)}/",
    lambda a, b, d: f"/organisations/{segment(a)}/",
    lambda a, b, d: f"/people/{segment(a)}/",
    lambda a, b, d: f"/agreements/{segment(a)}/",
    lambda a, b, d: f"/missions/{segment(a)}.ics",
    lambda a, b, d: f"/missions/{segment(a)}/visits/{segment(b)}.ics",
    lambda a, b, d: f"/missions/secret-mission/visits/{segment(b)}.ics",
    lambda a, b, d: f"/organisations/?{urlencode({'page': a})}",
    lambda a, b, d: f"/people/?{urlencode({'page': b})}",
    lambda a, b, d: f"/search/?{urlencode({'q': a})}",
    lambda a, b, d: f"/search/?{urlencode({'q': b, 'mission': a, 'date': d})}",
]


# Where a draft would be linked from a page or a search result.
DRAFT_LINKS = [
    "/missions/secret-mission/",
    "/organisations/hidden-partner/",
    "/people/hidden-person/",
    "/agreements/secret-agreement/",
]


def assert_safe_answer(response, asked=""):
    """Never a crash, never a draft; what the visitor typed may be echoed back (search)."""
    # 400 is the search form naming what is wrong with its input.
    assert response.status_code in (200, 301, 302, 400, 404), response.status_code
    html = response.content.decode()
    for marker in DRAFT_MARKERS:
        if marker.lower() not in asked.lower():
            assert marker not in html
    for link in DRAFT_LINKS:
        assert f'href="{link}' not in html


@pytest.fixture
def demo_and_drafts(demo, draft_world):
    return demo, draft_world


@FUZZ
@given(route=st.sampled_from(ROUTES), slug=slugs, other_slug=slugs, date=dates, query=query_strings)
def test_random_addresses_on_every_public_route_never_crash_or_show_a_draft(
    client, demo_and_drafts, route, slug, other_slug, date, query
):
    path = route(slug, other_slug, date)
    separator = "&" if "?" in path else "?"
    url = f"{path}{separator}{query}" if query else path
    assert_safe_answer(client.get(url), asked=unquote_plus(url))


@FUZZ
@given(segments=st.lists(any_text, min_size=1, max_size=4), query=query_strings)
def test_random_path_segments_never_crash_or_show_a_draft(client, demo_and_drafts, segments, query):
    path = "/" + "/".join(segment(part) for part in segments)
    assert_safe_answer(client.get(path, QUERY_STRING=query), asked=unquote_plus(f"{path}?{query}"))


@FUZZ
@given(
    words=st.lists(
        st.sampled_from(["Secret", "Hidden", "secret", "mission", "visit"]) | any_text,
        min_size=1,
        max_size=3,
    )
)
def test_searching_for_draft_words_finds_no_draft(client, demo_and_drafts, words):
    query = " ".join(words)
    assert_safe_answer(client.get("/search/", {"q": query}), asked=query)


def test_a_search_for_markup_shows_it_as_text(client, demo):
    response = client.get(
        "/search/", {"q": '<script>alert(1)</script>"><img src=x onerror=alert(1)>'}
    )
    html = response.content.decode()
    assert "<script>alert" not in html
    assert "<img src=x" not in html


@pytest.mark.parametrize("slug", DRAFT_SLUGS)
def test_a_draft_by_its_exact_address_is_not_found(client, draft_world, slug):
    for prefix in ("/missions/", "/organisations/", "/people/", "/agreements/"):
        assert_safe_answer(client.get(f"{prefix}{slug}/"))
    assert client.get("/missions/secret-mission.ics").status_code == 404
    assert client.get("/missions/secret-mission/visits/secret-visit/").status_code == 404


# --- Script in staff text ------------------------------------------------------------------

# Fields whose values are checked or constrained elsewhere: slugs and URLs are validated,
# the timezone must name a real zone, choices are fixed.
NOT_FREE_TEXT = {"slug", "timezone", "uuid"}


def script_payload(model, field):
    return f'<script>alert("{model.__name__}.{field.name}")</script><img src=x onerror=alert(1)>'


def free_text_fields(model):
    for field in model._meta.concrete_fields:
        if (
            isinstance(field, models.CharField | models.TextField)
            and not isinstance(field, models.SlugField | models.URLField)
            and not field.choices
            and field.name not in NOT_FREE_TEXT
        ):
            yield field


def test_script_in_every_text_field_is_shown_as_text_never_run(client, demo):
    written = {}
    for model in MODELS:
        for field in free_text_fields(model):
            payload = script_payload(model, field)
            for pk in model.objects.values_list("pk", flat=True):
                # The record's id keeps unique fields (an area's name) unique.
                value = f"{payload}{pk}"[: field.max_length]
                model.objects.filter(pk=pk).update(**{field.name: value})
            written[f"{model.__name__}.{field.name}"] = payload

    seen_escaped = set()
    for path in [*public_pages(), "/search/?q=alert", "/search/?q=script"]:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert "<script>alert" not in html, path
        assert "<img src=x" not in html, path
        assert "onerror=alert" not in html.replace("onerror=alert(1)&gt;", ""), path
        seen_escaped |= {label for label in written if f"&lt;script&gt;alert(&quot;{label}" in html}

    # Proof the text reached the pages (escaped), not that it was silently dropped.
    for label in [
        "Mission.title",
        "Mission.summary",
        "Day.title",
        "Day.summary",
        "Visit.title",
        "Visit.summary",
        "Visit.body",
        "Organisation.name",
        "Person.name",
        "Agreement.title",
        "Agreement.summary",
    ]:
        assert label in seen_escaped, label


def test_script_typed_into_the_admin_is_stored_as_typed_and_escaped_on_the_site(staff_client, demo):
    visit = demo.visits.get(slug="ispace")
    url = reverse("admin:diary_visit_change", args=[visit.pk])
    data = single_values(read_form(staff_client.get(url).content.decode(), "visit_form"))
    data["body"] = "Toast.\n\n<script>alert(document.cookie)</script>"
    assert staff_client.post(url, data).status_code == 302
    visit.refresh_from_db()
    assert visit.body.endswith("<script>alert(document.cookie)</script>")  # kept verbatim

    html = staff_client.get(visit.get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(document.cookie)&lt;/script&gt;" in html
    assert "<script>alert" not in html


def test_the_admin_refuses_a_javascript_address_for_a_website(staff_client, demo):
    organisation = Organisation.objects.get(slug="jaxa")
    url = reverse("admin:diary_organisation_change", args=[organisation.pk])
    data = single_values(read_form(staff_client.get(url).content.decode(), "organisation_form"))
    data["website"] = "javascript:alert(1)"
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "Enter a valid URL." in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.website.startswith("https://")


# --- Oversized input -----------------------------------------------------------------------


def test_a_10_mb_summary_is_refused_with_a_clear_413_and_nothing_saved(staff_client, demo):
    url = reverse("admin:diary_mission_change", args=[demo.pk])
    data = single_values(read_form(staff_client.get(url).content.decode(), "mission_form"))
    data["summary"] = "x" * (10 * 1024 * 1024)
    response = staff_client.post(url, data)
    assert response.status_code == 413
    html = response.content.decode()
    assert "What you sent is too large" in html
    assert "at most 5 MB" in html
    assert "Nothing was saved" in html
    demo.refresh_from_db()
    assert len(demo.summary) < 1000


def test_a_summary_over_its_limit_gets_a_form_error_naming_the_limit(staff_client, demo):
    url = reverse("admin:diary_mission_change", args=[demo.pk])
    data = single_values(read_form(staff_client.get(url).content.decode(), "mission_form"))
    data["summary"] = "x" * (SUMMARY_MAX_LENGTH + 1)
    response = staff_client.post(url, data)
    assert response.status_code == 200
    expected = f"at most {SUMMARY_MAX_LENGTH} characters (it has {SUMMARY_MAX_LENGTH + 1})"
    assert expected in response.content.decode()
    demo.refresh_from_db()
    assert len(demo.summary) < SUMMARY_MAX_LENGTH


def test_a_100_mb_upload_is_refused_unread_with_a_clear_413(staff_client, demo):
    upload = SimpleUploadedFile("mission.json", b"{" + b" " * (100 * 1024 * 1024) + b"}")
    response = staff_client.post(
        reverse("admin:diary_mission_add"), {"title": "Upload", "file": upload}
    )
    assert response.status_code == 413
    html = response.content.decode()
    assert "What you sent is too large" in html
    assert "at most 20 MB" in html
    assert not Mission.objects.filter(title="Upload").exists()


def test_an_upload_under_the_limit_reaches_the_form(staff_client, demo):
    upload = SimpleUploadedFile("notes.txt", b"x" * (1024 * 1024))
    response = staff_client.post(reverse("admin:diary_mission_add"), {"file": upload})
    assert response.status_code == 200  # the add form again, with its required-field errors
    assert "This field is required." in response.content.decode()
