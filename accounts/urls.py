from django.urls import path

from accounts import otp_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/forgot/", views.ForgotPasswordView.as_view(), name="password_forgot"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("otp/", otp_views.OTPVerifyView.as_view(), name="otp_verify"),
    path("otp/setup/", otp_views.OTPSetupView.as_view(), name="otp_setup"),
    path("otp/recovery-codes/", otp_views.OTPRecoveryCodesView.as_view(), name="otp_recovery_codes"),
    path("otp/disable/", otp_views.OTPDisableView.as_view(), name="otp_disable"),
]
