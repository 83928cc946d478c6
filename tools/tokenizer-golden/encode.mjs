// Reference encodings by Hugging Face's tokenizers (the JS implementation) for the golden tests.
// Usage: node encode.mjs <folder holding tokenizer.json and tokenizer_config.json> < strings.json > ids.json
// Reads a JSON array of strings; writes a JSON array of id arrays, each as tokenizer.encode(text)
// gives it (add_special_tokens on, as for a prompt).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";

const folder = process.argv[2];
const tokenizerJson = JSON.parse(readFileSync(join(folder, "tokenizer.json"), "utf8"));
const tokenizerConfig = JSON.parse(readFileSync(join(folder, "tokenizer_config.json"), "utf8"));
const tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
const strings = JSON.parse(readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(strings.map((text) => tokenizer.encode(text).ids)));
