"""The bench readers read a whole data folder in the standard layouts, and only
``retold/bench/splits.py`` decides what is tune and what is eval."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from retold.bench import splits
from retold.bench.corpora import (
    DataError,
    build_corpora,
    ecbplus_briefs_corpus,
    ecbplus_corpus,
    mrpc_pairs,
    stsb_pairs,
)
from retold.bench.splits import ecbplus_split, mrpc_split, stsb_split

#: topics of both parities on both sides of the split (see the list in splits.py)
TOPICS = (1, 2, 3, 4, 13, 16)


def _ecb_folder(root: Path, topics=TOPICS, per_cluster: int = 3) -> Path:
    """A tiny ECB+ in the layout of the shared copy: ecbplus/docs.jsonl, one document a line."""
    d = root / "ecbplus"
    d.mkdir(parents=True)
    lines = []
    for t in topics:
        for sub in ("ecb", "ecbplus"):
            for i in range(per_cluster):
                lines.append(json.dumps({
                    "doc_id": f"{t}_{i + 1}{sub}", "topic": t, "subtopic": sub, "cluster": f"{t}_{sub}",
                    "title": f"Event {t} {sub} was reported by paper {i}. ",
                    "text": f"Officials said the event {t} {sub} took place in town {t} on day {i}; more follows.",
                }))
    (d / "docs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def _topics(corpus) -> set[int]:
    return {int(a.id.split(":")[1].split("_")[0]) for a in corpus.articles}


def test_ecbplus_reads_topics_of_both_parities(tmp_path: Path) -> None:
    data = _ecb_folder(tmp_path)
    everything = ecbplus_corpus(data, "all")
    assert _topics(everything) == set(TOPICS)
    assert len(everything.articles) == len(TOPICS) * 2 * 3
    tune, ev = ecbplus_corpus(data, "tune"), ecbplus_corpus(data, "eval")
    assert _topics(tune) == {t for t in TOPICS if ecbplus_split(t) == "tune"}
    assert _topics(ev) == {t for t in TOPICS if ecbplus_split(t) == "eval"}
    assert not set(tune.ids) & set(ev.ids) and len(tune.ids) + len(ev.ids) == len(everything.ids)
    # the fixture puts an even and an odd topic on each side
    assert {t % 2 for t in _topics(tune)} == {0, 1} == {t % 2 for t in _topics(ev)}
    # what the benchmark builds holds them all too
    built = {c.name: c for c in build_corpora(data, "eval")}
    assert _topics(built["ecbplus"]) == _topics(ev) and _topics(built["ecbplus_briefs"]) == _topics(ev)


def test_a_topic_keeps_its_side_whatever_else_the_folder_holds(tmp_path: Path) -> None:
    full = ecbplus_corpus(_ecb_folder(tmp_path / "full"), "eval")
    for t in TOPICS:
        alone = _ecb_folder(tmp_path / f"only{t}", topics=(t,))
        side = ecbplus_split(t)
        other = "tune" if side == "eval" else "eval"
        assert _topics(ecbplus_corpus(alone, side)) == {t}
        assert ecbplus_corpus(alone, other).articles == []
        if side == "eval":
            same = [(a.id, a.text) for a in full.articles if a.id.startswith(f"ecb:{t}_")]
            assert same == [(a.id, a.text) for a in ecbplus_corpus(alone, "eval").articles]


def test_split_rule_is_the_one_documented_in_splits() -> None:
    doc = splits.__doc__ or ""

    def listed(side: str) -> set[int]:
        m = re.search(rf"- {side}: ([0-9, \-\n]+);?\.?", doc)
        assert m, f"splits.py lists no {side} topics"
        out: set[int] = set()
        for part in re.split(r",\s*", m.group(1).strip().rstrip(";.")):
            a, _, b = part.partition("-")
            out |= set(range(int(a), int(b or a) + 1))
        return out

    tune, ev = listed("tune"), listed("eval")
    assert tune | ev == set(range(1, 46)) and not tune & ev
    assert all(ecbplus_split(t) == "tune" for t in tune) and all(ecbplus_split(t) == "eval" for t in ev)
    # our copy of ECB+ holds the odd topics: the split of those is what it always was
    assert {t for t in range(1, 46, 2) if ecbplus_split(t) == "tune"} == {3, 5, 7, 9, 11, 15, 21, 31, 35, 37, 43, 45}
    assert stsb_split("train") == "tune" and stsb_split("dev") == stsb_split("test") == "eval"
    assert stsb_split(None, "a", "b") == splits.split_of("stsb:a\tb")
    assert mrpc_split("702876", "702977") == splits.split_of("mrpc:702876-702977")
    with pytest.raises(ValueError, match="part"):
        stsb_split("holdout")


def test_briefs_cut_one_event_of_every_topic_of_either_parity(tmp_path: Path) -> None:
    data = _ecb_folder(tmp_path)
    full, briefs = ecbplus_corpus(data, "all"), ecbplus_briefs_corpus(data, "all")
    cut_events = {}
    for a, b in zip(full.articles, briefs.articles):
        topic, rest = a.id.split(":")[1].split("_")
        if a.text != b.text:
            cut_events.setdefault(int(topic), set()).add(rest.lstrip("0123456789"))
    assert set(cut_events) == set(TOPICS) and all(len(v) == 1 for v in cut_events.values())
    assert {next(iter(v)) for v in cut_events.values()} == {"ecb", "ecbplus"}
    # odd topics as always: the ECB event in 1, 5, 9..., the ECB+ event in 3, 7, 11...
    assert cut_events[1] == {"ecb"} and cut_events[3] == {"ecbplus"} and cut_events[13] == {"ecb"}


def test_ecbplus_duplicate_document_names_both_places(tmp_path: Path) -> None:
    data = _ecb_folder(tmp_path, topics=(1,))
    extra = data / "ecbplus" / "more.jsonl"
    first = (data / "ecbplus" / "docs.jsonl").read_text().splitlines()[0]
    extra.write_text(first + "\n")
    with pytest.raises(DataError, match=r"more.jsonl:1: doc_id '1_1ecb' already read at .*docs.jsonl:1"):
        ecbplus_corpus(data, "all")
    extra.write_text(first.replace("1_1ecb", "2_1ecb").replace('"topic": 1', '"topic": 2') + "\n")
    assert _topics(ecbplus_corpus(data, "all")) == {1, 2}


# --- sentence pairs --------------------------------------------------------------


def _sts_line(i: int, part: str) -> str:
    return f"main-news\tMSRpar\t2012{part}\t{i:04d}\t{i % 6}.000\tSentence {part} {i} one.\tSentence {part} {i} two."


def test_stsb_reads_the_benchmark_files_by_their_names(tmp_path: Path) -> None:
    d = tmp_path / "stsb"
    d.mkdir()
    for part, n in (("train", 5), ("dev", 3), ("test", 2)):
        lines = [_sts_line(i, part) for i in range(n)]
        if part == "train":
            lines[0] += "\textra source\tcolumns"
        (d / f"sts-{part}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (d / "readme.txt").write_text("STS Benchmark\n")
    (d / "LICENSE.txt").write_text("licence\n")
    assert len(stsb_pairs(tmp_path, "tune").a) == 5
    ev = stsb_pairs(tmp_path, "eval")
    assert len(ev.a) == 5 and {x.split()[1] for x in ev.a} == {"dev", "test"}
    assert ev.score[:3] == [0.0, 1.0, 2.0]
    assert len(stsb_pairs(tmp_path, "all").a) == 10
    assert len(stsb_pairs(tmp_path, "eval", max_pairs=4).a) == 4
    (d / "sts-dev.csv").write_text("main-news\tMSRpar\t2012\t0001\tfive\ta\tb\n")
    with pytest.raises(DataError, match=r"sts-dev.csv:1: score 'five' is not a number"):
        stsb_pairs(tmp_path, "eval")


def test_stsb_reads_glue_tsv_and_a_csv_found_by_its_columns(tmp_path: Path) -> None:
    glue = tmp_path / "glue" / "STS-B"
    glue.mkdir(parents=True)
    head = "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore"
    for part, n in (("train", 4), ("dev", 3)):
        rows = [f"{i}\tmain-news\tMSRpar\t2012\t{i:04d}\tnone\tnone\tA {part} {i} \"q\tB {part} {i}\t{i}.5" for i in range(n)]
        (glue / f"{part}.tsv").write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")
    (glue / "test.tsv").write_text(head.rsplit("\t", 1)[0] + "\n0\tmain-news\tMSRpar\t2012\t0000\tnone\tnone\tx\ty\n")
    assert len(stsb_pairs(tmp_path / "glue", "tune").a) == 4
    ev = stsb_pairs(tmp_path / "glue", "eval")
    assert ev.a == ['A dev 0 "q', "A dev 1 \"q", "A dev 2 \"q"] and ev.score == [0.5, 1.5, 2.5]
    # the same part twice (the benchmark's file and GLUE's): read once, from the first
    (glue / "sts-dev.csv").write_text("\n".join(_sts_line(i, "dev") for i in range(2)) + "\n")
    assert len(stsb_pairs(tmp_path / "glue", "eval").a) == 2

    flat = tmp_path / "flat" / "stsb"
    flat.mkdir(parents=True)
    pairs = [(f"left {i}", f"right {i}", i / 10) for i in range(40)]
    body = ["sentence1,sentence2,score,split"] + [f'"{a}, quoted",{b},{s},{"train" if i % 2 else "validation"}'
                                                  for i, (a, b, s) in enumerate(pairs)]
    (flat / "stsb.csv").write_text("\n".join(body) + "\n")
    tu, ev = stsb_pairs(tmp_path / "flat", "tune"), stsb_pairs(tmp_path / "flat", "eval")
    assert len(tu.a) == len(ev.a) == 20 and tu.a[0] == "left 1, quoted"
    # without a split column each pair goes by its hash
    (flat / "stsb.csv").write_text("\n".join(["sentence1\tsentence2\tsimilarity"] + [f"{a}\t{b}\t{s}" for a, b, s in pairs]) + "\n")
    tu = stsb_pairs(tmp_path / "flat", "tune")
    assert tu.a == [a for a, b, _ in pairs if stsb_split(None, a, b) == "tune"] and 0 < len(tu.a) < 40


_MS_HEAD = "\ufeffQuality\t#1 ID\t#2 ID\t#1 String\t#2 String"


def _ms_rows(start: int, n: int) -> list[str]:
    return [f"{i % 2}\t{1000 + i}\t{2000 + i}\tSentence {i} \"said\" one.\tSentence {i} two." for i in range(start, start + n)]


def test_mrpc_reads_every_file_each_pair_once_and_splits_by_ids(tmp_path: Path) -> None:
    d = tmp_path / "mrpc"
    d.mkdir()
    (d / "msr_paraphrase_train.txt").write_text("\r\n".join([_MS_HEAD, *_ms_rows(0, 30)]) + "\r\n", encoding="utf-8")
    (d / "msr_paraphrase_test.txt").write_text("\r\n".join([_MS_HEAD, *_ms_rows(30, 10)]) + "\r\n", encoding="utf-8")
    # GLUE's dev.tsv repeats train pairs; its test.tsv has no labels
    (d / "dev.tsv").write_text("\n".join([_MS_HEAD, *_ms_rows(0, 5)]) + "\n", encoding="utf-8")
    (d / "test.tsv").write_text("index\t#1 ID\t#2 ID\t#1 String\t#2 String\n0\t1\t2\ta\tb\n")
    (d / "msr_paraphrase_data.txt").write_text("Sentence ID\tString\tAuthor\tURL\tAgency\tDate\tWeb Date\n")
    tu, ev = mrpc_pairs(tmp_path, "tune"), mrpc_pairs(tmp_path, "eval")
    assert len(tu.a) + len(ev.a) == 40 and not set(tu.a) & set(ev.a)
    want = {f"Sentence {i} \"said\" one." for i in range(40) if mrpc_split(str(1000 + i), str(2000 + i)) == "tune"}
    assert set(tu.a) == want
    assert all(s in (0.0, 1.0) for s in tu.score + ev.score)

    (d / "msr_paraphrase_test.txt").write_text(_MS_HEAD + "\r\n2\t1\t2\ta\tb\r\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"msr_paraphrase_test.txt:2: quality '2' is not 0 or 1"):
        mrpc_pairs(tmp_path, "tune")
    (d / "msr_paraphrase_test.txt").write_text(_MS_HEAD + "\r\n1\t1\t2\ta\r\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"msr_paraphrase_test.txt:2: expected 5 columns"):
        mrpc_pairs(tmp_path, "tune")


def test_mrpc_csv_without_ids_splits_by_the_sentences(tmp_path: Path) -> None:
    d = tmp_path / "MRPC"
    d.mkdir()
    rows = [(f"s{i} one", f"s{i} two", i % 2) for i in range(30)]
    (d / "mrpc.csv").write_text("sentence1,sentence2,label,idx\n" + "".join(f"{a},{b},{q},{i}\n" for i, (a, b, q) in enumerate(rows)))
    tu = mrpc_pairs(tmp_path, "tune")
    assert tu.a == [a for a, b, _ in rows if mrpc_split(a, b) == "tune"] and 0 < len(tu.a) < 30


def test_bench_quality_scores_every_topic_of_a_folder(tmp_path: Path) -> None:
    """``retold bench quality --data DIR``'s runner on a folder of both parities, with a
    plugged encoder (no model file): every topic of the split is scored."""
    from test_encoder_protocol import HashingEncoder

    from retold.bench.quality import run_quality

    data = _ecb_folder(tmp_path / "data")
    res = run_quality(data, "eval", out=None, peers=False, sentences=False, encoder=HashingEncoder())
    want = {t for t in TOPICS if ecbplus_split(t) == "eval"}
    assert res["corpora"]["ecbplus"]["articles"] == len(want) * 2 * 3
    assert res["corpora"]["ecbplus"]["systems"]["retold"]["stories"]["ari"] is not None
