"""Record the hits the exact-hits test compares with (incitement_eval/hits.json).

Run only after a change *meant* to move findings (new rows in the set, new rules data),
and read the diff: every changed hit should be one the change was for. A speed change
must not need it (bench/incitement_same.py compares two revisions instead).

    .venv/bin/python bench/record_incitement_hits.py
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from moderator.policy import load_policy
from moderator.text import normalize

REPO = Path(__file__).resolve().parents[1]
TEST = REPO / "tests" / "policy" / "test_incitement_eval.py"


def main() -> None:
    # The test's own `variants`, so the recorded texts are the ones it checks.
    spec = importlib.util.spec_from_file_location("incitement_eval_test", TEST)
    assert spec is not None and spec.loader is not None
    test = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(test)
    policy = load_policy(REPO / "rules" / "policies" / "default.toml")
    assert policy.incitement is not None
    matcher = policy.incitement.matcher
    out = {}
    for lang in test.LANGS:
        out[lang] = [[[h.code, h.lang, h.start, h.end, h.trigger, h.partner]
                      for h in matcher.find(normalize(text).text)]
                     for text in test.variants(lang)]
    lines = [",\n".join(json.dumps(v, ensure_ascii=False) for v in hits) for hits in out.values()]
    body = ",\n".join(f"{json.dumps(lang)}: [{text}]"
                      for lang, text in zip(out, lines, strict=True))
    test.HITS.write_text("{" + body + "}\n", encoding="utf-8")
    print(f"recorded {sum(map(len, out.values()))} texts to {test.HITS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
