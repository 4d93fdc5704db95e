#!/usr/bin/env python3
"""openai/CLIP's simple_tokenizer.py, restated with the standard library only.

A development aid: it prints the ids that the reference computes, to write expectations for
tests/model/test_tokenizer.cpp and to compare the C++ tokenizer with (it reproduces
/work/shared/fixtures/clip-tiny/golden.json). Two differences from the original, both
because they are not in the standard library:
  - ftfy.fix_text is skipped (the C++ tokenizer skips it too);
  - the `regex` pattern's \\p{L} / \\p{N} become explicit classes built from unicodedata,
    and IGNORECASE is spelt out: after lower() the only other character that case-folds onto
    a letter of the pattern's literals is U+017F (long s). (Python's `re` with IGNORECASE
    would also widen the classes by case folding, which the `regex` module does not do.)

Usage: python3 tools/clip_tokenizer_reference.py VOCAB.gz "text" ["text" ...]
Prints one JSON object per text: the cleaned text, the words, and the ids SOT..EOT.
"""
import gzip
import html
import json
import re
import sys
import unicodedata


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b)
            cs.append(2**8 + n)
            n += 1
    return dict(zip(bs, [chr(n) for n in cs]))


def get_pairs(word):
    pairs = set()
    prev_char = word[0]
    for char in word[1:]:
        pairs.add((prev_char, char))
        prev_char = char
    return pairs


def basic_clean(text):
    # ftfy.fix_text(text) in the original
    text = html.unescape(html.unescape(text))
    return text.strip()


def whitespace_clean(text):
    text = re.sub(r'\s+', ' ', text)
    return text.strip()


def category_class(prefix):
    ranges = []
    for cp in range(0x110000):
        if unicodedata.category(chr(cp)).startswith(prefix):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    return ''.join('\\U%08x-\\U%08x' % (lo, hi) for lo, hi in ranges)


class SimpleTokenizer:
    def __init__(self, bpe_path):
        self.byte_encoder = bytes_to_unicode()
        self.byte_decoder = {v: k for k, v in self.byte_encoder.items()}
        merges = gzip.open(bpe_path).read().decode("utf-8").split('\n')
        merges = merges[1:49152 - 256 - 2 + 1]
        merges = [tuple(merge.split()) for merge in merges]
        vocab = list(bytes_to_unicode().values())
        vocab = vocab + [v + '</w>' for v in vocab]
        for merge in merges:
            vocab.append(''.join(merge))
        vocab.extend(['<|startoftext|>', '<|endoftext|>'])
        self.encoder = dict(zip(vocab, range(len(vocab))))
        self.decoder = {v: k for k, v in self.encoder.items()}
        self.bpe_ranks = dict(zip(merges, range(len(merges))))
        self.cache = {'<|startoftext|>': '<|startoftext|>', '<|endoftext|>': '<|endoftext|>'}
        L, N = category_class('L'), category_class('N')
        self.pat = re.compile(
            r"<\|[s\u017f]tartoftext\|>|<\|endoftext\|>|'[s\u017f]|'t|'re|'ve|'m|'ll|'d|"
            "[" + L + "]+|[" + N + r"]|[^\s" + L + N + "]+")

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + '</w>',)
        pairs = get_pairs(word)
        if not pairs:
            return token + '</w>'
        while True:
            bigram = min(pairs, key=lambda pair: self.bpe_ranks.get(pair, float('inf')))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                    new_word.extend(word[i:j])
                    i = j
                except ValueError:
                    new_word.extend(word[i:])
                    break
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = get_pairs(word)
        word = ' '.join(word)
        self.cache[token] = word
        return word

    def clean(self, text):
        return whitespace_clean(basic_clean(text)).lower()

    def words(self, text):
        return re.findall(self.pat, self.clean(text))

    def encode(self, text):
        bpe_tokens = []
        for token in self.words(text):
            token = ''.join(self.byte_encoder[b] for b in token.encode('utf-8'))
            bpe_tokens.extend(self.encoder[bpe_token] for bpe_token in self.bpe(token).split(' '))
        return bpe_tokens

    def decode(self, tokens):
        text = ''.join([self.decoder[token] for token in tokens])
        return bytearray([self.byte_decoder[c] for c in text]).decode('utf-8', errors="replace").replace('</w>', ' ')


def main():
    tok = SimpleTokenizer(sys.argv[1])
    for text in sys.argv[2:]:
        ids = [49406] + tok.encode(text) + [49407]
        print(json.dumps({'text': text, 'clean': tok.clean(text), 'words': tok.words(text),
                          'ids': ids, 'decoded': tok.decode(ids[1:-1])}, ensure_ascii=False))


if __name__ == '__main__':
    main()
