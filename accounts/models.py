"""Tenancy and users: customer accounts, their sites, portal users and temporary passwords."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import HistoryScope, Language
from accounts.tenancy import TenantManager, TenantQuerySet
from fmp.texts import local_datetime


class AccountQuerySet(TenantQuerySet):
    def with_descendants(self, account_ids) -> set[int]:
        """These accounts and all their sub-accounts, breadth first (hierarchies are shallow)."""
        found = set(account_ids)
        frontier = set(found)
        while frontier:
            frontier = set(self.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
            found |= frontier
        return found

    def descendant_ids(self, account_id: int) -> set[int]:
        """The account and all its sub-accounts."""
        return self.with_descendants({account_id})

    def inactive_ids(self) -> set[int]:
        """Accounts switched off by the help desk, with every sub-account under them: their
        users cannot log in and their devices are neither polled nor ordered for."""
        return self.with_descendants(self.filter(is_active=False).values_list("pk", flat=True))


class Account(models.Model):
    """A customer of the provider (e.g. "ABC Cars"); may be a sub-account of another."""

    tenant_path = ""  # an account is its own tenant

    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    is_active = models.BooleanField(_("active"), default=True)
    require_otp = models.BooleanField(
        _("two-step verification required"),
        default=False,
        help_text=_(
            "Users of this account and of its sub-accounts must set up an authenticator app "
            "before they can use the portal."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = models.Manager.from_queryset(AccountQuerySet)()

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["name"]
        # The portal's actions, granted to customer users through their role (accounts.roles).
        permissions = [
            ("refresh_status", _("Can get printer status")),
            ("submit_meter_reads", _("Can submit meter reads")),
            ("request_service", _("Can request service")),
            ("change_contract", _("Can set devices under or out of contract")),
            ("reset_device", _("Can reset printers and print test pages")),
            ("update_location", _("Can update device locations")),
            ("order_supplies", _("Can order supplies")),
        ]
        constraints = [
            models.UniqueConstraint(
                "parent", Lower("name"), name="account_unique_name_per_parent", nulls_distinct=False
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def lineage(self):
        """The account, then its parent, its parent's parent... (stops on a loop)."""
        account, seen = self, set()
        while account is not None and account.pk not in seen:
            seen.add(account.pk)
            yield account
            account = account.parent

    @property
    def active_in_hierarchy(self) -> bool:
        """Active itself and under no inactive parent account."""
        return all(account.is_active for account in self.lineage())

    @property
    def full_name(self) -> str:
        """ "ABC Cars / ABC London Pursuit": the account with its ancestors."""
        return " / ".join(reversed([account.name for account in self.lineage()]))


