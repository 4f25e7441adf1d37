"""``{% otp_settings_card %}``: the two-step verification card of the Settings page."""

from django import template

from accounts import otp

register = template.Library()


@register.inclusion_tag("accounts/includes/otp_settings_card.html", takes_context=True)
def otp_settings_card(context):
    user = context["request"].user
    enrolled = otp.otp_enrolled(user)
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "enrolled": enrolled,
        "required": otp.otp_required(user),
        "left": otp.recovery_codes_left(user) if enrolled else 0,
    }
