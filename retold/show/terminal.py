"""The terminal view: a short summary of a scan, and one pair with its evidence (rich)."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from retold.model import RELATIONS, Pair, ScanResult

KIND_STYLE = {"verbatim": "bold red", "paraphrase": "bold yellow", "translation": "bold cyan"}


def _snippet(text: str, start: int, end: int, width: int = 160) -> str:
    s = " ".join(text[start:end].split())
    return s if len(s) <= width else s[: width - 1] + "…"


def print_summary(result: ScanResult, console: Console | None = None, max_rows: int = 10) -> None:
    """What a person wants after a scan: what was read, what was skipped, what was found."""
    console = console or Console()
    st = result.stats
    console.print(
        f"[bold]retold[/bold]: {int(st.get('articles_new', len(result.docs)))} new articles, "
        f"{int(st.get('articles_total', len(result.docs)))} in all, "
        f"{int(st.get('candidates', 0))} candidate pairs compared in {st.get('time_total_s', 0):.1f} s"
    )
    if result.problems:
        # a bad optional field (bad_published, bad_title...) costs the field, not the record
        is_field = [p.reason.startswith("bad_") and p.reason != "bad_id" for p in result.problems]
        dropped = [p for p, f in zip(result.problems, is_field) if f]
        skipped = [p for p, f in zip(result.problems, is_field) if not f]
        for what, probs in ((f"skipped {len(skipped)} input(s)", skipped), (f"left out {len(dropped)} bad field(s)", dropped)):
            if probs:
                reasons = Counter(p.reason for p in probs)
                console.print(f"[yellow]{what}:[/yellow] " + ", ".join(f"{r} x{n}" for r, n in reasons.most_common()))
        for p in result.problems[:max_rows]:
            console.print(f"  [yellow]-[/yellow] {escape(str(p))}")
        if len(result.problems) > max_rows:
            console.print(f"  … and {len(result.problems) - max_rows} more (see problems.jsonl)")

    orphans = int(st.get("rescue_orphans", 0))
    if st.get("rescue_skipped"):
        console.print(
            f"[yellow]{orphans} text(s) in languages the sentence encoder lacks found no partner in another language;[/yellow] "
            "the second model could look for none of them: their possible partners would pass "
            "the texts it may read (raise --rescue-max-texts to let it)"
        )
    elif orphans and "rescue_pairs" in st:
        console.print(f"{orphans} text(s) that nothing else placed were given {int(st['rescue_pairs'])} candidate partner(s) by the second model")
        if st.get("rescue_left"):
            console.print(
                f"[yellow]{int(st['rescue_left'])} of them were not looked at: their possible partners would pass "
                "the texts the second model may read (--rescue-max-texts)[/yellow]"
            )
        if st.get("rescue_dropped"):
            console.print(
                f"[yellow]{int(st['rescue_dropped'])} of them were left without: aligning them would pass the sentence "
                "budget (--rescue-max-sentences)[/yellow]"
            )
    if st.get("shape_looked"):
        console.print(
            f"{int(st['shape_looked'])} pair(s) that only their sentence rhythm proposed were looked at by the second "
            f"model; {int(st.get('shape_asked', 0))} of them aligned whole ({int(st.get('shape_sentences', 0))} sentences read)"
        )
    counts: Counter[str] = Counter()
    implied: Counter[str] = Counter()
    agreed = 0
    for p in result.pairs:  # one pass: the pairs of a streamed scan are read from its index as they come
        counts[p.relation] += 1
        if p.basis != "compared":
            implied[p.relation] += 1
        agreed += bool(p.decided)
    t = Table(title="pairs by relation", show_edge=False)
    t.add_column("relation")
    t.add_column("pairs", justify="right")
    if implied:
        t.add_column("of which implied by the groups", justify="right")
    for r in RELATIONS:
        if counts.get(r):
            t.add_row(r, str(counts[r]), *([str(implied.get(r, 0))] if implied else []))
    if counts:
        console.print(t)
    else:
        console.print("no related pairs found")
    if agreed:
        console.print(f"{agreed} compared pair(s) relabelled same_story/related to agree with their stories (field 'decided')")

    fams = result.families
    if fams:
        t = Table(title=f"families of reuse ({len(fams)})", show_edge=False)
        t.add_column("family")
        t.add_column("size", justify="right")
        t.add_column("origin")
        t.add_column("members")
        for g in fams[:max_rows]:
            members = ", ".join(g.members[:6]) + (" …" if len(g.members) > 6 else "")
            t.add_row(g.id, str(len(g.members)), Text(g.origin or "?"), Text(members))
        console.print(t)
    multi = [g for g in result.stories if len(g.members) > 1]
    if result.stories:
        console.print(f"stories: {len(result.stories)} ({len(multi)} with more than one article)")
        for g in multi[:max_rows]:
            console.print(f"  {g.id} ({len(g.members)}): " + escape(", ".join(g.members[:8])) + (" …" if len(g.members) > 8 else ""))


def print_pair(pair: Pair, text_a: str, text_b: str, console: Console | None = None, max_passages: int = 30) -> None:
    """One pair: relation, coverage both ways, direction, and the aligned passages."""
    console = console or Console()
    console.print(f"[bold]{escape(pair.a)}[/bold]  vs  [bold]{escape(pair.b)}[/bold]")
    console.print(f"relation: [bold magenta]{pair.relation}[/bold magenta]   score {pair.score:.2f}")
    for side, cov in ((pair.a, pair.coverage_a), (pair.b, pair.coverage_b)):
        n = int(round(cov * 24))
        bar = escape(f"[{'#' * n}{'.' * (24 - n)}]")  # brackets would otherwise read as rich markup
        console.print(f"  coverage of {escape(side[:24]):<24} {bar} {cov:>4.0%}")
    if pair.direction:
        src, dst = (pair.a, pair.b) if pair.direction == "a->b" else (pair.b, pair.a)
        console.print(f"direction: {escape(src)} -> {escape(dst)} (source first)")
    keys = (
        "verbatim_a", "verbatim_b", "aligned_a", "aligned_b", "order", "doc_cos", "anchor_overlap", "names_overlap",
        # two texts in one language the encoder lacks: aligned by the content words they share
        "words_aligned_a", "words_aligned_b",
        # the second model, where it was asked (compare/verify.py): its own alignment and its contrast
        "second_aligned_a", "second_aligned_b", "second_contrast", "names_contrast",
    )
    shown = {k: pair.features[k] for k in keys if k in pair.features}
    if shown:
        console.print("features: " + "  ".join(f"{k}={v:.2f}" for k, v in shown.items()), style="dim")
    if not pair.passages:
        return
    t = Table(title=f"aligned passages ({len(pair.passages)})", show_lines=True)
    t.add_column("kind")
    t.add_column("sim", justify="right")
    t.add_column(f"{pair.a[:24]} [offsets]", ratio=1)
    t.add_column(f"{pair.b[:24]} [offsets]", ratio=1)
    for p in pair.passages[:max_passages]:
        t.add_row(
            Text(p.kind, style=KIND_STYLE.get(p.kind, "")),
            f"{p.similarity:.2f}",
            Text(f"{_snippet(text_a, p.a_start, p.a_end)} [{p.a_start}:{p.a_end}]"),
            Text(f"{_snippet(text_b, p.b_start, p.b_end)} [{p.b_start}:{p.b_end}]"),
        )
    console.print(t)
    if len(pair.passages) > max_passages:
        console.print(f"… {len(pair.passages) - max_passages} more passages")
