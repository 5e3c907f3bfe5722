"""The open-data licence and publisher every public document and the page footer name."""

from django.conf import settings


def open_data_licence() -> dict:
    """{"name": "CC BY 4.0", "url": …}: from settings, so a deployment can choose another."""
    return {"name": settings.OPEN_DATA_LICENCE_NAME, "url": settings.OPEN_DATA_LICENCE_URL}


def open_data_publisher() -> dict:
    return {"name": settings.OPEN_DATA_PUBLISHER_NAME, "url": settings.OPEN_DATA_PUBLISHER_URL}
