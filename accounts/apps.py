from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Accounts and users")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        import fmp.checks  # noqa: F401 - registers the portal's system checks
        from accounts.backends import temporary_password_used
        from accounts.roles import sync_roles

        post_migrate.connect(sync_roles, sender=self, dispatch_uid="accounts.sync_roles")
        user_logged_in.connect(temporary_password_used, dispatch_uid="accounts.temporary_password_used")
