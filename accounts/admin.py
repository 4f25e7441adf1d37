from axes.admin import AccessAttemptAdmin, IsLockedOutFilter
from axes.conf import settings as axes_settings
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Account, Site, User

# django-otp's own pages list raw devices under untranslatable English names ("TOTP
# devices", "created at"); the help desk sees and resets a user's two-step verification
# in the users' list ("two-step verification" column, "Reset two-step verification").
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class LockedOutFilter(IsLockedOutFilter):
    title = _("locked out")


class PortalAccessAttemptAdmin(AccessAttemptAdmin):
    """django-axes' lock-outs, with the status column and filter in the reader's language."""

    list_filter = [LockedOutFilter if f is IsLockedOutFilter else f for f in AccessAttemptAdmin.list_filter]

    @admin.display(description=_("expires"))
    def expiration(self, obj):
        return super().expiration(obj)

    @admin.display(description=_("status"))
    def status(self, obj):
        left = axes_settings.AXES_FAILURE_LIMIT - obj.failures_since_start
        if left > 0:
            return ngettext("%(n)d attempt left", "%(n)d attempts left", left) % {"n": left}
        return _("locked out")


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, PortalAccessAttemptAdmin)


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0
    fields = ["name", "city", "state", "country", "building", "floor", "room"]
    show_change_link = True


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["__str__", "parent", "is_active", "require_otp", "created_at"]
    list_filter = ["is_active", "require_otp", ("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "parent__name"]
    list_select_related = ["parent__parent"]
    autocomplete_fields = ["parent"]
    inlines = [SiteInline]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "city", "state", "country"]
    list_filter = [("account", admin.RelatedOnlyFieldListFilter), "country"]
    search_fields = ["name", "city", "account__name", "street1"]
    list_select_related = ["account__parent"]
    autocomplete_fields = ["account"]
    fieldsets = [
        (None, {"fields": ["account", "name"]}),
        (
            _("Address"),
            {
                "fields": [
                    "street1",
                    "street2",
                    "street3",
                    "city",
                    "state",
                    "postal_code",
                    "country",
                    "building",
                    "floor",
                    "room",
                ]
            },
        ),
    ]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = [
        "username",
        "email",
        "first_name",
        "last_name",
        "account",
        "role",
        "is_staff",
        "is_active",
        "otp_enrolled",
    ]
    list_filter = [
        "is_staff",
        "is_active",
        "groups",
        ("account", admin.RelatedOnlyFieldListFilter),
        "language",
    ]
    search_fields = ["username", "email", "first_name", "last_name", "account__name"]
    list_select_related = ["account__parent"]
    autocomplete_fields = ["account", "default_site"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Customer"), {"fields": ["account", "default_site", "groups"]}),
        (
            _("Profile"),
            {
                "fields": [
                    "first_name",
                    "last_name",
                    "email",
                    "phone",
                    "street",
                    "city",
                    "state",
                    "postal_code",
                    "country",
                ]
            },
        ),
        (_("Settings"), {"fields": ["language", "history_scope", "must_change_password"]}),
        (
            _("Help desk"),
            {
                "fields": ["is_active", "is_staff", "is_superuser", "user_permissions"],
                "classes": ["collapse"],
            },
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "email", "account", "groups", "password1", "password2"],
            },
        ),
    ]
    filter_horizontal = ["groups", "user_permissions"]
    actions = ["otp_reset"]

    def get_queryset(self, request):
        from django.db.models import Exists, OuterRef
        from django_otp.plugins.otp_totp.models import TOTPDevice

        enrolled = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return super().get_queryset(request).prefetch_related("groups").annotate(has_otp=Exists(enrolled))

    @admin.display(description=_("two-step verification"), boolean=True, ordering="has_otp")
    def otp_enrolled(self, obj):
        return obj.has_otp

    @admin.action(description=_("Reset two-step verification (lost phone)"))
    def otp_reset(self, request, queryset):
        from accounts.otp import otp_disable

        users = list(queryset)
        for user in users:
            otp_disable(user=user)
        self.message_user(
            request,
            ngettext(
                "Two-step verification reset for %(count)d user: the next login needs no code, or "
                "sets up a new app where it is required.",
                "Two-step verification reset for %(count)d users: the next login needs no code, or "
                "sets up a new app where it is required.",
                len(users),
            )
            % {"count": len(users)},
        )

    @admin.display(description=_("role"))
    def role(self, obj):
        return obj.role_label
