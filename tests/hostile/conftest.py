import pytest
from django.test import Client


@pytest.fixture
def staff(django_user_model):
    """A client signed in as a superuser, beside the anonymous `client`: drafts stay private
    to formats even for staff."""
    user = django_user_model.objects.create_superuser("boss", "boss@example.org", "pw-boss")
    client = Client()
    client.force_login(user)
    return client
