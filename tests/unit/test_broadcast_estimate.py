"""The broadcast preview's sending time, at the normal rate and with paid broadcasts."""

from aiogram.utils.i18n import I18n

from services.policy import BroadcastPolicy
from views.broadcasts import sending_estimate
from views.i18n import get_i18n


def _in(locale: str, recipients: int, pacing: BroadcastPolicy) -> str:
    i18n: I18n = get_i18n()
    with i18n.context(), i18n.use_locale(locale):
        return sending_estimate(recipients, pacing, locale)


def test_seven_thousand_recipients_free_and_paid_in_both_languages():
    off = BroadcastPolicy(rate=25)
    on = BroadcastPolicy(rate=25, paid=True, paid_rate=1000)
    en_off, en_on = _in("en", 7000, off), _in("en", 7000, on)
    assert "about 5 minutes (25 messages a second)" in en_off  # 280 s
    # numbers as everywhere in the bot: en_ID, 1.000
    assert "With paid broadcast (off; ALLOW_PAID_BROADCAST): about 7 seconds (1.000" in en_off
    assert "up to 700 Telegram Stars" in en_off
    assert "Paid broadcast is <b>on</b>: about 7 seconds (1.000 a second)" in en_on
    id_off, id_on = _in("id", 7000, off), _in("id", 7000, on)
    assert "Perkiraan waktu pengiriman: sekitar 5 menit (25 pesan per detik)." in id_off
    assert "Dengan siaran berbayar (nonaktif; ALLOW_PAID_BROADCAST): sekitar 7 detik" in id_off
    assert "(1.000 per detik), paling banyak 700 Telegram Stars" in id_off
    assert "Siaran berbayar <b>aktif</b>" in id_on