class Address(models.Model):
    """Postal address fields shared by sites and user profiles."""

    country = models.CharField(_("country"), max_length=100, blank=True)
    state = models.CharField(_("state / province"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    street1 = models.CharField(_("street address 1"), max_length=200, blank=True)
    street2 = models.CharField(_("street address 2"), max_length=200, blank=True)
    street3 = models.CharField(_("street address 3"), max_length=200, blank=True)

    class Meta:
        abstract = True


class Site(Address):
    """A customer location (e.g. "XPS Hosting Site", Webster, NY) where devices stand."""

    tenant_path = "account"

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="sites"
    )
    name = models.CharField(_("site name"), max_length=200)
    building = models.CharField(_("building"), max_length=100, blank=True)
    floor = models.CharField(_("floor"), max_length=50, blank=True)
    room = models.CharField(_("room"), max_length=50, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["account__name", "name"]
        constraints = [
            models.UniqueConstraint("account", Lower("name"), name="site_unique_name_per_account"),
        ]

    def __str__(self) -> str:
        return self.name

    def delivery_address(self) -> dict[str, str]:
        """The site as a delivery address (the fields of a supply order)."""
        return {
            "street": self.street1,
            "postal_code": self.postal_code,
            "city": self.city,
            "country": self.country,
            "building_floor_room": " / ".join(x for x in [self.building, self.floor, self.room] if x),
        }


class PortalUserManager(UserManager.from_queryset(TenantQuerySet)):
    pass


class User(AbstractUser):
    """A portal user: a customer user of one account, or help-desk staff (no account).

    The profile lives on the user: name, phone, postal address and default site. The role
    is the user's group ("Fleet manager" or "User", see ``accounts.roles``).
    """

    tenant_path = "account"

    email = models.EmailField(_("e-mail address"), blank=True)
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text=_("Customer users belong to one account. Help-desk staff belong to none."),
    )
    phone = models.CharField(_("phone number"), max_length=40, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    state = models.CharField(_("state / province"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True)
    default_site = models.ForeignKey(
        Site,
        verbose_name=_("default site"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.FRENCH
    )
    history_scope = models.CharField(
        _("tickets and orders shown"),
        max_length=5,
        choices=HistoryScope.choices,
        default=HistoryScope.LAST_90_DAYS,
    )
    email_opt_out = models.JSONField(
        _("e-mails not wanted"),
        default=list,
        blank=True,
        help_text=_("Kinds of e-mail the user chose not to receive."),
    )
    must_change_password = models.BooleanField(
        _("must change password"),
        default=False,
        help_text=_("Set after a login with a temporary password; cleared by a password change."),
    )

    objects = PortalUserManager()

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_unique_email_ci",
                violation_error_message=_("Another user already has this e-mail address."),
            ),
            models.UniqueConstraint(
                Lower("username"),
                name="user_unique_username_ci",
                violation_error_message=_("Another user already has this username."),
            ),
        ]

    def validate_constraints(self, exclude=None):
        """One user per login name: users log in by username or e-mail, in any case, so
        neither may be another user's username or e-mail. Checked here, field by field
        (the profile form and the admin both validate through it); the database
        constraints above hold the same for e-mail against e-mail and username against
        username."""
        exclude = set(exclude or ())
        errors = {}
        try:
            # The two case-insensitive constraints are checked below, with field errors.
            super().validate_constraints(exclude=exclude | {"email", "username"})
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        others = User.objects.exclude(pk=self.pk) if self.pk else User.objects.all()
        email, username = (self.email or "").strip(), (self.username or "").strip()
        if "email" not in exclude and email:
            if others.filter(email__iexact=email).exists():
                errors.setdefault("email", []).append(
                    ValidationError(_("Another user already has this e-mail address."), code="unique")
                )
            elif others.filter(username__iexact=email).exists():
                errors.setdefault("email", []).append(
                    ValidationError(_("This e-mail address is another user's username."), code="unique")
                )
        if "username" not in exclude and username:
            # An exact duplicate is already reported by the field's own unique check.
            if others.filter(username__iexact=username).exclude(username=username).exists():
                errors.setdefault("username", []).append(
                    ValidationError(_("Another user already has this username."), code="unique")
                )
            elif others.filter(email__iexact=username).exists():
                errors.setdefault("username", []).append(
                    ValidationError(_("This username is another user's e-mail address."), code="unique")
                )
        if errors:
            raise ValidationError(errors)

    @property
    def account_is_active(self) -> bool:
        """False for a customer user whose account (or a parent of it) the help desk made
        inactive: such a user cannot log in, and an open session ends at its next request."""
        return self.account_id is None or self.account.active_in_hierarchy

    @property
    def role_label(self) -> str:
        from accounts.roles import role_label

        return role_label(self)

    def history_since(self):
        """Start of the ticket/order window chosen in Settings, or None for "all"."""
        if self.history_scope == HistoryScope.ALL:
            return None
        return timezone.now() - timezone.timedelta(days=90)


class TemporaryPassword(models.Model):
    """A single-use password e-mailed by "Forgot password"; only its hash is stored.

    The user's real password is left untouched, so a stranger asking for a reset cannot
    lock a user out.
    """

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="temporary_passwords"
    )
    password_hash = models.CharField(_("password hash"), max_length=200)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("temporary password")
        verbose_name_plural = _("temporary passwords")
        indexes = [models.Index(fields=["user", "used_at", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.user} ({local_datetime(self.created_at)})"


class TemporaryPasswordRequest(models.Model):
    """One "Forgot password" request let through, for the throttle (per login name and address).

    Recorded alike for known and unknown login names; rows older than the throttle window
    are deleted as new requests come in.
    """

    login_name = models.CharField(_("username"), max_length=254)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("temporary password request")
        verbose_name_plural = _("temporary password requests")
        indexes = [
            models.Index(fields=["login_name", "created_at"]),
            models.Index(fields=["ip_address", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.login_name} ({local_datetime(self.created_at)})"
