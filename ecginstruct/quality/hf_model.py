"""The ``--model`` hook of ``ecginstruct eval``: answer a dataset's questions with a Hugging Face
vision-language model (on a GPU machine), writing predictions the scorer reads.

``transformers`` (and a CUDA torch) are imported inside :func:`predict_with_hf` only -- never at
import time -- so the toolkit and its tests do not need them. The model is loaded from a local
path or the Hub cache (``HF_HUB_OFFLINE=1`` is honoured: nothing downloads unless the user allows
it). Generation is greedy, so answers are reproducible for a given model and library version.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ecginstruct.types import ConfigError


def _require_transformers():
    try:
        import torch
        import transformers
    except ImportError as e:
        raise ConfigError(
            f"--model needs transformers and torch ({e}); install them on the GPU machine: "
            "pip install transformers accelerate"
        ) from None
    return torch, transformers


def predict_with_hf(
    rows: Sequence[dict[str, Any]],
    model_id: str,
    out_path: str | Path,
    *,
    device: str = "cuda",
    max_new_tokens: int = 256,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Answer every human turn of ``rows`` (multi-turn rows turn by turn, with the reference
    answers as history, as ECGBench does) and write ``{"id", "answer": [..]}`` JSONL lines."""
    torch, tf = _require_transformers()
    from PIL import Image

    processor = tf.AutoProcessor.from_pretrained(model_id)
    auto = getattr(tf, "AutoModelForImageTextToText", None) or tf.AutoModelForVision2Seq
    model = auto.from_pretrained(model_id, torch_dtype="auto").to(device).eval()
    out_path = Path(out_path)
    with out_path.open("w", encoding="utf-8") as f:
        for i, row in enumerate(rows):
            image = Image.open(io.BytesIO(row["image"]["bytes"])).convert("RGB")
            turns = row["conversations"]
            answers, history = [], []
            for k in range(0, len(turns) - 1, 2):
                question = turns[k]["value"].replace("<image>\n", "").replace("<image>", "")
                content = [{"type": "text", "text": question}]
                if k == 0:
                    content.insert(0, {"type": "image"})
                history.append({"role": "user", "content": content})
                prompt = processor.apply_chat_template(history, add_generation_prompt=True)
                inputs = processor(images=[image], text=prompt, return_tensors="pt").to(device)
                with torch.no_grad():
                    ids = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
                new = ids[0, inputs["input_ids"].shape[1] :]
                answers.append(processor.decode(new, skip_special_tokens=True).strip())
                history.append(
                    {
                        "role": "assistant",
                        "content": [{"type": "text", "text": turns[k + 1]["value"]}],
                    }
                )
            f.write(json.dumps({"id": row["id"], "answer": answers}) + "\n")
            if progress and (i + 1) % 50 == 0:
                progress(f"{i + 1}/{len(rows)} rows answered")
    return out_path
