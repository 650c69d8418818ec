"""Human sentences for import issues and for the parser errors of typed input.

Every function takes the ``gettext`` of the user's locale (English msgids, named placeholders)
and returns plain text: escape it (``html.escape``) before sending it in HTML parse mode, since
params echo what the user typed.

``describe_issue`` renders an :class:`services.importer.ImportIssue` as "Line 3: ...". The
``describe_*_error`` functions render one parser error (anything with ``code`` and ``params``)
without a line prefix, for chat handlers that validate typed input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from services.importer import ImportIssue
from services.money import format_rupiah
from services.wilayah import list_kecamatan

Gettext = Callable[[str], str]


class CodedError(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def params(self) -> Mapping[str, Any]: ...  # read only: a parser's dict of them fits


class _Params(dict[str, Any]):
    """Format parameters that never raise KeyError (a missing one shows as "?")."""

    def __missing__(self, key: str) -> str:
        return "?"


def _fmt(template: str, params: Mapping[str, Any]) -> str:
    return template.format_map(_Params(params))


def _join(items: Any) -> str:
    if isinstance(items, list | tuple | set | frozenset):
        return ", ".join(str(item) for item in items)
    return str(items)


def _error_params(err: Any) -> dict[str, Any]:
    return dict(getattr(err, "params", None) or {})


# --- Parser errors -------------------------------------------------------------------------------


def _nip_message(code: str, params: dict[str, Any], _: Gettext) -> str:
    p = dict(params)
    if code == "empty":
        return _("The NIP is empty.")
    if code == "not_digits":
        return _("A NIP may only contain digits.")
    if code == "length":
        return _fmt(_("NIP has {length} digits, it must have 18."), p)
    if code == "birth_date":
        return _fmt(_("The first 8 digits of the NIP ({value}) are not a valid birth date."), p)
    if code == "birth_date_range":
        age = p.get("age")
        if isinstance(age, int) and age < 0:
            return _fmt(_("The birth date in the NIP ({birth_date}) is in the future."), p)
        return _fmt(
            _(
                "The birth date in the NIP ({birth_date}) gives an age of {age}; "
                "it must be between {min_age} and {max_age}."
            ),
            p,
        )
    if code == "appointment_month":
        month = p.get("month")
        p["month"] = f"{month:02d}" if isinstance(month, int) else month
        return _fmt(_("Digits 13-14 of the NIP ({month}) are not a month from 01 to 12."), p)
    if code == "appointment":
        year, month = p.get("year"), p.get("month")
        p["appointment"] = f"{year}-{month:02d}" if isinstance(month, int) else f"{year}"
        if p.get("reason") == "future":
            return _fmt(_("The appointment date in the NIP ({appointment}) is in the future."), p)
        return _fmt(
            _(
                "The appointment date in the NIP ({appointment}) is less than 17 years "
                "after the birth date."
            ),
            p,
        )
    if code == "pppk_contract":
        return _("Digit 14 of the NI PPPK (the contract count) cannot be 0.")
    if code == "gender":
        return _fmt(_("Digit 15 of the NIP ({value}) must be 1 (male) or 2 (female)."), p)
    if code == "sequence":
        return _("The last 3 digits of the NIP cannot be 000.")
    return _("This NIP is not valid.")


def _golongan_message(code: str, params: dict[str, Any], _: Gettext) -> str:
    if code == "kind_mismatch":
        if params.get("kind") == "PPPK":
            return _fmt(
                _(
                    '"{text}" is a PNS golongan, but the NIP is a PPPK number '
                    "(PPPK have golongan I to XVII)."
                ),
                params,
            )
        return _fmt(_('"{text}" is a PPPK golongan, but the NIP is a PNS number.'), params)
    return _fmt(_('"{text}" is not a golongan (examples: III/a, IV/b, PPPK IX).'), params)


def _phone_message(code: str, params: dict[str, Any], _: Gettext) -> str:
    return _("This is not a valid phone number (example: 0812-3456-7890).")


def _money_message(code: str, params: dict[str, Any], _: Gettext, locale: str) -> str:
    if code == "empty":
        return _("The amount is empty.")
    if code == "negative":
        return _("The amount cannot be negative.")
    if code == "fraction":
        return _fmt(_("The amount must be whole rupiah (got {value})."), params)
    if code == "too_large":
        maximum = params.get("maximum")
        p = dict(params)
        p["maximum"] = format_rupiah(maximum, locale) if isinstance(maximum, int) else maximum
        return _fmt(_("The amount can be at most {maximum}."), p)
    return _("This is not an amount (examples: 25000, 25.000, Rp 25.000, 25rb).")


def _wilayah_message(code: str, params: dict[str, Any], _: Gettext) -> str:
    p = dict(params)
    suggestions = p.get("suggestions") or []
    p["suggestions"] = _join(suggestions)
    if code == "unknown_kecamatan":
        if suggestions:
            return _fmt(_("Unknown kecamatan. Did you mean: {suggestions}?"), p)
        p["names"] = _join(list_kecamatan())
        return _fmt(_("Unknown kecamatan. Kota Malang has: {names}."), p)
    if code == "unknown_kelurahan":
        if suggestions:
            return _fmt(_("Unknown kelurahan. Did you mean: {suggestions}?"), p)
        return _("Unknown kelurahan in Kota Malang.")
    if code == "kelurahan_not_in_kecamatan":
        return _fmt(
            _("Kelurahan {kelurahan} is in kecamatan {actual_kecamatan}, not {kecamatan}."), p
        )
    if code == "unknown_code":
        return _fmt(_("Unknown area code {code}."), p)
    return _("Unknown place in Kota Malang.")


def _qris_message(code: str, params: dict[str, Any], _: Gettext) -> str:
    if code == "empty":
        return _("The QRIS code is empty.")
    if code == "too_long":
        return _("The QRIS code is too long.")
    if code == "not_qris":
        return _("This is not an Indonesian QRIS code.")
    if code == "crc":
        return _("The QRIS code is damaged (its checksum does not match); copy it again.")
    if code == "order":
        return _("The fields of the QRIS code are not in the expected order.")
    if code == "missing_tag":
        return _("The QRIS code lacks required fields.")
    if code == "invalid_field":
        return _("The QRIS code has an invalid field.")
    if code == "amount":
        return _("The QRIS code has an invalid amount.")
    if code == "dynamic":
        return _("This is a one-time (dynamic) QRIS code; send the shop's printed static QRIS.")
    return _("The QRIS code is damaged (its fields cannot be read).")


def describe_nip_error(err: CodedError, gettext: Gettext) -> str:
    """A services.nip.NipError as a sentence."""
    return _nip_message(err.code, _error_params(err), gettext)


def describe_golongan_error(err: CodedError, gettext: Gettext) -> str:
    """A services.golongan.GolonganError as a sentence."""
    return _golongan_message(err.code, _error_params(err), gettext)


def describe_phone_error(err: CodedError, gettext: Gettext) -> str:
    """A services.phones.PhoneError as a sentence."""
    return _phone_message(err.code, _error_params(err), gettext)


def describe_money_error(err: CodedError, gettext: Gettext, *, locale: str = "id") -> str:
    """A services.money.MoneyError as a sentence (``locale`` formats amounts)."""
    return _money_message(err.code, _error_params(err), gettext, locale)


def describe_wilayah_error(err: CodedError, gettext: Gettext) -> str:
    """A services.wilayah.WilayahError as a sentence."""
    return _wilayah_message(err.code, _error_params(err), gettext)


def describe_qris_error(err: CodedError, gettext: Gettext) -> str:
    """A services.qris.QrisError as a sentence."""
    return _qris_message(err.code, _error_params(err), gettext)


# --- Import issues -------------------------------------------------------------------------------


def _location_message(p: dict[str, Any], _: Gettext) -> str:
    return _fmt(
        _(
            'The location "{value}" is not a point in Kota Malang: write latitude and '
            'longitude in degrees with a decimal point, e.g. "-7.9666,112.6326" (lat and '
            "lon both, or the koordinat column)."
        ),
        p,
    )


def _import_message(code: str, params: dict[str, Any], _: Gettext, locale: str) -> str:
    p = dict(params)
    if code == "encoding":
        return _('The file is not UTF-8 text. Save it as "CSV UTF-8" and send it again.')
    if code == "not_csv":
        return _(
            "This is a spreadsheet workbook, not a CSV file. "
            'Save it as "CSV UTF-8" and send it again.'
        )
    if code == "empty_file":
        return _("The file is empty.")
    if code == "malformed":
        return _("The CSV cannot be read from here on (check quotes and special characters).")
    if code == "missing_columns":
        p["columns"] = _join(p.get("columns", []))
        return _fmt(_("Required columns are missing: {columns}."), p)
    if code == "duplicate_column":
        return _fmt(_('Column "{column}" appears twice in the header.'), p)
    if code == "no_rows":
        return _("The file has a header but no data rows.")
    if code == "too_many_rows":
        return _fmt(_("The file has {rows} rows; at most {maximum} are allowed."), p)
    if code == "column_count":
        return _fmt(_("This row has {found} cells but the header has {expected} columns."), p)
    if code == "required":
        return _fmt(_('Column "{column}" is empty; a value is required.'), p)
    if code == "too_long":
        return _fmt(_('Column "{column}" is too long: {length} characters, at most {max}.'), p)
    if code == "duplicate":
        return _fmt(_('"{value}" already appears on line {first_line}.'), p)
    if code == "scientific_notation":
        return _fmt(
            _(
                'Column "{column}" was turned into a number ({value}) by the spreadsheet; '
                "format the column as text and type the digits again."
            ),
            p,
        )
    if code == "nib_invalid":
        return _fmt(_("The NIB must be exactly 13 digits (found {length} characters)."), p)
    if code == "kode_invalid":
        return _("The merchant code may only contain letters, digits, - and _.")
    if code == "location_invalid":
        return _location_message(p, _)
    if code == "unknown_merchant":
        return _fmt(_('No merchant has the code "{kode}".'), p)
    if code == "merchant_mismatch":
        return _fmt(_('This file is for your shop "{expected}", but this line names "{kode}".'), p)
    if code == "unknown_category":
        return _fmt(_('Unknown category "{value}".'), p)
    if code == "price_not_positive":
        return _("The price must be more than 0.")
    if code == "stock_invalid":
        return _fmt(_('Stock "{value}" is not a whole number of 0 or more.'), p)
    if code == "stock_too_large":
        return _fmt(_("Stock can be at most {maximum}."), p)
    if code == "photo_invalid":
        return _fmt(
            _(
                'Photo "{value}" must be an http(s) link or a relative path to a '
                ".jpg, .jpeg, .png or .webp file."
            ),
            p,
        )
    if code == "export_invalid":
        return _fmt(
            _(
                'Column "{column}": "{value}" is not valid (HS code 6-10 digits, quantities as '
                "whole numbers, weight such as 250 g, size such as 20x12x5, shelf life such as "
                "180 hari)."
            ),
            p,
        )
    if code == "certificate_invalid":
        return _fmt(
            _('Column "{column}": "{value}" does not look like a certificate number of its kind.'),
            p,
        )
    return _fmt(_('Column "{column}" has an invalid value.'), p)


def describe_issue(issue: ImportIssue, gettext: Gettext, *, locale: str = "id") -> str:
    """One import issue as "Line 3: <sentence>" (``locale`` formats amounts)."""
    params = dict(issue.params)
    params.setdefault("column", issue.column or "")
    prefix, dot, code = issue.code.partition(".")
    if not dot:
        message = _import_message(issue.code, params, gettext, locale)
    elif prefix == "nip":
        message = _nip_message(code, params, gettext)
    elif prefix == "golongan":
        message = _golongan_message(code, params, gettext)
    elif prefix == "phone":
        message = _phone_message(code, params, gettext)
    elif prefix == "money":
        message = _money_message(code, params, gettext, locale)
    elif prefix == "wilayah":
        message = _wilayah_message(code, params, gettext)
    elif prefix == "qris":
        message = _qris_message(code, params, gettext)
    else:
        message = _import_message(code, params, gettext, locale)
    return gettext("Line {line}: {message}").format(line=issue.line, message=message)
