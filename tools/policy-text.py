#!/usr/bin/env python3
"""policy-text.py - turn the text of a published policy (as copied from the government's site,
with the PDF extraction's stray spaces) into onewindow's policy JSON: the full text cleaned and
split into numbered clauses at the document's own markers (一、 (一) 1.).

  tools/policy-text.py META.json TEXT.txt > policy.json

META.json carries what the text itself does not state reliably (title, issuer, dates, status,
summaries); the clauses come only from TEXT. Nothing is reworded: a clause is the source's text
with the extraction's spaces between Chinese characters removed.
"""
import json
import re
import sys

CJK = r'[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’《》（）、，。：；！？·—]'


def clean(text):
    text = re.sub(r'//显示下载附件.*', '', text, flags=re.S)  # the page's script, not the policy
    text = text.replace('\u3000', ' ')
    text = re.sub(r'\s+', ' ', text)
    # spaces the PDF extraction put between Chinese characters or around their punctuation
    for _ in range(3):
        text = re.sub(r'(%s) +' % CJK, r'\1', text)
        text = re.sub(r' +(%s)' % CJK, r'\1', text)
        text = re.sub(r'([\u4e00-\u9fff]) +([0-9(])', r'\1\2', text)
        text = re.sub(r'([0-9)]) +([\u4e00-\u9fff])', r'\1\2', text)
    return text.strip()


MARK = re.compile(r'((?:(?<=[。；)） ])|^)[一二三四五六七八九十]+、'
                  r'|[（(][一二三四五六七八九十]+[)）]'
                  r'|(?:(?<=[。；)） ])|^)\d{1,2}\.(?!\d))')


def clauses(text):
    out = []
    parts = MARK.split(text)
    preamble = parts[0].strip()
    if preamble:
        out.append({'label': '', 'text': preamble})
    for i in range(1, len(parts) - 1, 2):
        body = parts[i + 1].strip()
        if body:
            out.append({'label': parts[i].strip(), 'text': body})
    for n, c in enumerate(out, 1):
        c['number'] = n
    return out


def main():
    meta = json.load(open(sys.argv[1], encoding='utf-8'))
    text = clean(open(sys.argv[2], encoding='utf-8').read())
    meta['clauses'] = clauses(text)
    json.dump(meta, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
