"""The page a staff member sees when django-axes has locked their sign-in."""

from django.conf import settings
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
