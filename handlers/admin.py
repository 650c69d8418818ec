"""Administrator features (registration approvals live in handlers.registration)."""

from __future__ import annotations

from aiogram import Router

router = Router(name="admin")
