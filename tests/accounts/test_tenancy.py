"""The one scoping mechanism: Model.objects.for_user() and the TenantScopedMixin."""

import pytest
from django.urls import include, path
from django.views.generic import DetailView

from accounts.mixins import TenantScopedMixin
from accounts.models import Account, Site, User
from tests.conftest import make_user


class SiteDetail(TenantScopedMixin, DetailView):
    model = Site
    template_name = "includes/empty_state.html"


class SiteRestricted(TenantScopedMixin, DetailView):
    model = Site
    template_name = "includes/empty_state.html"
    permission_required = "accounts.order_supplies"


urlpatterns = [
    path("site/<int:pk>/", SiteDetail.as_view()),
    path("site/<int:pk>/restricted/", SiteRestricted.as_view()),
    path("", include("fmp.urls")),
]


@pytest.mark.django_db
def test_user_sees_own_account_rows_only(plain_user, site, other_site):
    assert list(Site.objects.for_user(plain_user)) == [site]
    assert set(User.objects.for_user(plain_user)) == {plain_user}
    assert list(Account.objects.for_user(plain_user)) == [plain_user.account]


@pytest.mark.django_db
def test_parent_account_user_sees_sub_accounts(account, site, other_site):
    parent_user = make_user("boss@abc-cars.example", account=account.parent)
    assert list(Site.objects.for_user(parent_user)) == [site]
    assert set(Account.objects.for_user(parent_user)) == {account, account.parent}


@pytest.mark.django_db
def test_sub_account_user_does_not_see_the_parent(plain_user, account):
    Site.objects.create(account=account.parent, name="Head office")
    assert [s.name for s in Site.objects.for_user(plain_user)] == ["XPS Hosting Site"]


@pytest.mark.django_db
def test_helpdesk_sees_everything_and_anonymous_nothing(helpdesk, site, other_site):
    from django.contrib.auth.models import AnonymousUser

    assert set(Site.objects.for_user(helpdesk)) == {site, other_site}
    assert not Site.objects.for_user(AnonymousUser()).exists()
    orphan = make_user("orphan@example.com")
    assert not Site.objects.for_user(orphan).exists()


@pytest.mark.urls("tests.accounts.test_tenancy")
@pytest.mark.django_db
def test_other_accounts_object_is_a_404(user_client, site, other_site):
    assert user_client.get(f"/site/{site.pk}/").status_code == 200
    assert user_client.get(f"/site/{other_site.pk}/").status_code == 404


@pytest.mark.urls("tests.accounts.test_tenancy")
@pytest.mark.django_db
def test_missing_permission_is_a_403_and_manager_passes(client, plain_user, manager, site):
    client.force_login(plain_user)
    assert client.get(f"/site/{site.pk}/restricted/").status_code == 403
    client.force_login(manager)
    assert client.get(f"/site/{site.pk}/restricted/").status_code == 200


@pytest.mark.urls("tests.accounts.test_tenancy")
@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, site):
    response = client.get(f"/site/{site.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_roles_carry_the_documented_permissions(plain_user, manager):
    assert plain_user.has_perm("accounts.refresh_status")
    assert plain_user.has_perm("accounts.submit_meter_reads")
    assert plain_user.has_perm("accounts.request_service")
    assert not plain_user.has_perm("accounts.change_contract")
    assert not plain_user.has_perm("accounts.order_supplies")
    for perm in ["change_contract", "reset_device", "update_location", "order_supplies", "refresh_status"]:
        assert manager.has_perm(f"accounts.{perm}")
    assert plain_user.role_label == "Utilisateur"
    assert manager.role_label == "Gestionnaire de parc"


@pytest.mark.django_db
def test_account_full_name_shows_the_hierarchy(account):
    assert str(account) == "ABC Cars / ABC London Pursuit"
