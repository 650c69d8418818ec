"""`tukulokal close-month`, run as an administrator would (SQLite file)."""

from bot.cli import main
from models import MonthClosing, MonthResult
from tests.unit.cli_support import rows


def test_close_month_records_once_and_reruns_on_request(cli_db, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "nip,nama,opd,golongan\n"
        "198503122010011001,Budi Santoso,Diskominfo,III/a\n"
        "200012312024211001,Sri Wahyuni,Dinas Kesehatan,PPPK IX\n",
        encoding="utf-8",
    )
    assert main(["import-roster", str(roster)]) == 0
    capsys.readouterr()
    assert main(["close-month", "2024-01"]) == 0
    assert "Closed 2024-01: 2 ASN recorded, 0 met the minimum, 0 exempt." in (
        capsys.readouterr().out
    )
    assert len(rows(cli_db, MonthResult)) == 2
    assert main(["close-month", "2024-01"]) == 0
    assert "was already closed" in capsys.readouterr().out
    assert main(["close-month", "2024-01", "--rerun"]) == 0
    assert "Closed 2024-01" in capsys.readouterr().out
    assert len(rows(cli_db, MonthClosing)) == 1 and len(rows(cli_db, MonthResult)) == 2
    assert main(["close-month", "2199-01"]) == 2
    assert "cannot be closed before its deadline" in capsys.readouterr().out
    assert main(["close-month", "januari"]) == 2
