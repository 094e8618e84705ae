"""``/api/v1/customers`` and ``/api/v1/products``: the same calls as ``crm.customers`` and
``crm.products``, with their query names."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from starlette.responses import Response

import crpm_core
from crpm_core import errors
from crpm_ui.api import params, problems, schemas
from crpm_ui.api.params import Active, Descending, Limit, Offset, SearchText
from crpm_ui.api.tokens import Acting

router = APIRouter(route_class=params.ProblemRoute)

Customer = schemas.response_model(crpm_core.Customer)
Product = schemas.response_model(crpm_core.Product)
CustomerId = Annotated[int, params.id_path("customer")]
ProductId = Annotated[int, params.id_path("product")]

READ = problems.READ
WRITE = problems.WRITE


# -- customers -------------------------------------------------------------------------------------


@router.get(
    "/customers",
    response_model=schemas.page_model(crpm_core.Customer),
    tags=["customers"],
    responses=READ,
)
def list_customers(
    crm: Acting,
    search: SearchText = None,
    active: Active = None,
    offset: Offset = 0,
    limit: Limit = 50,
    order_by: Literal["name", "email", "created_at", "id"] = "name",
    descending: Descending = False,
) -> Any:
    """One page of customers; ``search`` matches name, email or phone."""
    return crm.customers.list(
        search=search,
        active=active,
        offset=offset,
        limit=limit,
        order_by=order_by,
        descending=descending,
    )


@router.post(
    "/customers", status_code=201, response_model=Customer, tags=["customers"], responses=WRITE
)
def add_customer(crm: Acting, body: schemas.NewCustomer) -> Any:
    """Add a customer (the email must be new, ignoring case)."""
    return crm.customers.add(name=body.name, email=body.email, phone=body.phone)


@router.get("/customers/{customer_id}", response_model=Customer, tags=["customers"], responses=READ)
def get_customer(crm: Acting, customer_id: CustomerId) -> Any:
    return crm.customers.get(customer_id)


@router.patch(
    "/customers/{customer_id}", response_model=Customer, tags=["customers"], responses=WRITE
)
def update_customer(crm: Acting, customer_id: CustomerId, body: schemas.CustomerChanges) -> Any:
    """Change only the members given."""
    return crm.customers.update(customer_id, **body.given())


@router.post(
    "/customers/{customer_id}/deactivate",
    response_model=Customer,
    tags=["customers"],
    responses=WRITE,
)
def deactivate_customer(crm: Acting, customer_id: CustomerId) -> Any:
    """The customer can no longer buy; their history stays (owners and managers)."""
    return crm.customers.deactivate(customer_id)


@router.post(
    "/customers/{customer_id}/reactivate",
    response_model=Customer,
    tags=["customers"],
    responses=WRITE,
)
def reactivate_customer(crm: Acting, customer_id: CustomerId) -> Any:
    return crm.customers.reactivate(customer_id)


@router.delete(
    "/customers/{customer_id}",
    status_code=204,
    response_class=Response,
    tags=["customers"],
    responses=WRITE,
)
def delete_customer(crm: Acting, customer_id: CustomerId) -> Response:
    """Delete a customer who never bought anything (owners only; else 409)."""
    crm.customers.delete(customer_id)
    return Response(status_code=204)


# -- products --------------------------------------------------------------------------------------


@router.get(
    "/products",
    response_model=schemas.page_model(crpm_core.Product),
    tags=["products"],
    responses=READ,
)
def list_products(
    crm: Acting,
    search: SearchText = None,
    active: Active = None,
    offset: Offset = 0,
    limit: Limit = 50,
    order_by: Literal["name", "sku", "price", "stock", "created_at", "id"] = "name",
    descending: Descending = False,
    low: Annotated[
        bool, Query(description="only active products at or below their reorder point")
    ] = False,
) -> Any:
    """One page of products; ``search`` matches name or SKU."""
    return crm.products.list(
        search=search,
        active=active,
        offset=offset,
        limit=limit,
        order_by=order_by,
        descending=descending,
        low=low,
    )


@router.post(
    "/products", status_code=201, response_model=Product, tags=["products"], responses=WRITE
)
def add_product(crm: Acting, body: schemas.NewProduct) -> Any:
    """Add a product (owners and managers); its opening stock enters the stock ledger."""
    return crm.products.add(
        name=body.name,
        price=body.price,
        stock=body.stock,
        sku=body.sku,
        reorder_point=body.reorder_point,
    )


@router.get("/products/{product_id}", response_model=Product, tags=["products"], responses=READ)
def get_product(crm: Acting, product_id: ProductId) -> Any:
    return crm.products.get(product_id)


@router.patch("/products/{product_id}", response_model=Product, tags=["products"], responses=WRITE)
def update_product(crm: Acting, product_id: ProductId, body: schemas.ProductChanges) -> Any:
    """Change only the members given; a new price applies to later sales."""
    return crm.products.update(product_id, **body.given())


@router.post(
    "/products/{product_id}/restock",
    response_model=Product,
    tags=["products"],
    responses=WRITE,
)
def restock_product(crm: Acting, product_id: ProductId, body: schemas.RestockRequest) -> Any:
    """Goods came in: the stock grows by ``quantity`` (a ``restock`` in the ledger). A
    quantity that would take the stock above 1,000,000,000 is 409: it conflicts with the
    stock there is, not with the rules of a quantity."""
    try:
        return crm.products.restock(product_id, body.quantity, note=body.note)
    except errors.ValidationError as exc:
        if exc.field != "quantity":
            raise
        raise errors.Conflict(exc.message, field="quantity") from None


@router.put(
    "/products/{product_id}/stock",
    response_model=Product,
    tags=["products"],
    responses=WRITE,
)
def correct_stock(crm: Acting, product_id: ProductId, body: schemas.StockCount) -> Any:
    """A stock-count correction: the stock becomes ``stock`` (an ``adjustment``)."""
    return crm.products.set_stock(product_id, body.stock, note=body.note)


@router.post(
    "/products/{product_id}/deactivate",
    response_model=Product,
    tags=["products"],
    responses=WRITE,
)
def deactivate_product(crm: Acting, product_id: ProductId) -> Any:
    return crm.products.deactivate(product_id)


@router.post(
    "/products/{product_id}/reactivate",
    response_model=Product,
    tags=["products"],
    responses=WRITE,
)
def reactivate_product(crm: Acting, product_id: ProductId) -> Any:
    return crm.products.reactivate(product_id)


@router.delete(
    "/products/{product_id}",
    status_code=204,
    response_class=Response,
    tags=["products"],
    responses=WRITE,
)
def delete_product(crm: Acting, product_id: ProductId) -> Response:
    """Delete a product never sold (owners only; else 409)."""
    crm.products.delete(product_id)
    return Response(status_code=204)
