def portal(request):
    """The account shown in the header of every page."""
    user = getattr(request, "user", None)
    account = None
    if user is not None and user.is_authenticated and user.account_id:
        account = user.account
    return {"portal_account": account}
