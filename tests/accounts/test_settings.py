import pytest

from accounts.models import User


@pytest.mark.django_db
def test_french_is_the_default_language(user_client):
    body = user_client.get("/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert ("Paramètres" in body and "Quitter" in body) or "Se déconnecter" in body


@pytest.mark.django_db
def test_switching_to_english_applies_on_every_page(user_client, plain_user):
    response = user_client.post("/settings/", {"history_scope": "90", "language": "en"}, follow=True)
    assert "Your settings have been saved." in response.content.decode()
    plain_user.refresh_from_db()
    assert plain_user.language == "en"
    for url in ["/", "/settings/", "/accounts/profile/"]:
        body = user_client.get(url).content.decode()
        assert 'lang="en"' in body and "Settings" in body, url


@pytest.mark.django_db
def test_history_scope_is_stored_per_user(user_client, plain_user, manager):
    user_client.post("/settings/", {"history_scope": "all", "language": "fr"})
    plain_user.refresh_from_db()
    manager.refresh_from_db()
    assert plain_user.history_scope == "all"
    assert plain_user.history_since() is None
    assert manager.history_scope == "90"
    assert manager.history_since() is not None


@pytest.mark.django_db
def test_settings_refuse_unknown_values_with_a_message(user_client, plain_user):
    response = user_client.post("/settings/", {"history_scope": "7", "language": "de"})
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.content.decode()
    plain_user.refresh_from_db()
    assert plain_user.language == "fr"


@pytest.mark.django_db
def test_profile_edit_returns_to_the_page_it_came_from(user_client, plain_user):
    response = user_client.post(
        "/accounts/profile/?next=/settings/",
        {"first_name": "Pete", "last_name": "Norman", "email": plain_user.email, "phone": "+1 585 555 0100"},
    )
    assert response.status_code == 302 and response["Location"] == "/settings/"
    plain_user.refresh_from_db()
    assert plain_user.first_name == "Pete" and plain_user.phone == "+1 585 555 0100"


@pytest.mark.django_db
def test_profile_next_cannot_point_off_site(user_client, plain_user):
    response = user_client.post(
        "/accounts/profile/?next=https://evil.example/",
        {"first_name": "P", "last_name": "N", "email": plain_user.email},
    )
    assert response.status_code == 400  # refused before saving (fmp.middleware)
    plain_user.refresh_from_db()
    assert plain_user.first_name == "Peter"


@pytest.mark.django_db
def test_profile_refuses_another_users_email(user_client, manager):
    response = user_client.post(
        "/accounts/profile/", {"first_name": "P", "last_name": "N", "email": manager.email}
    )
    assert response.status_code == 200
    assert "Un autre utilisateur a déjà cette adresse" in response.content.decode()


@pytest.mark.django_db
def test_profile_default_site_offers_only_own_account_sites(user_client, site, other_site, plain_user):
    response = user_client.post(
        "/accounts/profile/",
        {"first_name": "P", "last_name": "N", "email": plain_user.email, "default_site": other_site.pk},
    )
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert User.objects.get(pk=plain_user.pk).default_site == site
