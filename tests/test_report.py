"""The HTML report: self-contained, escapes every text, embeds the data faithfully, and works in a browser.

The browser tests drive headless Chromium through Selenium; they skip when either is missing.
"""

from __future__ import annotations

import html.parser
import json
import os
import random
import re
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from retold.model import Group, Pair, Passage
from retold.show.report import build_data, render_report, write_report_from_dir

SEEDS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "seeds"
SEEDS = SEEDS.resolve()
DOCS_PNG = Path(__file__).resolve().parents[1] / "docs" / "report.png"


# --------------------------------------------------------------------------- helpers


def embedded(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="retold-data">(.*?)</script>', page, re.S)
    assert m, "no embedded data"
    return json.loads(m.group(1))


def utf16_slice(text: str, start: int, end: int) -> str:
    """What JavaScript's ``text.slice(start, end)`` returns."""
    b = text.encode("utf-16-le", "surrogatepass")
    return b[2 * start : 2 * end].decode("utf-16-le", "surrogatepass")


class _Resources(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for k, v in attrs:
            if k in ("src", "href") and v is not None:
                self.urls.append((tag, v))


def small_input() -> tuple[list[dict], list[Pair], list[Group]]:
    nasty = 'He wrote </script><script>window.__pwned=1</script> & "quotes" <b>bold</b> \u2028 end.'
    arts = [
        {"id": "a1", "title": "Mayor <resigns> & \"leaves\"", "url": "https://example.org/a1", "source": "example.org",
         "published": "2024-03-01T10:00:00", "lang": "en", "text": "The mayor resigned today. " + nasty, "boilerplate": []},
        {"id": "a2", "title": "Copy </script>", "url": "javascript:alert(1)", "source": "copy.net",
         "published": None, "lang": "en", "text": "\U0001F600 The mayor resigned today. Footer text.",
         "boilerplate": [[32, 44]]},
        {"id": "a3", "title": "Alone", "url": None, "source": None, "published": None, "lang": "fr",
         "text": "Un texte seul.", "boilerplate": []},
    ]
    pairs = [
        Pair("a1", "a2", "partial", 0.81, 0.3, 0.6, "a->b",
             [Passage(0, 25, 2, 27, "verbatim", 1.0), Passage(26, 40, 28, 31, "paraphrase", 0.7)]),
        Pair("a2", "a3", "related", 0.35, 0.0, 0.0, None, []),
    ]
    groups = [Group("family", "f1", ["a1", "a2"], origin="a1"), Group("story", "s1", ["a1", "a2"], None)]
    return arts, pairs, groups


# --------------------------------------------------------------------------- unit tests


def test_page_is_self_contained() -> None:
    page = render_report(*small_input())
    p = _Resources()
    p.feed(page)
    for tag, url in p.urls:
        if tag in ("script", "link", "img", "iframe", "source"):
            assert not re.match(r"^\s*(https?:)?//", url), f"{tag} loads {url}"
    assert "link" not in p.tags, "stylesheets must be inlined"
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page), "CSS must not fetch anything"
    assert "@import" not in page
    # the only scripts are the data and the inlined app
    assert page.count("<script") == 2
    assert not re.search(r"<script[^>]*\ssrc=", page)


def test_embedded_json_round_trips_ids_and_passages() -> None:
    arts, pairs, groups = small_input()
    data = embedded(render_report(arts, pairs, groups))
    ids = [a[0] for a in data["A"]]
    assert ids == ["a1", "a2", "a3"]
    texts = {a[0]: data["T"][a[6]] for a in data["A"]}
    for rec in arts:
        assert texts[rec["id"]] == rec["text"]
    pa = data["P"][0]
    assert len(data["P"]) == 2
    assert (data["A"][pa[0]][0], data["A"][pa[1]][0]) == ("a1", "a2")
    assert data["R"][pa[2]] == "partial" and pa[6] == 1
    flat = pa[7]
    assert len(flat) == 6 * len(pairs[0].passages)
    for k, q in enumerate(pairs[0].passages):
        s_a, e_a, s_b, e_b, kind, sim = flat[6 * k : 6 * k + 6]
        # offsets are UTF-16 units in the page, code points in Python: same characters either way
        assert utf16_slice(texts["a1"], s_a, e_a) == arts[0]["text"][q.a_start : q.a_end]
        assert utf16_slice(texts["a2"], s_b, e_b) == arts[1]["text"][q.b_start : q.b_end]
        assert data["K"][kind] == q.kind and sim == round(q.similarity * 100)
    # the emoji in a2 takes two UTF-16 units: offsets after it moved by one
    assert flat[2] == pairs[0].passages[0].b_start + 1
    a2 = data["A"][1]
    assert utf16_slice(texts["a2"], a2[7][0], a2[7][1]) == arts[1]["text"][32:44]
    fam, story = data["G"]
    assert fam[0] == 0 and data["A"][fam[3]][0] == "a1" and story[0] == 1 and story[3] == -1


def test_script_end_tag_in_texts_cannot_break_out() -> None:
    arts, pairs, groups = small_input()
    page = render_report(arts, pairs, groups, title="T </script><script>alert(1)</script>")
    # exactly the two closing tags of our own scripts
    assert page.lower().count("</script") == 2
    assert "<script>window.__pwned" not in page
    assert "<script>alert(1)" not in page
    data = embedded(page)
    assert data["title"].endswith("</script><script>alert(1)</script>")
    assert "</script><script>window.__pwned=1</script>" in data["T"][data["A"][0][6]]
    assert "<title>T &lt;/script&gt;" in page


def test_identical_texts_are_stored_once_and_offsets_clamped() -> None:
    text = "Same words in both places, copied whole."
    arts = [{"id": f"d{i}", "text": text} for i in range(3)]
    pairs = [Pair("d0", "d1", "duplicate", 1.0, 1.0, 1.0, None, [Passage(0, 999, -5, 10, "verbatim", 1.0)])]
    data = build_data(arts, pairs, [])
    assert data["T"] == [text]
    assert {a[6] for a in data["A"]} == {0}
    assert data["P"][0][7][:4] == [0, len(text), 0, 10]


def test_unknown_ids_become_stubs_not_errors() -> None:
    data = build_data([{"id": "known", "text": "x"}], [Pair("known", "gone", "related", 0.4, 0, 0)], [])
    assert [a[0] for a in data["A"]] == ["known", "gone"]
    assert data["T"][data["A"][1][6]] == ""


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_report_from_output_folder(tmp_path: Path) -> None:
    arts, pairs, groups = small_input()
    _write_jsonl(tmp_path / "articles.jsonl", arts)
    _write_jsonl(tmp_path / "pairs.jsonl", [p.to_dict() for p in pairs])
    _write_jsonl(tmp_path / "groups.jsonl", [g.to_dict() for g in groups])
    out = write_report_from_dir(tmp_path)
    assert out == tmp_path / "report.html"
    data = embedded(out.read_text(encoding="utf-8"))
    assert [a[0] for a in data["A"]] == ["a1", "a2", "a3"]
    assert len(data["P"]) == 2 and len(data["G"]) == 2


def test_bad_output_folder_names_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="articles.jsonl"):
        write_report_from_dir(tmp_path)
    arts, pairs, _ = small_input()
    _write_jsonl(tmp_path / "articles.jsonl", arts)
    (tmp_path / "pairs.jsonl").write_text(json.dumps(pairs[0].to_dict()) + "\n{broken\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"pairs\.jsonl:2: not valid JSON"):
        write_report_from_dir(tmp_path)
    (tmp_path / "pairs.jsonl").write_text(json.dumps({"a": "a1", "b": "a2"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"pairs\.jsonl:1: missing field\(s\) relation"):
        write_report_from_dir(tmp_path)


def test_cli_report_command(tmp_path: Path) -> None:
    try:
        from typer.testing import CliRunner

        from retold.cli import app
    except ImportError as e:  # other sub-commands not written yet
        pytest.skip(f"retold.cli not importable yet: {e}")
    arts, pairs, groups = small_input()
    _write_jsonl(tmp_path / "articles.jsonl", arts)
    _write_jsonl(tmp_path / "pairs.jsonl", [p.to_dict() for p in pairs])
    _write_jsonl(tmp_path / "groups.jsonl", [g.to_dict() for g in groups])
    res = CliRunner().invoke(app, ["report", str(tmp_path), "--out", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "r.html").exists()
    res = CliRunner().invoke(app, ["report", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "nope" in res.output


# --------------------------------------------------------------------------- 10k synthetic input

_WORDS = (
    "minister council river election police market storm harbour strike court vaccine budget "
    "festival bridge airport school union refinery drought senator museum railway protest"
).split()


def synthetic(n_articles: int = 10_000, n_pairs: int = 20_000, seed: int = 7) -> tuple[list[dict], list[Pair], list[Group]]:
    """A corpus shaped like a crawl: 5-article stories, many exact copies, passages on every pair."""
    rnd = random.Random(seed)
    base = [" ".join(rnd.choice(_WORDS) for _ in range(110)) + "." for _ in range(n_articles // 5)]
    arts = []
    for i in range(n_articles):
        # in each story of five: three exact copies, one edited copy, one own text
        text = base[i // 5] + (" Extra line number %d." % i if i % 5 == 3 else "")
        if i % 5 == 4:
            text = " ".join(rnd.choice(_WORDS) for _ in range(110)) + "."
        arts.append({"id": f"n{i:05d}", "title": f"Headline {i} {rnd.choice(_WORDS)}", "url": f"https://site{i % 300}.example/{i}",
                     "source": f"site{i % 300}.example", "published": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T08:00:00",
                     "lang": "en", "text": text, "boilerplate": []})
    pairs = []
    for k in range(n_pairs):
        s = (k % (n_articles // 5)) * 5
        a, b = s + rnd.randrange(5), s + rnd.randrange(5)
        if a == b:
            b = s + (a - s + 1) % 5
        pairs.append(Pair(f"n{a:05d}", f"n{b:05d}", rnd.choice(["near_duplicate", "rewrite", "same_story"]), 0.7, 0.6, 0.5, "a->b",
                          [Passage(j * 100, j * 100 + 80, j * 100, j * 100 + 80, "verbatim", 0.9) for j in range(3)]))
    groups = []
    for s in range(0, n_articles, 5):
        ids = [f"n{x:05d}" for x in range(s, s + 5)]
        groups.append(Group("story", f"s{s}", ids))
        groups.append(Group("family", f"f{s}", ids[:3], origin=ids[0]))
    return arts, pairs, groups


def test_10k_articles_size_and_speed() -> None:
    arts, pairs, groups = synthetic()
    t = time.perf_counter()
    page = render_report(arts, pairs, groups)
    took = time.perf_counter() - t
    unique_text = sum(len(x.encode()) for x in {a["text"] for a in arts})
    all_text = sum(len(a["text"].encode()) for a in arts)
    size = len(page.encode())
    # texts stored once; per-article and per-pair overhead stays small
    assert size < unique_text + 200 * len(arts) + 120 * len(pairs) + 200_000, size
    assert size < all_text, "duplicate texts must be stored once"
    assert len(embedded(page)["T"]) == len({a["text"] for a in arts})
    assert took < 8.0, f"rendering 10k articles took {took:.1f}s"


# --------------------------------------------------------------------------- seed fixture

_SENT = re.compile(r"[^\n.!?]+(?:[.!?]+|$)", re.M)


def _sentences(text: str) -> list[tuple[int, int]]:
    out = []
    for m in _SENT.finditer(text):
        s, e = m.span()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e - s >= 25:
            out.append((s, e))
    return out


def _approx_passages(ta: str, tb: str) -> list[Passage]:
    """Hand-approximated alignment for the fixture: each sentence of a to the b sentence sharing most words."""
    def words(t: str) -> set[str]:
        return set(re.findall(r"\w+", t.lower()))

    sb = [(s, e, words(tb[s:e])) for s, e in _sentences(tb)]
    out = []
    for s, e in _sentences(ta):
        wa = words(ta[s:e])
        best, best_r = None, 0.0
        for s2, e2, wb in sb:
            r = 2 * len(wa & wb) / (len(wa) + len(wb) or 1)  # Dice coefficient of the word sets
            if r > best_r:
                best, best_r = (s2, e2), r
        if best and best_r >= 0.5:
            out.append(Passage(s, e, best[0], best[1], "verbatim" if best_r >= 0.9 else "paraphrase", best_r))
    return out


def seed_fixture() -> tuple[list[dict], list[Pair], list[Group]]:
    """The five seeds with the relations of expected.json and difflib-approximated passages."""
    expected = json.loads((SEEDS / "expected.json").read_text(encoding="utf-8"))
    texts = {p.stem: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}
    arts = []
    for i, t in texts.items():
        first = t.strip().splitlines()[0].strip()
        date = re.search(r"date (\d{4}-\d\d-\d\d)", t[:200])
        arts.append({"id": i, "title": first.removeprefix("date ").strip()[:120], "url": None, "source": None,
                     "published": date.group(1) if date else None, "lang": "en", "text": t, "boilerplate": []})
    origin = expected["families"][0]["origin"]
    pairs = []
    for p in expected["pairs"]:
        a, b, rel = p["a"], p["b"], p["relation"]
        passages = _approx_passages(texts[a], texts[b]) if rel == "rewrite" else []
        cov_a = len({i for q in passages for i in range(q.a_start, q.a_end)}) / len(texts[a])
        cov_b = len({i for q in passages for i in range(q.b_start, q.b_end)}) / len(texts[b])
        direction = ("a->b" if a == origin else "b->a" if b == origin else None) if rel == "rewrite" else None
        score = {"rewrite": 0.8, "same_story": 0.6, "related": 0.4}[rel]
        pairs.append(Pair(a, b, rel, score, cov_a, cov_b, direction, passages))
    groups = [Group("family", "fam-1", expected["families"][0]["members"], origin)]
    groups += [Group("story", f"story-{k + 1}", members) for k, members in enumerate(expected["stories"])]
    return arts, pairs, groups


def seed_report(path: Path) -> tuple[Path, str]:
    """The seeds' report from the real scan: the acceptance test must see what users see."""
    from retold.pipeline import scan
    from retold.show.report import write_report

    result = scan([str(SEEDS)])
    assert any({p.a[:3], p.b[:3]} == {"000", "001"} and p.passages for p in result.pairs), "the 000-001 rewrite"
    return write_report(result, path), "scan"


def test_seed_fixture_is_sound() -> None:
    if not (SEEDS / "expected.json").exists():
        pytest.skip("seed data absent")
    arts, pairs, groups = seed_fixture()
    rw = next(p for p in pairs if {p.a[:3], p.b[:3]} == {"000", "001"})
    # 000 rewrites 001 sentence by sentence: most of it should align
    assert rw.coverage_a > 0.4 and len(rw.passages) >= 10
    assert rw.direction == "b->a"


# --------------------------------------------------------------------------- browser


def _driver(tmp: Path, width: int = 1400, height: int = 1000):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium not installed")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium or not Path("/usr/bin/chromedriver").exists():
        pytest.skip("chromium / chromedriver not installed")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tempfile.mkdtemp(dir=tmp, prefix='chrome-')}", f"--window-size={width},{height}"):
        opts.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=opts)


def _wait(drv, cond, timeout: float = 5.0):
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def _in_view(drv, el, container) -> bool:
    return drv.execute_script(
        "var r=arguments[0].getBoundingClientRect(), c=arguments[1].getBoundingClientRect();"
        "return r.bottom > c.top && r.top < c.bottom && r.top >= 0 && r.bottom <= window.innerHeight;", el, container)


@pytest.mark.browser
@pytest.mark.slow  # runs the real scan (sentence encoder) when it is available
def test_browser_seeds_story_family_pair(tmp_path: Path) -> None:
    """The acceptance walk: story with 001 -> family -> pair 000-001 -> click a passage, see its match."""
    if not (SEEDS / "expected.json").exists():
        pytest.skip("seed data absent")
    pytest.importorskip("selenium")  # before its imports: skip, not fail, where it is absent
    from selenium.webdriver.common.by import By

    path, how = seed_report(tmp_path / "seeds.html")
    drv = _driver(tmp_path)
    try:
        drv.get(path.as_uri())
        _wait(drv, lambda: drv.execute_script("return document.documentElement.dataset.ready"))
        assert not drv.execute_script("return window.__pwned")
        # the story that holds 001
        data = embedded(path.read_text(encoding="utf-8"))
        ix = {a[0]: k for k, a in enumerate(data["A"])}
        i001 = next(k for a, k in ix.items() if a.startswith("001"))
        story_id = next(g[1] for g in data["G"] if g[0] == 1 and i001 in g[2])
        # the story list holds stories of two or more; 003 (a story of its own) is under Articles
        assert len(drv.find_elements(By.CSS_SELECTOR, "#story-list li")) == 1
        assert "1 article stands alone" in drv.find_element(By.CSS_SELECTOR, ".toolbar").text
        link = drv.find_element(By.CSS_SELECTOR, f'a[data-story="{story_id}"]')
        link.click()
        _wait(drv, lambda: drv.find_elements(By.CSS_SELECTOR, ".family svg"))
        assert drv.execute_script("return location.hash").startswith("#story/")
        nodes = drv.find_elements(By.CSS_SELECTOR, ".family svg a.node")
        assert len(nodes) >= 3 and len(drv.find_elements(By.CSS_SELECTOR, ".family svg a.node.origin")) == 1
        drv.save_screenshot(str(tmp_path / "story.png"))
        # in the family graph, the edge between 000 and 001
        edges = drv.find_elements(By.CSS_SELECTOR, ".family svg a.edge-link")
        hrefs = [drv.execute_script("return arguments[0].getAttribute('href')", e) for e in edges]
        target = next(e for e, h in zip(edges, hrefs) if "000_" in h and "001_" in h)
        drv.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true}))", target)
        _wait(drv, lambda: drv.find_elements(By.ID, "pane-a"))
        assert drv.execute_script("return location.hash").startswith("#pair/")
        pane_a, pane_b = drv.find_element(By.ID, "pane-a"), drv.find_element(By.ID, "pane-b")
        marks_a = pane_a.find_elements(By.CSS_SELECTOR, "mark.p")
        marks_b = pane_b.find_elements(By.CSS_SELECTOR, "mark.p")
        assert marks_a and marks_b, "highlighted passages on both sides"
        assert drv.find_element(By.ID, "cov-a").text.strip().endswith("%")
        # click a passage far down on the left; its match on the right gets marked and scrolled into view
        mark = marks_a[int(len(marks_a) * 0.8)]
        drv.execute_script("arguments[0].scrollIntoView({block:'center'})", mark)
        pid = mark.get_attribute("data-p").split()[0]
        mark.click()
        on_b = _wait(drv, lambda: pane_b.find_elements(By.CSS_SELECTOR, "mark.p.on"))
        assert pid in on_b[0].get_attribute("data-p").split()
        assert _in_view(drv, on_b[0], pane_b), "the match is scrolled into view"
        assert "passage" in drv.find_element(By.ID, "pcount").text
        # for the picture: page at the top (header, coverage, legend), the panes keep their scroll
        drv.execute_script("window.scrollTo(0, 0)")
        assert _in_view(drv, on_b[0], pane_b)
        shot = tmp_path / "pair.png"
        drv.save_screenshot(str(shot))
        if os.environ.get("RETOLD_UPDATE_SCREENSHOT") == "1":
            DOCS_PNG.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, DOCS_PNG)
        # Escape goes back to the story; the browser's back button works too
        drv.find_element(By.TAG_NAME, "body").send_keys("\ue00c")
        _wait(drv, lambda: drv.execute_script("return location.hash").startswith("#story/"))
        drv.back()
        _wait(drv, lambda: drv.execute_script("return location.hash") == "#stories" or
              drv.execute_script("return location.hash") == "")
    finally:
        drv.quit()


@pytest.mark.browser
def test_browser_escaping_search_keyboard_and_narrow(tmp_path: Path) -> None:
    pytest.importorskip("selenium")  # before its imports: skip, not fail, where it is absent
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    page = tmp_path / "small.html"
    page.write_text(render_report(*small_input()), encoding="utf-8")
    drv = _driver(tmp_path, width=600, height=900)
    try:
        drv.get(page.as_uri() + "#pair/a1/a2")
        _wait(drv, lambda: drv.execute_script("return document.documentElement.dataset.ready"))
        assert not drv.execute_script("return window.__pwned"), "text became script"
        text_a = drv.find_element(By.ID, "pane-a").text
        assert "</script><script>window.__pwned=1</script>" in text_a and "<b>bold</b>" in text_a
        # a javascript: URL is never made a link
        assert not drv.find_elements(By.CSS_SELECTOR, 'a[href^="javascript"]')
        # narrow: the two sides stack
        ra = drv.find_element(By.ID, "pane-a").rect
        rb = drv.find_element(By.ID, "pane-b").rect
        assert rb["y"] > ra["y"] + ra["height"] - 1 and abs(ra["x"] - rb["x"]) < 2
        # '/' focuses search; typing filters; the singleton a3 is findable in Articles
        drv.find_element(By.TAG_NAME, "body").send_keys("/")
        assert drv.switch_to.active_element.get_attribute("id") == "q"
        drv.switch_to.active_element.send_keys("alone")
        _wait(drv, lambda: drv.execute_script("return location.hash") == "#stories")
        drv.get(page.as_uri() + "#articles")
        _wait(drv, lambda: drv.execute_script("return document.documentElement.dataset.ready"))
        drv.find_element(By.TAG_NAME, "body").send_keys("/")
        drv.switch_to.active_element.send_keys("alone")
        _wait(drv, lambda: len(drv.find_elements(By.CSS_SELECTOR, "#article-list li")) == 1)
        time.sleep(0.3)  # let the search debounce settle so the list is not rebuilt under us
        link = drv.find_element(By.CSS_SELECTOR, "#article-list a.item-title")
        assert link.text == "Alone"
        # keyboard only: Tab from the search box reaches the list; Enter opens, Escape goes back
        for _ in range(12):
            ActionChains(drv).send_keys(Keys.TAB).perform()
            if drv.switch_to.active_element == link:
                break
        assert drv.switch_to.active_element == link, "the article link is reachable with Tab"
        ActionChains(drv).send_keys(Keys.ENTER).perform()
        _wait(drv, lambda: drv.execute_script("return location.hash") == "#article/a3")
        drv.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
        _wait(drv, lambda: drv.execute_script("return location.hash") == "#articles")
        # the relation filter on pairs
        drv.find_element(By.TAG_NAME, "body").send_keys("/")
        drv.switch_to.active_element.send_keys(Keys.ESCAPE)  # clears the search
        drv.get(page.as_uri() + "#pairs")
        _wait(drv, lambda: len(drv.find_elements(By.CSS_SELECTOR, "#pair-list li")) == 2)
        time.sleep(0.3)  # the cleared search re-renders after its debounce
        drv.find_element(By.CSS_SELECTOR, 'button[data-rel="partial"]').click()
        _wait(drv, lambda: len(drv.find_elements(By.CSS_SELECTOR, "#pair-list li")) == 1)
        assert "partial" in drv.find_element(By.CSS_SELECTOR, "#pair-list .badge").text
    finally:
        drv.quit()


@pytest.mark.browser
@pytest.mark.slow
def test_browser_10k_first_render_under_2s(tmp_path: Path) -> None:
    pytest.importorskip("selenium")  # before its imports: skip, not fail, where it is absent
    from selenium.webdriver.common.by import By

    page = tmp_path / "big.html"
    arts, pairs, groups = synthetic()
    page.write_text(render_report(arts, pairs, groups), encoding="utf-8")
    drv = _driver(tmp_path)
    try:
        drv.get(page.as_uri())
        _wait(drv, lambda: drv.execute_script("return document.documentElement.dataset.ready"), timeout=20)
        ready_ms = drv.execute_script("return window.__retoldReady")
        assert ready_ms < 2000, f"first render took {ready_ms:.0f} ms"
        # lazily built: one page of stories, not 2,000
        assert len(drv.find_elements(By.CSS_SELECTOR, "#story-list li")) <= 50
        # opening a pair is quick too
        t = time.perf_counter()
        drv.get(page.as_uri() + f"#pair/{pairs[0].a}/{pairs[0].b}")
        _wait(drv, lambda: drv.find_elements(By.CSS_SELECTOR, "#pane-b mark.p"), timeout=10)
        assert time.perf_counter() - t < 5
    finally:
        drv.quit()


@pytest.mark.browser
def test_browser_pair_says_when_its_stories_overrode_it(tmp_path: Path) -> None:
    pytest.importorskip("selenium")  # before its imports: skip, not fail, where it is absent
    from selenium.webdriver.common.by import By

    arts, pairs, groups = small_input()
    pairs[1] = Pair("a2", "a3", "related", 0.35, 0.0, 0.0, None, [], decided="same_story")
    data = build_data(arts, pairs, groups)
    assert [p[9] for p in data["P"]] == [-1, data["R"].index("same_story")]
    page = tmp_path / "decided.html"
    page.write_text(render_report(arts, pairs, groups), encoding="utf-8")
    drv = _driver(tmp_path)
    try:
        drv.get(page.as_uri() + "#pair/a2/a3")
        _wait(drv, lambda: drv.find_elements(By.ID, "decided"))
        said = drv.find_element(By.ID, "decided").text
        assert "same_story" in said and "say related" in said
        drv.get(page.as_uri() + "#pair/a1/a2")
        _wait(drv, lambda: drv.find_elements(By.ID, "pane-a"))
        assert not drv.find_elements(By.ID, "decided"), "a pair whose relation is its own says nothing"
    finally:
        drv.quit()
