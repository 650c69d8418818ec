"""The refusals services raise when the user should be told why something cannot be done.

A refusal carries a stable code from `Refusal` (and params); `views.refusals` holds the one
table that turns each code into a polite sentence in the user's language, and a test fails when
a code has no sentence in Indonesian or English. Services never produce user-facing prose.
"""

from __future__ import annotations

from enum import StrEnum


class Refusal(StrEnum):
    # general
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    UNSUPPORTED_LANGUAGE = "unsupported_language"
    # registration
    NOT_IN_ROSTER = "not_in_roster"
    INACTIVE = "inactive"
    NIP_TAKEN = "nip_taken"
    ALREADY_REGISTERED = "already_registered"
    NOT_OWN_CONTACT = "not_own_contact"
    PHONE_INVALID = "phone_invalid"
    PHONE_MISMATCH = "phone_mismatch"
    NAME_INVALID = "name_invalid"
    NIP_NOT_CONFIRMED = "nip_not_confirmed"  # what the person is told for any of the four above
    ALREADY_DECIDED = "already_decided"
    # linking a shop
    NO_MERCHANT_FOR_PHONE = "no_merchant_for_phone"
    INVALID_LINK = "invalid_link"
    MERCHANT_SUSPENDED = "merchant_suspended"
    # cart and orders
    PRODUCT_UNAVAILABLE = "product_unavailable"
    OUT_OF_STOCK = "out_of_stock"
    QUANTITY_INVALID = "quantity_invalid"
    NOT_REGISTERED = "not_registered"
    CART_EMPTY = "cart_empty"
    CART_CHANGED = "cart_changed"
    PAYMENT_METHOD_INVALID = "payment_method_invalid"
    FULFILMENT_INVALID = "fulfilment_invalid"
    ADDRESS_REQUIRED = "address_required"
    ADDRESS_INVALID = "address_invalid"
    INVALID_TRANSITION = "invalid_transition"
    REASON_REQUIRED = "reason_required"
    ORDER_NOT_FOUND = "order_not_found"
    PRODUCT_NOT_FOUND = "product_not_found"
    NOT_ASN = "not_asn"
    # administration and broadcasts
    CANNOT_REMOVE_CONFIGURED_ADMIN = "cannot_remove_configured_admin"
    CANNOT_REMOVE_SELF = "cannot_remove_self"
    OPD_REQUIRED = "opd_required"
    UNKNOWN_OPD = "unknown_opd"
    UNKNOWN_ROLE = "unknown_role"
    UNKNOWN_CLASS = "unknown_class"
    UNKNOWN_AUDIENCE = "unknown_audience"
    BROADCAST_NOT_FOUND = "broadcast_not_found"
    CONTENT_EMPTY = "content_empty"
    UNKNOWN_CONTENT_TYPE = "unknown_content_type"
    UNKNOWN_BUTTON = "unknown_button"
    EMPTY_AUDIENCE = "empty_audience"
    SCHEDULE_IN_PAST = "schedule_in_past"
    INVALID_STATE = "invalid_state"
    UNKNOWN_ACTION = "unknown_action"
    # minimum-spend rules, exemptions, closing, reports
    AMOUNT_INVALID = "amount_invalid"
    DAY_INVALID = "day_invalid"
    MONTH_INVALID = "month_invalid"
    MONTH_IN_PAST = "month_in_past"
    MONTH_IN_FUTURE = "month_in_future"
    MONTH_RANGE_INVALID = "month_range_invalid"
    MONTH_NOT_OVER = "month_not_over"
    EXEMPTION_NOT_FOUND = "exemption_not_found"
    # shops, products, staff
    OWNER_ONLY = "owner_only"
    LOCATION_OUTSIDE_CITY = "location_outside_city"
    MERCHANT_NOT_FOUND = "merchant_not_found"
    NOT_SUSPENDED = "not_suspended"
    CATEGORY_NOT_FOUND = "category_not_found"
    NAME_EMPTY = "name_empty"
    NAME_TOO_LONG = "name_too_long"
    NAME_TAKEN = "name_taken"
    PRICE_INVALID = "price_invalid"
    PRICE_NOT_POSITIVE = "price_not_positive"
    PRICE_TOO_LARGE = "price_too_large"
    UNIT_INVALID = "unit_invalid"
    STOCK_INVALID = "stock_invalid"
    STOCK_NEGATIVE = "stock_negative"
    STOCK_TOO_LARGE = "stock_too_large"
    TEXT_TOO_LONG = "text_too_long"
    PHOTO_INVALID = "photo_invalid"
    PRODUCT_IN_OPEN_ORDER = "product_in_open_order"
    INVITE_INVALID = "invite_invalid"
    INVITE_EXPIRED = "invite_expired"
    ALREADY_MEMBER = "already_member"
    CANNOT_REMOVE_OWNER = "cannot_remove_owner"
    # QRIS and payment proofs
    QRIS_INVALID = "qris_invalid"
    QRIS_MISSING = "qris_missing"
    QRIS_UNAVAILABLE = "qris_unavailable"
    PROOF_NOT_EXPECTED = "proof_not_expected"
    PROOF_MISSING = "proof_missing"
    # purchases outside the catalog, exemption requests, outages
    OUTSIDE_SHOP_INVALID = "outside_shop_invalid"
    OUTSIDE_REGISTERED_SHOP = "outside_registered_shop"
    OUTSIDE_ITEMS_INVALID = "outside_items_invalid"
    OUTSIDE_DATE_INVALID = "outside_date_invalid"
    OUTSIDE_DATE_OUT_OF_RANGE = "outside_date_out_of_range"
    OUTSIDE_NO_PHOTO = "outside_no_photo"
    OUTSIDE_TOO_MANY_PHOTOS = "outside_too_many_photos"
    OUTSIDE_NOT_FOUND = "outside_not_found"
    REQUEST_NOT_FOUND = "request_not_found"
    REQUEST_PENDING = "request_pending"
    OUTAGE_INVALID = "outage_invalid"
    # the global window: export details, certifications, rates, inquiries, showcase
    HS_CODE_INVALID = "hs_code_invalid"
    NUMBER_INVALID = "number_invalid"
    EXPORT_VALUE_INVALID = "export_value_invalid"
    CERTIFICATION_NOT_FOUND = "certification_not_found"
    CURRENCY_UNKNOWN = "currency_unknown"
    RATE_INVALID = "rate_invalid"
    INQUIRY_NOT_FOUND = "inquiry_not_found"
    INQUIRY_CLOSED = "inquiry_closed"
    QUANTITY_BELOW_MOQ = "quantity_below_moq"
    COUNTRY_UNKNOWN = "country_unknown"
    MESSAGE_INVALID = "message_invalid"
    SHOWCASE_DONE = "showcase_done"


class ServiceError(Exception):
    def __init__(self, code: Refusal | str, **params: object) -> None:
        refusal = Refusal(code)  # an unknown code is a programming error (ValueError)
        super().__init__(refusal.value)
        self.code = refusal
        self.params = params

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code.value!r}, {self.params!r})"


class Forbidden(ServiceError):
    """The actor may not do this (wrong role, someone else's order, forged callback)."""

    def __init__(self, code: Refusal | str = Refusal.FORBIDDEN, **params: object) -> None:
        super().__init__(code, **params)


class NotFound(ServiceError):
    def __init__(self, code: Refusal | str = Refusal.NOT_FOUND, **params: object) -> None:
        super().__init__(code, **params)
