"""PyTorch CPU (sentence-transformers) side of bench/embeddings/run.sh.

Loads the same model files from models/all-MiniLM-L6-v2 by path (HF_HUB_OFFLINE=1) and
prints texts/s for the same texts as `pulse-embed bench` (see benchTexts in
Sources/PulseEmbedTool/Bench.swift), in the same line format.
"""
import argparse
import os
import resource
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

WORDS = "the quick brown fox jumps over a lazy dog while people watch from their window".split(" ")


def bench_texts(tokens, count):
    return [" ".join(WORDS[(i + index) % len(WORDS)] for i in range(tokens - 2)) for index in range(count)]


def measure(model, length, requested, cores, args):
    texts = bench_texts(length, args.batch)
    counts = {len(model.tokenizer(t)["input_ids"]) for t in texts}
    assert counts == {length}, f"bench texts have {counts} tokens, wanted {length}"
    workers = cores if requested == 0 else requested
    torch.set_num_threads(workers)
    with torch.inference_mode():
        model.encode(texts, batch_size=args.batch, normalize_embeddings=True)  # warm-up
        done = 0
        start, cpu_start = time.perf_counter(), time.process_time()
        while True:
            model.encode(texts, batch_size=args.batch, normalize_embeddings=True)
            done += len(texts)
            elapsed = time.perf_counter() - start
            if elapsed >= args.seconds:
                break
    cpu_ms = (time.process_time() - cpu_start) * 1000 / done
    rate = done / elapsed
    return (f"pytorch tokens={length} threads={workers} texts_per_s={rate:.1f} cpu_ms_per_text={cpu_ms:.2f} "
            f"peak_rss_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--tokens", default="16,128,256")
    parser.add_argument("--threads", default="1,0")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--serve", action="store_true",
                        help="read 'TOKENS THREADS' lines on stdin, answer one result line each")
    args = parser.parse_args()

    model = SentenceTransformer(args.model, device="cpu")
    model.eval()
    cores = os.cpu_count()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"# pytorch {torch.__version__} bench: model loaded, peak RSS {rss} MB, {cores} cores")
    sys.stdout.flush()
    if args.serve:
        for request in sys.stdin:
            length, requested = (int(x) for x in request.split())
            print(measure(model, length, requested, cores, args), flush=True)
    else:
        for length in [int(t) for t in args.tokens.split(",")]:
            for requested in [int(t) for t in args.threads.split(",")]:
                print(measure(model, length, requested, cores, args), flush=True)
    print(f"# peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")


if __name__ == "__main__":
    main()
