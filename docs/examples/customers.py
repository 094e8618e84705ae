"""Customers: add, find, update, deactivate and delete."""

import crpm_core
from crpm_core import errors

with crpm_core.connect("sqlite:///shop.db") as crm:
    zoe = crm.customers.add(name="Zoë O'Brien", email="zoe@example.ie", phone="+353 1 555 0101")
    crm.customers.add(name="José Álvarez", email="jose@ejemplo.es", phone="+34 912 34 56 78")
    crm.customers.add(name="山田 太郎", email="taro@example.jp")

    # Search ignores case and matches name, email or phone; results come a page at a time.
    page = crm.customers.list(search="ZOË", limit=20)
    print(page.total, [c.name for c in page.items])  # 1 ["Zoë O'Brien"]

    # Only the fields you pass change; phone=None clears the phone.
    zoe = crm.customers.update(zoe.id, email="zoe.obrien@example.ie")
    assert zoe.phone == "+353 1 555 0101"

    # An email is unique, ignoring case.
    try:
        crm.customers.add(name="Someone else", email="ZOE.OBRIEN@example.ie")
    except errors.Conflict as e:
        print(e)  # the email ZOE.OBRIEN@example.ie is already used by another customer

    # Deactivated customers keep their history but cannot buy.
    assert crm.customers.deactivate(zoe.id).active is False
    assert crm.customers.reactivate(zoe.id).active is True

    # Delete works for customers without purchases (others: deactivate).
    taro = crm.customers.list(search="taro").items[0]
    crm.customers.delete(taro.id)
    print(crm.customers.list().total)  # 2
