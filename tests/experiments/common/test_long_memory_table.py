import json
import pathlib

from experiments.common.long_memory_table import cell_text, readme_lines, table_row


def row(cell, value, lr=2e-3, solved="absent", hidden=128):
    out = {"cell": cell, "hidden": hidden, "lr": lr, "test_wrong": value}
    if solved != "absent":
        out["sequences_until_solved"] = solved
    return out


def entry(task="adding_hs", T=100, seeds=None, lrs=()):
    seeds = seeds or {
        "0": {"lstm": row("lstm", 0.0, solved=64_000), "rnn": row("rnn", 0.85, solved=None)},
        "1": {"lstm": row("lstm", 0.002, solved=96_000), "rnn": row("rnn", 0.84, solved=None)},
        "2": {"lstm": row("lstm", 0.001, solved=None)},
    }
    config = {"steps": 2000, "hidden": 128, "lrs": list(lrs)}
    return {"task": task, "T": T, "config": config, "seeds": seeds}


def test_a_cell_reports_its_seeds_and_how_many_solved_the_criterion():
    lstm = [row("lstm", 0.0, solved=64_000), row("lstm", 0.002, solved=96_000)]
    lstm.append(row("lstm", 0.001, lr=1e-3, solved=None))
    text = cell_text("adding_hs", 100, "lstm", lstm)
    assert text.startswith("LSTM (hidden 128): 0.0010 ± 0.0010 (n=3), lr 0.001/0.002")
    assert text.endswith(
        ", solved 2/3 after 80,000 sequences (median; 64,000-96,000) [H&S: 74,000]"
    )
    assert cell_text("adding_hs", 200, "rnn", [row("rnn", 0.85, solved=None)]).endswith(
        ", solved 0/1"
    )


def test_the_row_gives_the_command_seeds_and_every_cell_in_a_fixed_order():
    text = table_row(entry(lrs=(1e-3, 3e-3)))
    assert text.startswith("| adding (H&S 1997 form), T=100, test fraction wrong | ")
    assert "--cells lstm,rnn --lrs 0.001,0.003 --seed S` | 0,1,2 | LSTM" in text
    assert "; tanh RNN (hidden 128): 0.8450 ± 0.0071 (n=2)" in text
    assert text.endswith("| always 0.5: about 0.85 wrong |")
    stopped = entry()
    stopped["config"] |= {"eval_every": 100, "until_solved": True}
    assert "--cells lstm,rnn --eval_every 100 --until_solved --seed S`" in table_row(stopped)


def test_rows_come_in_task_then_length_order():
    plain = {"0": {"lstm": {"cell": "lstm", "hidden": 8, "lr": 0.01, "test_mse": 0.001}}}
    plain["0"]["lstm"]["grad_first_over_last"] = 0.37
    results = {
        "b": entry(T=200),
        "a": entry(T=100),
        "c": entry(task="adding", T=400, seeds=plain),
        "d": entry(T=100, lrs=(1e-3, 3e-3)),
    }
    lines = readme_lines(results)
    assert [line.split(" | ")[0] for line in lines] == [
        "| adding (Arjovsky form), T=400, test MSE",
        "| adding (H&S 1997 form), T=100, test fraction wrong",
        "| adding (H&S 1997 form), T=100, test fraction wrong",
        "| adding (H&S 1997 form), T=200, test fraction wrong",
    ]
    assert "--lrs" not in lines[1] and "--lrs 0.001,0.003" in lines[2]
    assert "LSTM (hidden 8): 0.00100 (n=1), lr 0.01, gradient ratio 0.37 |" in lines[0]


def test_the_experiments_page_holds_the_rows_the_committed_results_give():
    root = pathlib.Path(__file__).resolve().parents[3]
    results = json.loads((root / "experiments/results/long_memory.json").read_text())
    page = (root / "docs/guides/experiments.md").read_text().splitlines()
    for line in readme_lines(results):
        assert line in page
