/* retold report: a small single-page app over the JSON embedded in #retold-data.
 *
 * Data layout (written by retold/show/report.py, version D.v):
 *   T: texts, each stored once (copies share one entry)
 *   A: articles  [id, title, url, source, published ISO|null, lang, text index, boilerplate [s,e,s,e...]]
 *   P: pairs     [a index, b index, relation index in R, score, coverage_a, coverage_b,
 *                 direction 0 none | 1 a->b | 2 b->a, passages [a_s,a_e,b_s,b_e,kind index in K,similarity%...],
 *                 basis 0 compared | 1 implied by a story | 2 implied by a storyline |
 *                 3 a translation through a third text,
 *                 decided: the pair's own relation index in R where its stories overrode it, else -1]
 *   G: groups    [0 family | 1 story, id, [member indices], origin index | -1]
 * Offsets are UTF-16 code units into the text (what JavaScript strings index).
 *
 * Only what is on screen is built: lists are paged, a pair's texts are built when it opens.
 * Every piece of data reaches the DOM as a text node or attribute value, never as HTML.
 */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("retold-data").textContent);
  var A = D.A, P = D.P, G = D.G, T = D.T, R = D.R, K = D.K;
  var nA = A.length, PAGE = 50, REUSE = 5; // the first five relations are reuse
  var REL_COLOR = { duplicate: "#7b1e5a", near_duplicate: "#a13a7e", partial: "#b65c00", rewrite: "#08707c",
    translation: "#2f7d32", same_story: "#3e54a3", related: "#6b7280" };
  var REL_DASH = { duplicate: "", near_duplicate: "", partial: "7 4", rewrite: "5 3", translation: "9 3 2 3",
    same_story: "1 5", related: "1 5" };
  var FAM_COLORS = ["#2451c7", "#08707c", "#b65c00", "#7b1e5a", "#2f7d32", "#6a4bc4", "#a13a7e", "#4d7ea8"];
  var SVGNS = "http://www.w3.org/2000/svg";

  /* ---------- indexes, built once ---------- */
  var idIx = new Map();
  for (var i = 0; i < nA; i++) idIx.set(A[i][0], i);
  var pairsOf = new Array(nA);
  for (i = 0; i < nA; i++) pairsOf[i] = [];
  var pairIx = new Map();
  P.forEach(function (p, k) {
    pairsOf[p[0]].push(k); pairsOf[p[1]].push(k);
    pairIx.set(p[0] + "|" + p[1], k); pairIx.set(p[1] + "|" + p[0], k);
  });
  var families = [], stories = [];
  G.forEach(function (g) { (g[0] === 0 ? families : stories).push(g); });
  var famOf = new Int32Array(nA).fill(-1), storyOf = new Int32Array(nA).fill(-1);
  families.forEach(function (f, k) { f[2].forEach(function (m) { famOf[m] = k; }); });
  stories.forEach(function (s, k) { s[2].forEach(function (m) { storyOf[m] = k; }); });
  // A family whose members no story holds (a scan without stories) is shown as its own story.
  families.forEach(function (f) {
    var loose = f[2].filter(function (m) { return storyOf[m] < 0; });
    if (loose.length) {
      var k = stories.length;
      stories.push([1, "family-" + f[1], loose, f[3]]);
      loose.forEach(function (m) { storyOf[m] = k; });
    }
  });
  var storyIx = new Map();
  stories.forEach(function (s, k) { storyIx.set(s[1], k); });
  var famsOfStory = stories.map(function () { return []; });
  families.forEach(function (f, k) {
    var s = storyOf[f[3] >= 0 ? f[3] : f[2][0]];
    if (s >= 0) famsOfStory[s].push(k);
  });
  var dateOf = new Float64Array(nA);
  for (i = 0; i < nA; i++) { var t = A[i][4] ? Date.parse(A[i][4]) : NaN; dateOf[i] = t; }

  var storyMemo = new Map();
  function storyInfo(k) {
    var m = storyMemo.get(k);
    if (m) return m;
    var s = stories[k], members = s[2], lo = Infinity, hi = -Infinity, dated = 0;
    var sources = new Map(), langs = new Map();
    members.forEach(function (x) {
      var d = dateOf[x];
      if (d === d) { dated++; if (d < lo) lo = d; if (d > hi) hi = d; }
      var src = A[x][3]; if (src) sources.set(src, (sources.get(src) || 0) + 1);
      var l = A[x][5]; if (l) langs.set(l, (langs.get(l) || 0) + 1);
    });
    var fams = famsOfStory[k].slice().sort(function (a, b) { return families[b][2].length - families[a][2].length; });
    var lead = -1;
    if (fams.length && families[fams[0]][3] >= 0) lead = families[fams[0]][3];
    if (lead < 0 && s[3] >= 0) lead = s[3];
    if (lead < 0) { // earliest dated member with a title, else any with a title
      var best = Infinity;
      members.forEach(function (x) { if (A[x][1] && dateOf[x] < best) { best = dateOf[x]; lead = x; } });
      if (lead < 0) lead = members.find(function (x) { return A[x][1]; });
      if (lead === undefined || lead < 0) lead = members[0];
    }
    m = { k: k, members: members, size: members.length, lo: lo, hi: hi, dated: dated, fams: fams,
      sources: sortedKeys(sources), langs: sortedKeys(langs), lead: lead };
    storyMemo.set(k, m);
    return m;
  }
  function sortedKeys(map) {
    return Array.from(map.keys()).sort(function (a, b) { return map.get(b) - map.get(a) || (a < b ? -1 : 1); });
  }

  /* ---------- small helpers ---------- */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) for (var k in attrs) setAttr(el, k, attrs[k]);
    for (var j = 2; j < arguments.length; j++) add(el, arguments[j]);
    return el;
  }
  function s(tag, attrs) {
    var el = document.createElementNS(SVGNS, tag);
    if (attrs) for (var k in attrs) setAttr(el, k, attrs[k]);
    for (var j = 2; j < arguments.length; j++) add(el, arguments[j]);
    return el;
  }
  function setAttr(el, k, v) {
    if (v === null || v === undefined || v === false) return;
    if (k === "text") el.textContent = v;
    else if (k === "on") for (var ev in v) el.addEventListener(ev, v[ev]);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  function add(el, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) c.forEach(function (x) { add(el, x); });
    else if (typeof c === "object") el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
  function enc(id) { return encodeURIComponent(id); }
  function artHref(x) { return "#article/" + enc(A[x][0]); }
  function storyHref(k) { return "#story/" + enc(stories[k][1]); }
  function pairHref(k) { return "#pair/" + enc(A[P[k][0]][0]) + "/" + enc(A[P[k][1]][0]); }
  // Articles without a title (plain-text inputs) are named by their first line, then by id.
  function titleOf(x) {
    if (A[x][1]) return A[x][1];
    var m = /\S[^\n]*/.exec(T[A[x][6]].slice(0, 300));
    return m ? clip(m[0].trim(), 120) : A[x][0];
  }
  function clip(str, n) { return str.length > n ? str.slice(0, n - 1) + "…" : str; }
  function pct(v) { return Math.round(v * 100) + "%"; }
  function num(n) { return n.toLocaleString("en-US"); }
  function fmtDate(ms, withTime) {
    if (ms !== ms || !isFinite(ms)) return "";
    var iso = new Date(ms).toISOString();
    return withTime ? iso.slice(0, 10) + " " + iso.slice(11, 16) : iso.slice(0, 10);
  }
  function spanText(lo, hi) {
    if (!isFinite(lo)) return "no dates";
    if (hi - lo < 864e5 && fmtDate(lo) === fmtDate(hi)) return fmtDate(lo);
    return fmtDate(lo) + " – " + fmtDate(hi);
  }
  function safeUrl(u) { return u && /^https?:\/\//i.test(u) ? u : null; }
  function badge(rel) { return h("span", { "class": "badge rel-" + rel, text: rel.replace("_", " ") }); }
  function moreButton(shown, total, onMore) {
    if (shown >= total) return null;
    return h("div", { "class": "more" },
      h("button", { "class": "btn", type: "button", on: { click: onMore } },
        "Show " + Math.min(PAGE, total - shown) + " more"),
      h("span", { "class": "muted small" }, "  showing " + num(shown) + " of " + num(total)));
  }

  /* ---------- search ---------- */
  var q = document.getElementById("q"), hay = null;
  function matcher() {
    var terms = q.value.toLowerCase().split(/\s+/).filter(Boolean);
    if (!terms.length) return null;
    if (!hay) {
      hay = new Array(nA);
      for (var x = 0; x < nA; x++) {
        var a = A[x];
        hay[x] = (a[0] + " " + (a[1] || "") + " " + (a[3] || "") + " " + (a[2] || "")).toLowerCase();
      }
    }
    return function (x) {
      for (var j = 0; j < terms.length; j++) if (hay[x].indexOf(terms[j]) < 0) return false;
      return true;
    };
  }

  /* ---------- views ---------- */
  var app = document.getElementById("app");
  var ui = { tab: "stories", sort: "size", rel: -1, shown: PAGE };
  var lastList = "stories";

  function listView(tab) {
    if (ui.tab !== tab) { ui.tab = tab; ui.shown = PAGE; }
    lastList = tab;
    var match = matcher();
    var frag = [];
    var nSingle = 0;
    for (var x = 0; x < nA; x++) if (storyOf[x] < 0 || stories[storyOf[x]][2].length === 1) nSingle++;
    var nSingleStories = stories.filter(function (st) { return st[2].length < 2; }).length;
    var tabs = h("div", { "class": "tabs", role: "tablist" },
      tabButton("stories", "Stories", stories.length - nSingleStories),
      tabButton("articles", "Articles", nA),
      tabButton("pairs", "Pairs", P.length));
    frag.push(tabs);
    if (tab === "stories") frag.push(storiesList(match, nSingle));
    else if (tab === "articles") frag.push(articlesList(match));
    else frag.push(pairsList(match, null));
    return frag;
  }
  function tabButton(tab, label, n) {
    return h("a", { "class": "tab", role: "tab", href: "#" + tab, "aria-selected": ui.tab === tab ? "true" : "false" },
      label, h("span", { "class": "n", text: num(n) }));
  }

  function storiesList(match, nSingle) {
    var ks = [];
    for (var k = 0; k < stories.length; k++) {
      if (stories[k][2].length < 2) continue;  // a single article is no story: it is under Articles
      if (match && !stories[k][2].some(match)) continue;
      ks.push(k);
    }
    var infos = ks.map(storyInfo);
    var by = ui.sort;
    infos.sort(function (a, b) {
      if (by === "newest") return (b.dated ? b.hi : -Infinity) - (a.dated ? a.hi : -Infinity) || b.size - a.size;
      if (by === "oldest") return (a.dated ? a.lo : Infinity) - (b.dated ? b.lo : Infinity) || b.size - a.size;
      return b.size - a.size || (b.dated ? b.hi : -Infinity) - (a.dated ? a.hi : -Infinity);
    });
    var sel = h("select", { id: "sort", "aria-label": "Sort stories", on: { change: function (e) { ui.sort = e.target.value; ui.shown = PAGE; render(); } } },
      h("option", { value: "size", text: "Largest first" }),
      h("option", { value: "newest", text: "Newest first" }),
      h("option", { value: "oldest", text: "Oldest first" }));
    sel.value = by;
    var bar = h("div", { "class": "toolbar" },
      h("span", {}, num(infos.length) + (match ? " matching" : "") + (infos.length === 1 ? " story" : " stories")), sel,
      nSingle ? h("span", { "class": "small" }, num(nSingle) + (nSingle === 1 ? " article stands" : " articles stand") + " alone; find them under ",
        h("a", { href: "#articles" }, "Articles"), ".") : null);
    if (!infos.length) return [bar, h("div", { "class": "empty", text: match ? "No story matches this search." : "No stories in this scan." })];
    var ul = h("ul", { "class": "list", id: "story-list" });
    infos.slice(0, ui.shown).forEach(function (m) { ul.appendChild(storyCard(m)); });
    return [bar, ul, moreButton(Math.min(ui.shown, infos.length), infos.length, function () { ui.shown += PAGE; render(true); })];
  }
  function storyCard(m) {
    var srcs = m.sources.slice(0, 3).join(", ") + (m.sources.length > 3 ? " +" + (m.sources.length - 3) : "");
    return h("li", { "class": "card story" },
      h("div", { "class": "row" },
        h("div", { "class": "grow" },
          h("a", { "class": "item-title", href: storyHref(m.k), "data-story": stories[m.k][1] }, clip(titleOf(m.lead), 140)),
          h("div", { "class": "meta" },
            h("span", {}, h("b", {}, num(m.size)), m.size === 1 ? " article" : " articles"),
            m.fams.length ? h("span", {}, h("b", {}, m.fams.length), m.fams.length === 1 ? " family" : " families") : null,
            h("span", { text: spanText(m.lo, m.hi) }),
            srcs ? h("span", { text: srcs }) : null,
            m.langs.length ? h("span", { text: m.langs.join(" · ") }) : null))));
  }

  function articlesList(match) {
    var xs = [];
    for (var x = 0; x < nA; x++) if (!match || match(x)) xs.push(x);
    xs.sort(function (a, b) { return (dateOf[b] === dateOf[b] ? dateOf[b] : -Infinity) - (dateOf[a] === dateOf[a] ? dateOf[a] : -Infinity) || a - b; });
    var bar = h("div", { "class": "toolbar" }, num(xs.length) + (match ? " matching" : "") + " articles, newest first");
    if (!xs.length) return [bar, h("div", { "class": "empty", text: "No article matches this search." })];
    var ul = h("ul", { "class": "list", id: "article-list" });
    xs.slice(0, ui.shown).forEach(function (x) { ul.appendChild(articleCard(x)); });
    return [bar, ul, moreButton(Math.min(ui.shown, xs.length), xs.length, function () { ui.shown += PAGE; render(true); })];
  }
  function articleCard(x) {
    var a = A[x], st = storyOf[x];
    return h("li", { "class": "card" },
      h("a", { "class": "item-title", href: artHref(x) }, clip(titleOf(x), 160)),
      h("div", { "class": "meta" },
        a[3] ? h("span", { text: a[3] }) : null,
        dateOf[x] === dateOf[x] ? h("span", { text: fmtDate(dateOf[x]) }) : null,
        a[5] ? h("span", { text: a[5] }) : null,
        h("span", { "class": "small", text: "id " + a[0] }),
        h("span", {}, num(pairsOf[x].length) + (pairsOf[x].length === 1 ? " pair" : " pairs")),
        st >= 0 && stories[st][2].length > 1 ? h("a", { href: storyHref(st) }, "story of " + stories[st][2].length) : h("span", { text: "stands alone" })));
  }

  function relFilter(counts, onPick) {
    var wrap = h("span", { "class": "chip", role: "group", "aria-label": "Filter pairs by relation" });
    wrap.appendChild(h("button", { "class": "btn", type: "button", "aria-pressed": ui.rel < 0 ? "true" : "false", on: { click: function () { onPick(-1); } } }, "All"));
    R.forEach(function (r, k) {
      if (!counts[k]) return;
      wrap.appendChild(h("button", { "class": "btn", type: "button", "data-rel": r, "aria-pressed": ui.rel === k ? "true" : "false", on: { click: function () { onPick(k); } } },
        r.replace("_", " ") + " " + num(counts[k])));
    });
    return wrap;
  }
  function pairsList(match, within) {
    var ks = within || P.map(function (_, k) { return k; });
    if (match) ks = ks.filter(function (k) { return match(P[k][0]) || match(P[k][1]); });
    var counts = new Array(R.length).fill(0);
    ks.forEach(function (k) { counts[P[k][2]]++; });
    if (ui.rel >= 0 && !counts[ui.rel]) ui.rel = -1;
    var shownKs = ui.rel < 0 ? ks : ks.filter(function (k) { return P[k][2] === ui.rel; });
    shownKs = shownKs.slice().sort(function (a, b) { return P[a][2] - P[b][2] || P[b][3] - P[a][3]; });
    var bar = h("div", { "class": "toolbar" }, h("span", {}, num(shownKs.length) + " pairs"),
      relFilter(counts, function (r) { ui.rel = r; ui.shown = PAGE; render(true); }));
    if (!shownKs.length) return [bar, h("div", { "class": "empty", text: "No pair here." })];
    var ul = h("ul", { "class": "list", id: "pair-list" });
    shownKs.slice(0, ui.shown).forEach(function (k) { ul.appendChild(pairCard(k)); });
    return [bar, ul, moreButton(Math.min(ui.shown, shownKs.length), shownKs.length, function () { ui.shown += PAGE; render(true); })];
  }
  function pairCard(k) {
    var p = P[k], rel = R[p[2]], arrow = p[6] === 1 ? " → " : p[6] === 2 ? " ← " : " ↔ ";
    return h("li", { "class": "card" },
      h("div", { "class": "row" },
        badge(rel),
        h("a", { "class": "item-title grow", href: pairHref(k), "data-pair": A[p[0]][0] + "/" + A[p[1]][0] },
          clip(titleOf(p[0]), 70) + arrow + clip(titleOf(p[1]), 70)),
        h("span", { "class": "stat" }, "score ", h("b", { text: p[3].toFixed(2) })),
        h("span", { "class": "stat" }, "coverage ", h("b", { text: pct(p[4]) }), " / ", h("b", { text: pct(p[5]) }))),
      h("div", { "class": "meta" },
        h("span", { text: (A[p[0]][3] || A[p[0]][0]) + arrow + (A[p[1]][3] || A[p[1]][0]) }),
        h("span", { text: (p[7].length / 6) + " aligned passages" })));
  }

  /* ---------- story ---------- */
  function storyView(k) {
    var m = storyInfo(k);
    var out = [];
    out.push(h("nav", { "class": "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: "#stories" }, "Stories"), " › story"));
    out.push(h("h1", { id: "story-title", text: titleOf(m.lead) }));
    out.push(h("div", { "class": "summary" },
      stat(num(m.size), m.size === 1 ? "article" : "articles"),
      stat(m.fams.length, m.fams.length === 1 ? "family" : "families"),
      m.sources.length ? stat(num(m.sources.length), m.sources.length === 1 ? "source" : "sources") : null,
      m.langs.length ? stat(m.langs.join(", "), m.langs.length === 1 ? "language" : "languages") : null,
      stat(spanText(m.lo, m.hi), m.dated < m.size ? "(" + m.dated + " of " + m.size + " dated)" : "")));
    if (m.sources.length) out.push(h("div", { "class": "meta" }, h("span", { text: "Sources: " + clip(m.sources.join(", "), 400) })));

    var famBox = h("section", { "aria-labelledby": "h-fam" }, h("h2", { id: "h-fam" }, "Families of reuse"));
    if (!m.fams.length) famBox.appendChild(h("p", { "class": "muted small", text: "No article here copies, rewrites or translates another; these are independent reports." }));
    m.fams.slice(0, 20).forEach(function (f) { famBox.appendChild(familyCard(f)); });
    if (m.fams.length > 20) famBox.appendChild(h("p", { "class": "muted small", text: (m.fams.length - 20) + " smaller families not drawn; their pairs are listed below." }));

    var tl = h("section", { "aria-labelledby": "h-time", "class": "timeline" }, h("h2", { id: "h-time" }, "Timeline of publication"), timeline(m));
    out.push(h("div", { "class": "grid2" }, famBox, tl));

    var inStory = new Set(m.members), within = [], related = new Map();
    m.members.forEach(function (x) {
      pairsOf[x].forEach(function (pk) {
        var p = P[pk], other = p[0] === x ? p[1] : p[0];
        if (inStory.has(other)) { if (p[0] === x) within.push(pk); }
        else if (storyOf[other] >= 0) related.set(storyOf[other], (related.get(storyOf[other]) || 0) + 1);
      });
    });
    out.push(h("section", { "aria-labelledby": "h-arts" }, h("h2", { id: "h-arts" }, "Articles"), membersTable(m)));
    out.push(h("section", { "aria-labelledby": "h-pairs" }, h("h2", { id: "h-pairs" }, "Pairs in this story"), pairsList(matcher(), within)));
    if (related.size) {
      var ul = h("ul", { "class": "list" });
      Array.from(related.keys()).sort(function (a, b) { return related.get(b) - related.get(a); }).slice(0, 12)
        .forEach(function (sk) { ul.appendChild(storyCard(storyInfo(sk))); });
      out.push(h("section", {}, h("h2", {}, "Related stories"), ul));
    }
    return out;
  }
  function stat(big, small) { return h("div", { "class": "stat" }, h("b", { text: String(big) }), " ", small); }

  function membersTable(m) {
    var xs = m.members.slice().sort(function (a, b) {
      var da = dateOf[a] === dateOf[a] ? dateOf[a] : Infinity, db = dateOf[b] === dateOf[b] ? dateOf[b] : Infinity;
      return da - db || a - b;
    });
    var shown = Math.min(xs.length, ui.members || PAGE);
    var tb = h("tbody");
    xs.slice(0, shown).forEach(function (x) {
      var f = famOf[x], isOrigin = f >= 0 && families[f][3] === x;
      tb.appendChild(h("tr", {},
        h("td", {}, h("a", { href: artHref(x) }, clip(titleOf(x), 110)),
          isOrigin ? [" ", h("span", { "class": "tag origin", text: "origin" })] : null),
        h("td", { text: A[x][3] || "" }),
        h("td", { text: fmtDate(dateOf[x]) || "–" }),
        h("td", { text: A[x][5] || "" }),
        h("td", {}, f >= 0 ? h("span", { "class": "tag", style: "border-left:4px solid " + FAM_COLORS[m.fams.indexOf(f) % FAM_COLORS.length], text: "family " + (m.fams.indexOf(f) + 1) }) : "")));
    });
    return [h("div", { "class": "card", style: "padding:4px 8px" }, h("table", { "class": "plain" },
      h("thead", {}, h("tr", {}, h("th", { text: "Title" }), h("th", { text: "Source" }), h("th", { text: "Published" }), h("th", { text: "Lang" }), h("th", { text: "Family" }))), tb)),
      moreButton(shown, xs.length, function () { ui.members = (ui.members || PAGE) + PAGE * 4; render(true); })];
  }

  var svgSeq = 0;
  function familyCard(f) {
    var fam = families[f], members = fam[2], origin = fam[3] >= 0 ? fam[3] : members[0];
    var card = h("div", { "class": "card family", "data-family": fam[1] });
    card.appendChild(h("h3", {}, "Family of " + members.length + " · origin ",
      h("a", { href: artHref(origin) }, clip(titleOf(origin), 80)),
      A[origin][3] ? h("span", { "class": "muted", text: " (" + A[origin][3] + ")" }) : null));
    add(card, familyGraph(fam, origin));
    return card;
  }

  function familyGraph(fam, origin) {
    var MAXN = 60, inFam = new Set(fam[2]), edges = [], adj = new Map();
    fam[2].forEach(function (x) { adj.set(x, []); });
    fam[2].forEach(function (x) {
      pairsOf[x].forEach(function (pk) {
        var p = P[pk];
        if (p[0] !== x || p[2] >= REUSE || !inFam.has(p[1])) return;
        edges.push(pk); adj.get(p[0]).push(p[1]); adj.get(p[1]).push(p[0]);
      });
    });
    // Layers by distance from the origin; members cut off from it go in a last layer.
    var depth = new Map([[origin, 0]]), order = [origin];
    for (var qi = 0; qi < order.length; qi++) {
      adj.get(order[qi]).forEach(function (y) { if (!depth.has(y)) { depth.set(y, depth.get(order[qi]) + 1); order.push(y); } });
    }
    var maxD = 0; depth.forEach(function (d) { if (d > maxD) maxD = d; });
    fam[2].forEach(function (x) { if (!depth.has(x)) { depth.set(x, maxD + 1); order.push(x); } });
    var drawn = order.slice(0, MAXN), drawnSet = new Set(drawn), layers = [];
    drawn.forEach(function (x) { var d = depth.get(x); (layers[d] = layers[d] || []).push(x); });
    layers = layers.filter(Boolean);
    var W = 200, H = 42, GX = 80, GY = 14, pos = new Map();
    layers.forEach(function (layer, li) {
      if (li > 0) { // order by the mean row of neighbours already placed (fewer crossings)
        var key = new Map();
        layer.forEach(function (x) {
          var ys = adj.get(x).filter(function (y) { return pos.has(y); }).map(function (y) { return pos.get(y)[1]; });
          key.set(x, ys.length ? ys.reduce(function (a, b) { return a + b; }, 0) / ys.length : 1e9);
        });
        layer.sort(function (a, b) { return key.get(a) - key.get(b); });
      }
      layer.forEach(function (x, r) { pos.set(x, [li * (W + GX) + 6, r * (H + GY) + 6]); });
    });
    var rows = Math.max.apply(null, layers.map(function (l) { return l.length; }));
    var width = layers.length * (W + GX) - GX + 12, height = rows * (H + GY) - GY + 12;
    // centre short layers vertically
    layers.forEach(function (layer) {
      var off = (rows - layer.length) * (H + GY) / 2;
      layer.forEach(function (x) { pos.get(x)[1] += off; });
    });
    var id = "g" + (++svgSeq), defs = s("defs"), used = {};
    width += 50; // room for links between members of one layer, drawn as loops to the right
    var svg = s("svg", { "class": "graph", viewBox: "0 0 " + width + " " + height, role: "group", "aria-label": "Family graph: the origin on the left, articles derived from it to the right", style: "max-width:" + width + "px" });
    svg.appendChild(defs);
    edges.forEach(function (pk) {
      var p = P[pk];
      if (!drawnSet.has(p[0]) || !drawnSet.has(p[1])) return;
      var rel = R[p[2]], from = p[0], to = p[1];
      if (p[6] === 2 || (p[6] === 0 && depth.get(p[0]) > depth.get(p[1]))) { from = p[1]; to = p[0]; }
      var a = pos.get(from), b = pos.get(to), x1, y1 = a[1] + H / 2, x2, y2 = b[1] + H / 2;
      if (a[0] === b[0]) { x1 = a[0] + W; x2 = b[0] + W; } else if (a[0] < b[0]) { x1 = a[0] + W; x2 = b[0]; } else { x1 = a[0]; x2 = b[0] + W; }
      var d = a[0] === b[0]
        ? "M" + x1 + "," + y1 + " C" + (x1 + 40) + "," + y1 + " " + (x2 + 40) + "," + y2 + " " + x2 + "," + y2
        : "M" + x1 + "," + y1 + " C" + ((x1 + x2) / 2) + "," + y1 + " " + ((x1 + x2) / 2) + "," + y2 + " " + x2 + "," + y2;
      var color = REL_COLOR[rel] || "#6b7280", mid = id + "-" + rel;
      if (p[6] !== 0 && !used[rel]) {
        used[rel] = 1;
        defs.appendChild(s("marker", { id: mid, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
          s("path", { d: "M0,0 L10,5 L0,10 z", fill: color })));
      }
      svg.appendChild(s("a", { href: pairHref(pk), "class": "edge-link", "aria-label": rel + " pair: " + titleOf(p[0]) + " and " + titleOf(p[1]) },
        s("title", { text: rel.replace("_", " ") + " · score " + p[3].toFixed(2) + " · coverage " + pct(p[4]) + " / " + pct(p[5]) }),
        s("path", { "class": "edge-hit", d: d }),
        s("path", { "class": "edge", d: d, stroke: color, "stroke-dasharray": REL_DASH[rel] || null, "marker-end": p[6] !== 0 ? "url(#" + mid + ")" : null })));
    });
    drawn.forEach(function (x) {
      var xy = pos.get(x), isO = x === origin, sub = [A[x][3], fmtDate(dateOf[x]), A[x][5]].filter(Boolean).join(" · ");
      svg.appendChild(s("a", { href: artHref(x), "class": "node" + (isO ? " origin" : ""), "aria-label": (isO ? "origin: " : "") + titleOf(x) },
        s("title", { text: titleOf(x) + (sub ? "\n" + sub : "") + "\nid " + A[x][0] }),
        s("rect", { x: xy[0], y: xy[1], width: W, height: H, rx: 6 }),
        s("text", { x: xy[0] + 9, y: xy[1] + 17, text: (isO ? "★ " : "") + clip(titleOf(x), isO ? 27 : 29) }),
        s("text", { "class": "sub", x: xy[0] + 9, y: xy[1] + 33, text: clip(sub || A[x][0], 32) })));
    });
    var rels = {};
    edges.forEach(function (pk) { rels[R[P[pk][2]]] = 1; });
    var legend = h("div", { "class": "legend", style: "margin:8px 0 0" });
    Object.keys(rels).forEach(function (rel) {
      legend.appendChild(h("span", {}, svgLine(rel), " " + rel.replace("_", " ")));
    });
    legend.appendChild(h("span", { text: "★ origin · arrows point from source to copy" }));
    var note = order.length > MAXN ? h("p", { "class": "muted small", text: (order.length - MAXN) + " more members not drawn." }) : null;
    return [svg, legend, note];
  }
  function svgLine(rel) {
    return s("svg", { width: 28, height: 8, "aria-hidden": "true" },
      s("line", { x1: 1, y1: 4, x2: 27, y2: 4, stroke: REL_COLOR[rel] || "#6b7280", "stroke-width": 2.5, "stroke-dasharray": REL_DASH[rel] || null }));
  }

  function timeline(m) {
    var xs = m.members.filter(function (x) { return dateOf[x] === dateOf[x]; });
    if (!xs.length) return h("p", { "class": "muted small", text: "No article in this story carries a publication date." });
    xs.sort(function (a, b) { return dateOf[a] - dateOf[b]; });
    xs = xs.slice(0, 400);
    var lo = dateOf[xs[0]], hi = dateOf[xs[xs.length - 1]];
    if (hi - lo < 36e5) { lo -= 432e5; hi += 432e5; }
    var W = 560, L = 20, Rr = 20, step = 11, rowsAt = [], maxRow = 0, pts = [];
    xs.forEach(function (x) {
      var px = L + (dateOf[x] - lo) / (hi - lo) * (W - L - Rr), row = 0;
      while (rowsAt[row] !== undefined && px - rowsAt[row] < 12) row++;
      rowsAt[row] = px; if (row > maxRow) maxRow = row;
      pts.push([x, px, row]);
    });
    var axisY = 14 + (maxRow + 1) * step + 4, H = axisY + 34;
    var svg = s("svg", { "class": "tl", viewBox: "0 0 " + W + " " + H, role: "group", "aria-label": "Publication timeline", style: "max-width:" + W + "px" });
    svg.appendChild(s("line", { "class": "axis", x1: L, y1: axisY, x2: W - Rr, y2: axisY }));
    var withTime = hi - lo < 3 * 864e5;
    var nt = withTime ? 2 : 4;
    for (var t = 0; t <= nt; t++) {
      var tx = L + t * (W - L - Rr) / nt, ms = lo + t * (hi - lo) / nt;
      svg.appendChild(s("line", { "class": "axis", x1: tx, y1: axisY, x2: tx, y2: axisY + 4 }));
      svg.appendChild(s("text", { x: tx, y: axisY + 17, "text-anchor": t === 0 ? "start" : t === nt ? "end" : "middle", text: fmtDate(ms, withTime) }));
    }
    pts.forEach(function (pt) {
      var x = pt[0], f = famOf[x], isO = f >= 0 && families[f][3] === x;
      var color = f >= 0 ? FAM_COLORS[Math.max(0, m.fams.indexOf(f)) % FAM_COLORS.length] : "#9aa3b1";
      svg.appendChild(s("a", { href: artHref(x), "aria-label": titleOf(x) },
        s("title", { text: fmtDate(dateOf[x], true) + " · " + (A[x][3] || "") + "\n" + titleOf(x) }),
        isO ? s("rect", { "class": "dot", x: pt[1] - 6, y: axisY - 10 - pt[2] * step - 6, width: 12, height: 12, fill: "#c48a00", transform: "rotate(45 " + pt[1] + " " + (axisY - 10 - pt[2] * step) + ")" })
          : s("circle", { "class": "dot", cx: pt[1], cy: axisY - 10 - pt[2] * step, r: 5.5, fill: color })));
    });
    var undated = m.size - m.dated;
    return [svg, h("div", { "class": "legend", style: "margin-top:4px" },
      h("span", {}, "◆ origin of a family · dots coloured by family, grey: in no family"),
      undated ? h("span", { text: undated + " of " + m.size + " articles have no date and are not shown." }) : null)];
  }

  /* ---------- article ---------- */
  function articleView(x) {
    var a = A[x], st = storyOf[x], f = famOf[x], url = safeUrl(a[2]);
    var out = [h("nav", { "class": "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: "#articles" }, "Articles"),
      st >= 0 ? [" › ", h("a", { href: storyHref(st) }, "story: " + clip(titleOf(storyInfo(st).lead), 60))] : null)];
    out.push(h("h1", { text: titleOf(x) }));
    out.push(h("div", { "class": "meta" },
      a[3] ? h("span", { text: a[3] }) : null,
      h("span", { text: dateOf[x] === dateOf[x] ? fmtDate(dateOf[x], true) : "no date" }),
      a[5] ? h("span", { text: a[5] }) : null,
      h("span", { text: "id " + a[0] }),
      url ? h("a", { href: url, rel: "noopener noreferrer", target: "_blank" }, "original ↗") : null,
      f >= 0 && families[f][3] === x ? h("span", { "class": "tag origin", text: "origin of a family of " + families[f][2].length }) : null));
    var ps = pairsOf[x].slice().sort(function (p, q2) { return P[p][2] - P[q2][2] || P[q2][3] - P[p][3]; });
    out.push(h("h2", {}, ps.length ? "Pairs (" + ps.length + ")" : "Pairs"));
    if (!ps.length) out.push(h("p", { "class": "muted small", text: "No other article in this scan copies, rewrites, translates or retells this one." }));
    else {
      var ul = h("ul", { "class": "list" });
      ps.slice(0, ui.shown).forEach(function (k) { ul.appendChild(pairCard(k)); });
      out.push(ul, moreButton(Math.min(ui.shown, ps.length), ps.length, function () { ui.shown += PAGE; render(true); }));
    }
    out.push(h("h2", {}, "Text"));
    var pane = h("div", { "class": "pane card", style: "max-height:none" });
    pane.appendChild(textWithMarks(x, [], null));
    out.push(pane);
    return out;
  }

  /* ---------- pair ---------- */
  var cur = null; // the open pair: {k, order, els:[[...],[...]], panes, at}
  function pairView(k) {
    var p = P[k], rel = R[p[2]], n = p[7].length / 6;
    var sideName = p[6] === 1 ? ["source", "derived"] : p[6] === 2 ? ["derived", "source"] : ["A", "B"];
    var st = storyOf[p[0]];
    var out = [h("nav", { "class": "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: "#stories" }, "Stories"),
      st >= 0 ? [" › ", h("a", { href: storyHref(st) }, clip(titleOf(storyInfo(st).lead), 70))] : null, " › pair")];
    var kinds = [0, 0, 0];
    for (var j = 0; j < n; j++) kinds[p[7][j * 6 + 4]]++;
    var src = p[6] === 1 ? 0 : 1;
    var dirLine = p[6] === 0
      ? h("div", { "class": "direction muted" }, "Direction: cannot be told from dates or structure.")
      : h("div", { "class": "direction", id: "direction" }, "Direction: ",
        h("b", { text: src ? "Right" : "Left" }), h("span", { "class": "arrow", text: "→" }), h("b", { text: src ? "Left" : "Right" }),
        h("span", { "class": "muted", text: " · the " + (src ? "right" : "left") + " text (" + clip(A[p[src]][3] || A[p[src]][0], 40) + ") is the source" }));
    out.push(h("div", { "class": "pairhead" },
      h("div", {},
        h("h1", { "class": "pairtitle" }, badge(rel), " ", h("span", { text: clip(titleOf(p[0]), 70) + "  ↔  " + clip(titleOf(p[1]), 70) })),
        h("div", { "class": "meta" }, h("span", {}, "score ", h("b", { text: p[3].toFixed(2) })),
          h("span", { text: n + " aligned passages" }),
          kinds[0] ? h("span", { text: kinds[0] + " verbatim" }) : null,
          kinds[1] ? h("span", { text: kinds[1] + " paraphrase" }) : null,
          kinds[2] ? h("span", { text: kinds[2] + " translation" }) : null),
        dirLine,
        p[9] >= 0 ? h("div", { "class": "direction muted", id: "decided" },
          "Compared alone, this pair looked like " + R[p[9]] + "; the stories, which weigh every pair around these two articles, say " + rel + ".") : null),
      h("div", { "class": "covs", "aria-label": "Coverage" },
        covBar("Left covered by right", p[4], "cov-a"), covBar("Right covered by left", p[5], "cov-b"))));
    var counter = h("span", { id: "pcount", text: n ? "click a highlighted passage to find its match" : "" });
    out.push(h("div", { "class": "legend", id: "legend" },
      h("span", {}, "Passages:"),
      h("mark", { "class": "p k0 sw" }, "verbatim (solid)"),
      h("mark", { "class": "p k1 sw" }, "paraphrase (dashed)"),
      h("mark", { "class": "p k2 sw" }, "translation (dotted)"),
      h("span", { "class": "boiler sw" }, "boilerplate"),
      n ? h("span", { "class": "pnav" },
        h("button", { "class": "btn", type: "button", id: "prev", title: "Previous passage (p)", on: { click: function () { step(-1); } } }, "◀ Prev"),
        h("button", { "class": "btn", type: "button", id: "next", title: "Next passage (n)", on: { click: function () { step(1); } } }, "Next ▶"),
        counter) : null));
    var order = [];
    for (j = 0; j < n; j++) order.push(j);
    order.sort(function (a, b) { return p[7][a * 6] - p[7][b * 6] || p[7][a * 6 + 2] - p[7][b * 6 + 2]; });
    cur = { k: k, n: n, order: order, els: [new Array(n), new Array(n)], panes: [], at: -1, counter: counter };
    var sides = h("div", { "class": "sides" });
    [0, 1].forEach(function (side) {
      var x = p[side], url = safeUrl(A[x][2]);
      var pass = [];
      for (var j2 = 0; j2 < n; j2++) {
        var o = j2 * 6 + side * 2;
        if (p[7][o + 1] > p[7][o]) pass.push([p[7][o], p[7][o + 1], p[7][j2 * 6 + 4], j2]);
      }
      var pane = h("div", { "class": "pane", id: side ? "pane-b" : "pane-a", tabindex: "0", "aria-label": (side ? "Right" : "Left") + " text" });
      pane.appendChild(textWithMarks(x, pass, cur.els[side]));
      cur.panes[side] = pane;
      sides.appendChild(h("section", { "class": "side", "aria-label": (side ? "Right: " : "Left: ") + sideName[side] },
        h("div", { "class": "side-head" },
          h("div", { "class": "which", text: (side ? "Right · " : "Left · ") + sideName[side] }),
          h("a", { "class": "item-title", href: artHref(x) }, clip(titleOf(x), 140)),
          h("div", { "class": "meta" },
            A[x][3] ? h("span", { text: A[x][3] }) : null,
            h("span", { text: dateOf[x] === dateOf[x] ? fmtDate(dateOf[x], true) : "no date" }),
            A[x][5] ? h("span", { text: A[x][5] }) : null,
            h("span", { text: "id " + A[x][0] }),
            url ? h("a", { href: url, rel: "noopener noreferrer", target: "_blank" }, "original ↗") : null)),
        n ? null : h("div", { "class": "nopass", text: p[8] === 1
          ? "Not compared directly: both articles are in one story, through the pairs that were compared."
          : p[8] === 2
            ? "Not compared directly: the two articles' stories are joined by many compared related pairs (one storyline)."
            : p[8] === 3
              ? "Not compared into a relation directly: each is a translation of one third article, most of which both cover."
              : "No aligned passages: the relation rests on shared names, places and facts, not on reused text." }),
        pane));
    });
    out.push(sides);
    return out;
  }
  function covBar(label, v, id) {
    var w = Math.max(0, Math.min(1, v)) * 100;
    return h("div", { "class": "cov", id: id },
      h("span", { text: label }),
      h("div", { "class": "bar", role: "meter", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": Math.round(w), "aria-label": label },
        h("span", { style: "width:" + w.toFixed(1) + "%" })),
      h("span", { "class": "num", text: pct(v) }));
  }

  // Build the text of article x with passages [start, end, kind, index] marked and boilerplate dimmed.
  function textWithMarks(x, pass, els) {
    var text = T[A[x][6]], L = text.length, bo = A[x][7], cuts = new Set([0, L]);
    pass.forEach(function (q3) { cuts.add(Math.min(q3[0], L)); cuts.add(Math.min(q3[1], L)); });
    for (var j = 0; j < bo.length; j += 2) { cuts.add(Math.min(bo[j], L)); cuts.add(Math.min(bo[j + 1], L)); }
    var pts = Array.from(cuts).sort(function (a, b) { return a - b; });
    var frag = document.createDocumentFragment(), first = new Set();
    for (var c = 0; c + 1 < pts.length; c++) {
      var lo = pts[c], hi = pts[c + 1], seg = text.slice(lo, hi), cover = [], isBo = false;
      for (j = 0; j < pass.length; j++) if (pass[j][0] <= lo && pass[j][1] >= hi) cover.push(pass[j]);
      for (j = 0; j < bo.length; j += 2) if (bo[j] <= lo && bo[j + 1] >= hi) { isBo = true; break; }
      if (cover.length) {
        var ids = cover.map(function (q3) { return q3[3]; });
        var m = document.createElement("mark");
        m.className = "p k" + cover[0][2] + (isBo ? " boiler" : "");
        m.setAttribute("data-p", ids.join(" "));
        if (!first.has(ids[0])) { // one tab stop per passage
          first.add(ids[0]);
          m.tabIndex = 0; m.setAttribute("role", "button");
          m.setAttribute("aria-label", K[cover[0][2]] + " passage " + (ids[0] + 1) + ", show its match");
        }
        m.textContent = seg;
        ids.forEach(function (id) { (els[id] = els[id] || []).push(m); });
        frag.appendChild(m);
      } else if (isBo) {
        frag.appendChild(h("span", { "class": "boiler", title: "boilerplate: set aside for matching", text: seg }));
      } else frag.appendChild(document.createTextNode(seg));
    }
    return frag;
  }

  function activate(pi, fromSide) {
    if (!cur || pi < 0 || pi >= cur.n) return;
    app.querySelectorAll("mark.p.on").forEach(function (e) { e.classList.remove("on"); });
    [0, 1].forEach(function (side) {
      var els = cur.els[side][pi] || [];
      els.forEach(function (e) { e.classList.add("on"); });
      if (els.length && side !== fromSide) scrollInPane(cur.panes[side], els[0], fromSide >= 0 ? true : side === 0);
    });
    cur.at = cur.order.indexOf(pi);
    var p = P[cur.k], o = pi * 6;
    cur.counter.textContent = "passage " + (cur.at + 1) + " of " + cur.n + " · " + K[p[7][o + 4]] + " · similarity " + p[7][o + 5] + "%";
  }
  function scrollInPane(pane, el, andWindow) {
    pane.scrollTop = Math.max(0, el.offsetTop - pane.clientHeight / 2 + el.offsetHeight / 2);
    if (!andWindow) return;
    // the pane may itself be off screen (stacked layout, or the page scrolled): bring the match into view
    var r = el.getBoundingClientRect(), bar = document.querySelector(".top").offsetHeight;
    if (r.top < bar || r.bottom > window.innerHeight) window.scrollBy(0, r.top - bar - (window.innerHeight - bar) / 3);
  }
  function step(d) {
    if (!cur || !cur.n) return;
    var at = cur.at < 0 ? (d > 0 ? 0 : cur.n - 1) : (cur.at + d + cur.n) % cur.n;
    activate(cur.order[at], -1);
  }
  app.addEventListener("click", function (e) {
    var m = e.target.closest && e.target.closest("mark.p[data-p]");
    if (!m || !cur) return;
    var side = cur.panes[1].contains(m) ? 1 : 0, ids = m.getAttribute("data-p").split(" ").map(Number);
    // a stretch inside several passages: each click moves to the next of them
    var curPi = cur.at >= 0 ? cur.order[cur.at] : -1, k = ids.indexOf(curPi);
    activate(ids[k >= 0 ? (k + 1) % ids.length : 0], side);
  });

  /* ---------- routing and keys ---------- */
  var moves = 0;
  function parse() {
    var hsh = location.hash.replace(/^#/, ""), parts = hsh.split("/").map(function (x) {
      try { return decodeURIComponent(x); } catch (err) { return x; }
    });
    return parts;
  }
  function render(keepScroll) {
    var parts = parse(), view, scroll = window.scrollY;
    cur = null;
    if (parts[0] === "story" && storyIx.has(parts[1])) view = storyView(storyIx.get(parts[1]));
    else if (parts[0] === "article" && idIx.has(parts[1])) view = articleView(idIx.get(parts[1]));
    else if (parts[0] === "pair" && idIx.has(parts[1]) && idIx.has(parts[2]) && pairIx.has(idIx.get(parts[1]) + "|" + idIx.get(parts[2]))) {
      view = pairView(pairIx.get(idIx.get(parts[1]) + "|" + idIx.get(parts[2])));
    } else if (parts[0] === "articles" || parts[0] === "pairs") view = listView(parts[0]);
    else if (parts[0] && parts[0] !== "stories") view = [h("div", { "class": "empty" }, "Nothing here by that name (" + clip(location.hash, 80) + "). ", h("a", { href: "#stories" }, "Back to stories"))].concat(listView("stories"));
    else view = listView("stories");
    app.textContent = "";
    add(app, view);
    if (keepScroll) window.scrollTo(0, scroll);
  }
  window.addEventListener("hashchange", function () {
    moves++;
    var parts = parse();
    if (parts[0] !== "stories" && parts[0] !== "articles" && parts[0] !== "pairs") { ui.shown = PAGE; ui.members = 0; ui.rel = -1; }
    render();
    window.scrollTo(0, 0);
    if (document.activeElement !== q) app.focus({ preventScroll: true });
  });
  var typing = null;
  q.addEventListener("input", function () {
    clearTimeout(typing);
    typing = setTimeout(function () {
      ui.shown = PAGE;
      var p0 = parse()[0];
      if (p0 === "stories" || p0 === "articles" || p0 === "pairs" || !p0) render();
      else location.hash = "#" + lastList;
    }, 120);
  });
  function parentOf(parts) {
    if (parts[0] === "pair") { var x = idIx.get(parts[1]); return x !== undefined && storyOf[x] >= 0 ? storyHref(storyOf[x]) : "#pairs"; }
    if (parts[0] === "article") { var y = idIx.get(parts[1]); return y !== undefined && storyOf[y] >= 0 && stories[storyOf[y]][2].length > 1 ? storyHref(storyOf[y]) : "#articles"; }
    if (parts[0] === "story") return "#stories";
    return null;
  }
  document.addEventListener("keydown", function (e) {
    var t = e.target, inField = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT");
    if (e.key === "/" && !inField && !e.ctrlKey && !e.metaKey && !e.altKey) { e.preventDefault(); q.focus(); q.select(); return; }
    if (e.key === "Escape") {
      if (t === q) { if (q.value) { q.value = ""; q.dispatchEvent(new Event("input")); } else q.blur(); return; }
      var up = parentOf(parse());
      if (!up) return;
      e.preventDefault();
      if (moves > 0) history.back(); else location.hash = up;
      return;
    }
    if (inField || e.ctrlKey || e.metaKey || e.altKey) return;
    if (cur && (e.key === "n" || e.key === "j")) { step(1); e.preventDefault(); }
    else if (cur && (e.key === "p" || e.key === "k")) { step(-1); e.preventDefault(); }
    else if ((e.key === "Enter" || e.key === " ") && t && t.matches && t.matches("mark.p[tabindex]")) { e.preventDefault(); t.click(); }
  });

  if (D.title) document.getElementById("doc-title").textContent = D.title;
  render();
  window.__retoldReady = performance.now();
  document.documentElement.setAttribute("data-ready", "1");
})();
