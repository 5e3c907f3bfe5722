"""The mission diary's domain: missions, days, visits, who was met, what was signed, and why we know."""

from .agreement import Agreement, AgreementKind, AgreementText, CooperationArea, Signatory
from .content_version import ContentVersion
from .directory import Organisation, Person
from .mission import Day, Mission, Visit
from .place import Place
from .revision import Revision
from .source import Source

__all__ = [
    "Agreement",
    "AgreementKind",
    "AgreementText",
    "ContentVersion",
    "CooperationArea",
    "Day",
    "Mission",
    "Organisation",
    "Person",
    "Place",
    "Revision",
    "Signatory",
    "Source",
    "Visit",
]
