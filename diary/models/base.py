"""What every diary record shares: a UUID that outlives databases, used as its natural key."""

import uuid

from django.core.validators import MaxLengthValidator
from django.db import models

# Upper bounds on what staff may type into one text box, checked by full_clean() (so by the
# admin's forms and by fixture imports alike) with a message naming the limit. Generous (the longest text in the demo is under 3,000 characters)
# but far below what could bloat a page or a backup by accident.
SUMMARY_MAX_LENGTH = 5_000
ACCOUNT_MAX_LENGTH = 50_000
SOURCE_TEXT_MAX_LENGTH = 200_000


class BoundedTextField(models.TextField):
    """
    A TextField whose max_length binds the model, as a CharField's does. A plain TextField's
    max_length only sizes its form field, so code that saves without a form would skip it.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(MaxLengthValidator(self.max_length))


class DiaryQuerySet(models.QuerySet):
    def get_by_natural_key(self, uuid):
        return self.get(uuid=uuid)


class DiaryModel(models.Model):
    """
    A record with a stable identity.

    The UUID, not the database id, is what fixtures, iCalendar UIDs and c3voc guids carry,
    so the same visit keeps the same identity on every instance it is imported into.
    """

    uuid = models.UUIDField(
        "UUID",
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text="Stable identity across instances; set once, never changed.",
    )

    objects = DiaryQuerySet.as_manager()

    class Meta:
        abstract = True

    def natural_key(self):
        return (str(self.uuid),)
