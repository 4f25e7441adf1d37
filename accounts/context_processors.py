from django.utils.functional import SimpleLazyObject

from accounts.tenancy import sees_several_accounts


def portal(request):
    """The account shown in the header of every page, and whether lists should name each
    row's account (help desk, accounts with sub-accounts)."""
    user = getattr(request, "user", None)
    account = None
    if user is not None and user.is_authenticated and user.account_id:
        account = user.account
    return {
        "portal_account": account,
        "several_accounts": SimpleLazyObject(lambda: user is not None and sees_several_accounts(user)),
    }
