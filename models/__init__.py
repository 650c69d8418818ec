"""SQLModel tables. Importing this package registers every table on `SQLModel.metadata`."""

from models.enums import (
    BuyerKind,
    MemberRole,
    MerchantStatus,
    OrderStatus,
    PaymentMethod,
    RegistrationStatus,
)
from models.tables import (
    CartItem,
    Category,
    FsmRecord,
    Merchant,
    MerchantMember,
    Order,
    OrderEvent,
    OrderItem,
    Product,
    QuotaRule,
    Registration,
    RosterEntry,
    User,
)

__all__ = [
    "BuyerKind",
    "CartItem",
    "Category",
    "FsmRecord",
    "MemberRole",
    "Merchant",
    "MerchantMember",
    "MerchantStatus",
    "Order",
    "OrderEvent",
    "OrderItem",
    "OrderStatus",
    "PaymentMethod",
    "Product",
    "QuotaRule",
    "Registration",
    "RegistrationStatus",
    "RosterEntry",
    "User",
]
