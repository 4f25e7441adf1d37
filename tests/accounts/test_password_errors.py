"""Password-policy errors show under the new password, where it is typed, on both forms: the
forced change after a temporary password and the voluntary change (with the old password)."""

import pytest

from accounts.models import User
from tests.conftest import PASSWORD

CHANGE = "/accounts/password/change/"
pytestmark = pytest.mark.django_db


@pytest.fixture(params=["forced", "voluntary"])
def change(request, client, plain_user):
    """Posts the change-password form of this kind; returns the page shown again."""
    if request.param == "forced":
        User.objects.filter(pk=plain_user.pk).update(must_change_password=True)
    client.force_login(plain_user)

    def post(new1, new2):
        data = {"new_password1": new1, "new_password2": new2}
        if request.param == "voluntary":
            data["old_password"] = PASSWORD
        response = client.post(CHANGE, data)
        assert response.status_code == 200
        return response

    return post


def test_a_password_against_the_policy_is_refused_under_the_new_password(change, plain_user):
    form = change("short", "short").context["form"]
    assert "Le mot de passe doit contenir au moins un chiffre." in form.errors["new_password1"]
    assert "new_password2" not in form.errors
    plain_user.refresh_from_db()
    assert plain_user.check_password(PASSWORD)


def test_a_confirmation_that_differs_is_refused_under_the_confirmation(change):
    form = change("Brand-New-7x", "Brand-New-7y").context["form"]
    assert "new_password1" not in form.errors
    assert form.errors["new_password2"]


def test_the_error_is_rendered_in_the_new_password_field(change):
    body = change("abcdefg1", "abcdefg1").content.decode()
    new1 = body.split('id="div_id_new_password1"')[1].split('id="div_id_new_password2"')[0]
    new2 = body.split('id="div_id_new_password2"')[1].split("</form>")[0]
    assert "majuscule" in new1
    assert "majuscule" not in new2
