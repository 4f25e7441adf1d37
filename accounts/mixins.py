"""View mixins that apply tenancy and permissions: every customer-facing view uses them."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ImproperlyConfigured, PermissionDenied


class TenantScopedMixin(LoginRequiredMixin):
    """Scopes ``get_queryset()`` to the user's accounts; objects outside it are a 404.

    Set ``model`` or ``queryset`` as usual. The queryset is always passed through
    ``for_user()``, whatever a subclass does before calling ``super().get_queryset()``.
    Set ``permission_required`` to answer 403 to users whose role lacks it (after the
    tenancy check: outsiders still get 404 for objects they cannot see).
    """

    permission_required: str | tuple[str, ...] | None = None

    def get_queryset(self):
        if getattr(self, "queryset", None) is not None:
            qs = self.queryset.all()
        elif getattr(self, "model", None) is not None:
            qs = self.model._default_manager.all()
        else:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a model or a queryset.")
        return qs.for_user(self.request.user)

    def has_required_permission(self) -> bool:
        perms = self.permission_required
        if not perms:
            return True
        if isinstance(perms, str):
            perms = (perms,)
        return self.request.user.has_perms(perms)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not self.has_required_permission():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


__all__ = ["LoginRequiredMixin", "PermissionRequiredMixin", "TenantScopedMixin"]
