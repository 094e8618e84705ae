"""Back a shop up, check the archive, and move the shop to another database."""

import crpm_core
from crpm_core import backup

with crpm_core.connect("sqlite:///shop.db") as crm:
    zoe = crm.customers.add(name="Zoë O'Brien", email="zoe@example.ie")
    tea = crm.products.add(name="Green tea 100g", price="6.50", stock=20, sku="TEA-100")
    crm.orders.place(customer_id=zoe.id, lines=[(tea.id, 3)])
    made = backup.write(crm, "shop-backup.zip")  # one consistent snapshot, while selling
    print({t.name: t.rows for t in made.tables}["purchases"], "purchase in the archive")
    # 1 purchase in the archive

# Check an archive without writing anything: manifest, files, row counts, checksums.
print(backup.check("shop-backup.zip").rows == made.rows)  # True

# Restore into an empty database of any backend (here a new SQLite file), ids kept.
backup.restore("shop-backup.zip", "sqlite:///moved.db")
with crpm_core.connect("sqlite:///moved.db") as moved:
    print(moved.customers.get(zoe.id).name)  # Zoë O'Brien
    print(moved.audit.list(limit=1).items[0].action)  # restore
    order = moved.orders.place(customer_id=zoe.id, lines=[(tea.id, 1)])
    print(order.id, moved.products.get(tea.id).stock)  # 2 16

# A target that is not empty is refused, and left as it was.
try:
    backup.restore("shop-backup.zip", "sqlite:///moved.db")
except backup.RestoreRefused as e:
    print(str(e).split(":")[0])  # the target database is not empty (its audit_log table has rows)
