"""The page a staff member sees when django-axes has locked their sign-in."""

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.shortcuts import render


def locked_out(request, original_response=None, credentials=None):
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        "site_header": "Mission Tracker",
    }
    # 429 Too Many Requests: the answer is "not now", whatever the password.
    return render(request, "admin/locked_out.html", context, status=429)


def client_ip(request):
    """
    The address sign-in failures are counted against.

    Behind our proxy every request comes from the proxy, so the client is the last address
    the proxy appended to X-Forwarded-For (earlier entries are whatever the client claimed).
    """
    if settings.BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR")


def client_username(request, credentials=None):
    """
    The username sign-in failures are counted against (AXES_USERNAME_CALLABLE).

    django-axes stores it as given in varchar(255) columns: anyone could post a longer one
    (Django's sign-in form does not bound it), and PostgreSQL would refuse the write with a
    500. Normalised as Django normalises usernames (NFKC, AbstractBaseUser.normalize_username)
    so the lock counts what the sign-in checks, then cut to the column's length: a username
    that long belongs to no account, so two of them sharing a lock harms no one. NUL, which
    PostgreSQL refuses in text, is dropped for the same reason.
    """
    source = credentials if credentials else getattr(request, "data", request.POST)
    username = source.get(settings.AXES_USERNAME_FORM_FIELD)
    if username is None:
        return None
    username = AbstractBaseUser.normalize_username(str(username)).replace("\x00", "")
    return username[: AccessAttempt._meta.get_field("username").max_length]
