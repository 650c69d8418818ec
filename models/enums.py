"""String enums stored as plain strings (portable across SQLite and PostgreSQL)."""

from enum import StrEnum


class BuyerKind(StrEnum):
    GUEST = "guest"  # browses only
    ASN = "asn"  # registered civil servant: orders count toward the monthly minimum
    GENERAL = "general"  # general buyer: orders count toward no quota


class RegistrationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class MerchantStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class MemberRole(StrEnum):
    OWNER = "owner"
    STAFF = "staff"


class PaymentMethod(StrEnum):
    CASH = "cash"
    TRANSFER = "transfer"
    QRIS = "qris"


class Fulfilment(StrEnum):
    """How the buyer gets the goods (chosen at checkout)."""

    PICKUP = "pickup"  # at the shop's address
    DELIVERY = "delivery"  # brought by the shop, within Kota Malang, to the buyer's address
    AGREED = "agreed"  # as agreed with the shop in the chat


class OrderStatus(StrEnum):
    PENDING = "pending"  # waiting for the merchant
    ACCEPTED = "accepted"  # merchant accepted, waiting for payment
    PAID = "paid"  # merchant confirmed the payment
    READY = "ready"  # ready for pickup
    SHIPPED = "shipped"  # on its way
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUNDED = "refunded"  # paid, then the money was returned: no longer counts


# Orders in these states have a confirmed payment and count toward the buyer's quota.
PAID_STATUSES = frozenset(
    {OrderStatus.PAID, OrderStatus.READY, OrderStatus.SHIPPED, OrderStatus.COMPLETED}
)
# Orders in these states are finished: nobody can move them any more.
FINAL_STATUSES = frozenset(
    {
        OrderStatus.COMPLETED,
        OrderStatus.REJECTED,
        OrderStatus.CANCELLED,
        OrderStatus.EXPIRED,
        OrderStatus.REFUNDED,
    }
)
# Orders in these states still hold stock and block deleting their products.
OPEN_STATUSES = frozenset(set(OrderStatus) - FINAL_STATUSES)


class AdminRole(StrEnum):
    ADMIN = "admin"
    OPD_OPERATOR = "opd_operator"
    INSPECTORATE = "inspectorate"  # the city's inspectorate: reads reports and red flags only


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    BLOCKED = "blocked"
    NOT_FOUND = "not_found"
    FAILED = "failed"
