from django.utils.functional import SimpleLazyObject

from accounts.tenancy import sees_several_accounts


def portal(request):
    """The account shown in the header of every page, and whether lists should name each
    row's account (help desk, accounts with sub-accounts)."""
    user = getattr(request, "user", None)

    def account():
        # Read only by the pages that show it, with the parents its full name walks.
        if user is None or not user.is_authenticated or not user.account_id:
            return None
        from accounts.models import Account, User

        if User.account.is_cached(user):  # loaded by InactiveAccountMiddleware
            return user.account
        return Account.objects.select_related("parent__parent").get(pk=user.account_id)

    return {
        "portal_account": SimpleLazyObject(account),
        "several_accounts": SimpleLazyObject(lambda: user is not None and sees_several_accounts(user)),
    }
