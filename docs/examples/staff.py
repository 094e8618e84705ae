"""Staff accounts, roles that the core enforces, and the audit trail."""

import crpm_core
from crpm_core import errors

with crpm_core.connect("sqlite:///shop.db") as crm:  # the operator: may do everything
    crm.users.add(username="ada", password="a long passphrase", role="owner")
    crm.users.add(username="bob", password="another passphrase", role="clerk")

    # A login: the same message for an unknown user and a wrong password.
    try:
        crm.users.authenticate("bob", "not his password")
    except errors.AuthenticationFailed as e:
        print(e)  # Wrong username or password
    print(crm.users.authenticate("bob", "another passphrase").role)  # clerk

    # A handle acting as a member of staff: every call checked against their role.
    bob = crm.as_user("bob")
    zoe = bob.customers.add(name="Zoë Ó Briain", email="zoe@example.ie")
    try:
        bob.customers.delete(zoe.id)  # only owners delete
    except errors.PermissionDenied as e:
        print(e.action)  # customers.delete
    ada = crm.as_user("ada")
    ada.customers.update(zoe.id, phone="+353 1 555 0101")

    # Every write left a row in the same transaction: who, what, which record, before/after.
    for entry in ada.audit.list(entity="customer", entity_id=zoe.id).items:
        print(entry.actor, entry.action, sorted(entry.changes))
    # ada update ['phone']
    # bob add ['active', 'email', 'name', 'phone']
    print(ada.audit.list(actor="bob").total)  # 1
