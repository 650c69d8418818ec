"""The `tukulokal` command line, run as an administrator would (SQLite file)."""

from bot.cli import main
from models import Merchant, Product, QuotaRule, RosterEntry
from tests.unit.cli_support import rows


def test_imports_and_quota(cli_db, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "nip,nama,opd,golongan,telepon\n"
        "198503122010011001,Budi Santoso,Diskominfo,III/a,081234567890\n"
        "200012312024211001,Sri Wahyuni,Dinas Kesehatan,PPPK IX,\n",
        encoding="utf-8",
    )
    assert main(["import-roster", str(roster)]) == 0
    assert "2 new" in capsys.readouterr().out
    merchants = tmp_path / "merchants.csv"
    merchants.write_text(
        "kode,nama,nib,kecamatan,kelurahan,alamat,telepon\n"
        "KS01,Keripik Sanan,1234567890123,Blimbing,Purwantoro,Jl. Sanan 1,081311112222\n",
        encoding="utf-8",
    )
    assert main(["import-merchants", str(merchants)]) == 0
    products = tmp_path / "products.csv"
    products.write_text(
        "merchant_kode,nama,kategori,harga,stok,satuan,deskripsi\n"
        "KS01,Keripik Tempe,kuliner,25.000,10,bungkus,Renyah\n"
        "KS01,Keripik Apel,kuliner,30rb,5,bungkus,Manis\n",
        encoding="utf-8",
    )
    assert main(["import-products", str(products)]) == 0
    assert sorted(p.price for p in rows(cli_db, Product)) == [25_000, 30_000]
    assert main(["quota", "set", "III", "750.000", "--from", "2026-12"]) == 0
    rules = rows(cli_db, QuotaRule)
    assert [(r.quota_class, r.amount, r.valid_from.isoformat()) for r in rules] == [
        ("III", 750_000, "2026-12-01")
    ]
    assert main(["quota", "set", "V", "1"]) != 0


def test_broken_csv_imports_nothing_and_reports_lines(cli_db, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "nip,nama,opd,golongan\n"
        "198503122010011001,Budi Santoso,Diskominfo,III/a\n"
        "12345,Ani,Diskominfo,II/b\n"
        "199001152015032002,Citra,Bappeda,IX/z\n",
        encoding="utf-8",
    )
    assert main(["import-roster", str(roster)]) == 1
    out = capsys.readouterr().out
    assert "Line 3" in out and "Line 4" in out
    assert rows(cli_db, RosterEntry) == []


def test_seed_demo_and_merchant_link(cli_db, capsys):
    assert main(["seed-demo"]) == 0
    shops = rows(cli_db, Merchant)
    assert len(shops) >= 10
    assert main(["merchant-link", shops[0].code, "--bot", "TukuLokalBot"]) == 0
    assert "https://t.me/TukuLokalBot?start=m_" in capsys.readouterr().out
