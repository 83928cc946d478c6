"""Reference encodings by Google's SentencePiece (Debian's python3-sentencepiece) for the golden tests.

Usage: python3 encode_sentencepiece.py tokenizer.model < strings.json > ids.json
Reads a JSON array of strings; writes a JSON array of id arrays: the BOS id, then sp.encode(text)
(Hugging Face's LlamaTokenizer adds BOS and no EOS, as the service does for tokenizer.model).
"""
import json
import sys

import sentencepiece

processor = sentencepiece.SentencePieceProcessor(model_file=sys.argv[1])
strings = json.load(sys.stdin)
bos = [processor.bos_id()] if processor.bos_id() >= 0 else []
json.dump([bos + processor.encode(text) for text in strings], sys.stdout)
