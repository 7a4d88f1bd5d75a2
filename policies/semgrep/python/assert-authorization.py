# Test cases for policies/semgrep/python/assert-authorization.yaml (secscan rule pack).


def delete_order(user, order):
    # ruleid: python-assert-used-for-authorization
    assert user.is_admin, "admins only"
    order.delete()


def edit(request, doc):
    # ruleid: python-assert-used-for-authorization
    assert request.user.has_perm("docs.change_doc")
    doc.save()


def transfer(user, account):
    # ruleid: python-assert-used-for-authorization
    assert account.owner == user
    account.transfer()


def invariant(items):
    # ok: python-assert-used-for-authorization
    assert len(items) > 0
    return items[0]


def typed(value):
    # ok: python-assert-used-for-authorization
    assert isinstance(value, int), "value must be an int"
    return value


def explicit(user, order):
    # ok: python-assert-used-for-authorization
    if not user.is_admin:
        raise PermissionError("admins only")
    order.delete()
