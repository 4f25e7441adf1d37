from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Site, User


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0
    fields = ["name", "city", "state", "country", "building", "floor", "room"]
    show_change_link = True


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["__str__", "parent", "is_active", "created_at"]
    list_filter = ["is_active", ("parent", admin.RelatedOnlyFieldListFilter)]
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

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("role"))
    def role(self, obj):
        return obj.role_label
