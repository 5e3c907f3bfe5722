"""The open-data licence for templates: the footer names it next to the download links."""

from django import template

from ..exports.licence import open_data_licence as licence

register = template.Library()


@register.simple_tag
def open_data_licence():
    return licence()
