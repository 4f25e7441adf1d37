from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Site, User


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Username or e-mail"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _(
            "The username or password is not correct. Note that after several failed attempts "
            "the account is locked for a while."
        ),
        "inactive": _("This account is inactive."),
        "account_inactive": _(
            "Your organisation's account is inactive, so its users cannot log in. "
            "Please contact your provider's help desk."
        ),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.account_is_active:
            raise forms.ValidationError(self.error_messages["account_inactive"], code="account_inactive")


class ForgotPasswordForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=254,
        help_text=_("Usually your e-mail address."),
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )


class PolicyErrorsUnderNewPasswordMixin:
    """The password policy's errors ("at least 7 characters"...) show under the new password,
    where it is typed; Django puts them under its confirmation. A confirmation that differs
    still shows under the confirmation."""

    def validate_password_for_user(self, user, *args, **kwargs):
        password = self.cleaned_data.get("new_password2")  # set only when both fields match
        if password:
            try:
                password_validation.validate_password(password, user)
            except ValidationError as error:
                self.add_error("new_password1", error)


class ForcedPasswordChangeForm(PolicyErrorsUnderNewPasswordMixin, SetPasswordForm):
    """After a temporary password: no old password to give, just the new one twice."""


class PortalPasswordChangeForm(PolicyErrorsUnderNewPasswordMixin, PasswordChangeForm):
    """A wrong old password counts as a failed login (lock-out); while locked, none is checked."""

    error_messages = {
        **PasswordChangeForm.error_messages,
        "locked_out": _("Too many failed attempts: your account is locked for a while. Try again later."),
    }

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        from accounts.lockout import is_locked_out, login_failure_record

        if self.request is not None and is_locked_out(self.request, self.user.username):
            # As a login attempt while locked: counted, and the lock-out page is shown.
            login_failure_record(self.request, self.user.username)
            raise forms.ValidationError(self.error_messages["locked_out"], code="locked_out")
        try:
            return super().clean_old_password()
        except forms.ValidationError:
            if self.request is not None:
                login_failure_record(self.request, self.user.username)
            raise


class SettingsForm(forms.ModelForm):
    emails = forms.MultipleChoiceField(
        label=_("E-mails I receive"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The temporary password of “Forgot password” is always sent."),
    )

    class Meta:
        model = User
        fields = ["history_scope", "language"]
        widgets = {"history_scope": forms.RadioSelect, "language": forms.RadioSelect}
        help_texts = {
            "history_scope": _("Applies to the service request and supply order pages."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from accounts.notifications import KINDS

        self.fields["emails"].choices = list(KINDS.items())
        self.fields["emails"].initial = [k for k in KINDS if k not in (self.instance.email_opt_out or [])]
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Save")))


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = [
            "first_name",
            "last_name",
            "email",
            "phone",
            "street",
            "city",
            "state",
            "postal_code",
            "country",
            "default_site",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["default_site"].queryset = Site.objects.for_user(self.instance)
        self.helper = FormHelper()
        self.helper.form_tag = False


class OTPCodeForm(forms.Form):
    """A code from the authenticator app (or, at login, a recovery code)."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        ),
    )
