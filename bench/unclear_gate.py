"""import math, re, sys, json
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).resolve().parent))
import realtexts as rt
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler
from zhagen.assess import StudyModel
from zhagen.coding.tokens import words, proper_name

texts = [t for t in rt.read_folder(rt.default_folder()) if t.split == "dev"]
model = StudyModel.fit_builtin()
model.reading = None
results = rt.cross_validated(model, texts, 5)
EXHORT = re.compile(r"要|加快|推进|推动|着力|坚持|鼓励|积极|加强|统筹|深化|完善|健全|should|must|need to", re.I)
def feats(t, r):
    ev = model.evidence([t.text])[0]
    s = np.array([r["pattern_scores"][p] for p in rt.PATTERNS])
    srt = np.sort(s)[::-1]
    ent = -sum(x * math.log(x + 1e-12) for x in s / max(s.sum(), 1e-9))
    lead = np.zeros(4); evid = 0
    for m in ev.mains:
        vals = [m.get(p, 0.0) for p in rt.PATTERNS]
        if max(vals) >= 0.5:
            lead[int(np.argmax(vals))] += 1; evid += 1
    share = lead / max(evid, 1)
    n = len(ev.mains)
    toks = words(t.text[:4000])
    names = len({w for w in toks if proper_name(w)})
    ex = len(EXHORT.findall(t.text))
    return [srt[0], srt[0] - srt[1], srt[1], ent, (share >= 0.2).sum(), np.sort(share)[::-1][1], evid / max(n, 1),
            math.log1p(n), names / max(math.log1p(len(t.text)), 1), ex / max(n, 1), math.log1p(names)]
X = np.array([feats(t, r) for t, r in zip(texts, results)])
y = np.array([t.pattern == "unclear" for t in texts])
keep = np.array([t.pattern != "off_topic" for t in texts])
clear = np.array([t.pattern in rt.PATTERNS for t in texts])
for target in (0.05, 0.08, 0.10):
    flag = np.zeros(len(texts), bool)
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=1).split(X, [t.pattern for t in texts]):
        tr = tr[keep[tr]]
        sc = StandardScaler().fit(X[tr]); lr = LogisticRegression(C=0.3, class_weight="balanced", max_iter=2000)
        lr.fit(sc.transform(X[tr]), y[tr])
        p_tr = lr.predict_proba(sc.transform(X[tr]))[:, 1]
        thr = np.quantile(p_tr[clear[tr]], 1 - target)
        flag[te] = lr.predict_proba(sc.transform(X[te]))[:, 1] > thr
    base = np.array([r["pattern"] for r in results])
    new = np.where(flag & np.isin(base, rt.PATTERNS), "mixed", base)
    pats = np.array([t.pattern for t in texts])
    for name, ans in (("base", base), ("gated", new)):
        acc = np.mean(ans[clear] == pats[clear]); cm = np.mean(np.isin(ans[clear], ["mixed", "none"]))
        um = np.mean(ans[pats == "unclear"] == "mixed"); umn = np.mean(np.isin(ans[pats == "unclear"], ["mixed", "none"]))
        ch = np.mean(ans[pats == "extended_chain"] == "extended_chain")
        print(f"target {target:.2f} {name:6s} clear acc {acc:.3f} clear->mixed/none {cm:.3f} unclear->mixed {um:.3f} (mixed/none {umn:.3f}) chain {ch:.3f}")
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))
import realtexts as rt  # noqa: E402

from zhagen.assess import StudyModel  # noqa: E402
from zhagen.coding.tokens import proper_name, words  # noqa: E402

EXHORTATION = re.compile(r"要|加快|推进|推动|着力|坚持|鼓励|积极|加强|统筹|深化|完善|健全|should|must|need to", re.I)
TARGETS = (0.05, 0.08, 0.10)


def features(model: StudyModel, text: rt.RealText, answer: dict[str, Any]) -> list[float]:
    """What might tell a text without one pattern: how the scores spread, how the evidence spreads, what it names."""
    evidence = model.evidence([text.text])[0]
    scores = np.array([answer["pattern_scores"][p] for p in rt.PATTERNS])
    ranked = np.sort(scores)[::-1]
    entropy = -sum(x * math.log(x + 1e-12) for x in scores / max(scores.sum(), 1e-9))
    leads, evidenced = np.zeros(len(rt.PATTERNS)), 0
    for mains in evidence.mains:
        values = [mains.get(p, 0.0) for p in rt.PATTERNS]
        if max(values) >= 0.5:
            leads[int(np.argmax(values))] += 1
            evidenced += 1
    shares = leads / max(evidenced, 1)
    units = len(evidence.mains)
    names = len({w for w in words(text.text[:4000]) if proper_name(w)})
    return [ranked[0], ranked[0] - ranked[1], ranked[1], entropy, float((shares >= 0.2).sum()), np.sort(shares)[::-1][1],
            evidenced / max(units, 1), math.log1p(units), names / max(math.log1p(len(text.text)), 1),
            len(EXHORTATION.findall(text.text)) / max(units, 1), math.log1p(names)]


def gated(x: np.ndarray, texts: list[rt.RealText], target: float) -> np.ndarray:
    """Per text, whether the gate trained on the other folds flags it (threshold: ``target`` of training clear texts)."""
    unclear = np.array([t.pattern == "unclear" for t in texts])
    on_topic = np.array([t.pattern != "off_topic" for t in texts])
    clear = np.array([t.pattern in rt.PATTERNS for t in texts])
    flags = np.zeros(len(texts), dtype=bool)
    for train, test in StratifiedKFold(5, shuffle=True, random_state=1).split(x, [t.pattern for t in texts]):
        train = train[on_topic[train]]
        scaler = StandardScaler().fit(x[train])
        gate = LogisticRegression(C=0.3, class_weight="balanced", max_iter=2000).fit(scaler.transform(x[train]),
                                                                                      unclear[train])
        threshold = np.quantile(gate.predict_proba(scaler.transform(x[train]))[:, 1][clear[train]], 1 - target)
        flags[test] = gate.predict_proba(scaler.transform(x[test]))[:, 1] > threshold
    return flags


def main() -> None:
    texts = [t for t in rt.read_folder(rt.default_folder()) if t.split == "dev"]
    model = StudyModel.fit_builtin()
    model.reading = None
    answers = rt.cross_validated(model, texts, 5)
    x = np.array([features(model, t, a) for t, a in zip(texts, answers)])
    labels = np.array([t.pattern for t in texts])
    clear = np.isin(labels, rt.PATTERNS)
    base = np.array([a["pattern"] for a in answers])
    for target in TARGETS:
        with_gate = np.where(gated(x, texts, target) & np.isin(base, rt.PATTERNS), "mixed", base)
        for name, answered in (("reading", base), ("gated", with_gate)):
            print(f"flag at most {target:.2f} of clear texts, {name:7s}: clear accuracy "
                  f"{np.mean(answered[clear] == labels[clear]):.3f}, clear -> mixed/none "
                  f"{np.mean(np.isin(answered[clear], ['mixed', 'none'])):.3f}, unclear -> mixed "
                  f"{np.mean(answered[labels == 'unclear'] == 'mixed'):.3f}, extended-chain recall "
                  f"{np.mean(answered[labels == 'extended_chain'] == 'extended_chain'):.3f}")


if __name__ == "__main__":
    main()
