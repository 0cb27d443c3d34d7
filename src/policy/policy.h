/*
 * policy.h - the policy library (政策文件, issue 14 item 5) and questions answered from it
 * (智能问答, items 6-7).
 *
 * A policy has a document number (文号), an issuer, dates (issued, effective, expires), a
 * status (in force, amended, repealed), its full text split into numbered clauses, the
 * services each clause governs, and interpretations (政策解读). Each clause is a search
 * document (kind "policy_clause"), each policy's summary one too (kind "policy"); each
 * section of every published service guide (materials, conditions, fee, steps, time limit)
 * in each language is a passage kept in memory (kind "guide"), so that a question can be
 * answered from all three and from the hotline's knowledge base (kind "kb").
 *
 * Q&A is retrieval only: it returns stored passages with their source, never generated
 * text. Design: docs/internals/policy.md.
 */
#ifndef ONEWINDOW_POLICY_POLICY_H
#define ONEWINDOW_POLICY_POLICY_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"

struct store;
struct search;
struct identity;
struct web_server;

struct policy;

#define POLICY_KIND_CLAUSE "policy_clause"
#define POLICY_KIND_DOC "policy"
#define POLICY_KIND_GUIDE "guide"
#define POLICY_MAX_CLAUSES 2000
#define POLICY_MAX_QUESTION 2000 /* bytes of a question considered; the rest is ignored */

/* Open on a migrated store and the search module (borrowed; both outlive the policy).
 * Registers the three document kinds with search. *out: policy_close. */
int policy_open(struct store *st, struct search *s, struct policy **out, struct err *err);
void policy_close(struct policy *p);

/* Import policies from a JSON document {"policies": [...]} (data/policies/xizang.json is
 * the format): inserts or replaces each by its key, clauses, service links and search
 * documents, one transaction per policy. Every problem is a 400 naming the policy and the
 * field ("policy.bad_doc"). Each policy is audited (policy.import) in its transaction, with
 * `ip` (may be NULL). *n (may be NULL) gets how many were imported. */
int policy_import(struct policy *p, int64_t actor, const char *ip, const json_t *doc, int *n,
                  struct err *err);
/* The demo policies (data/policies/xizang.json, embedded). */
int policy_load_demo(struct policy *p, int *n, struct err *err);

/* All policies, newest issue date first: [{id, key, number, title{}, issuer{}, summary{},
 * issued_on, effective_on, expires_on, status, clauses}] (new reference). */
int policy_list(struct policy *p, json_t **out, struct err *err);
/* One policy with "clauses": [{id, number, label, lang, body, services: [code]}] and
 * "interpretations": [{id, lang, title, body, created_at}]. 404 policy.not_found. */
int policy_get(struct policy *p, int64_t id, json_t **out, struct err *err);
/* Add an interpretation (audited in its transaction). 400 policy.bad_interpretation, 404
 * policy.not_found. */
int policy_interpret(struct policy *p, int64_t actor, const char *ip, int64_t policy_id,
                     const char *lang, const char *title, const char *body, int64_t *id_out,
                     struct err *err);
/* Where a clause is: its policy id and number. 404 when there is none. */
int policy_clause_where(struct policy *p, int64_t clause_id, int64_t *policy_id, int *number,
                        struct err *err);
/* Policies whose clauses govern a service: [{id, title{}, number, clause, label}]. */
int policy_for_service(struct policy *p, const char *code, json_t **out, struct err *err);

/* Build the guide passages from the published catalog now (they are rebuilt by themselves
 * when catalog_version changes) and remove guide search documents an earlier version wrote.
 * *n gets how many passages there are. */
int policy_index_guides(struct policy *p, int *n, struct err *err);

/* Answer a question: {"q", "terms": [...], "answered": bool, "answers": [{kind, source,
 * title, snippet[{text, hit}], url, cite{...}, apply[{code, url}], score}]}, at most
 * `limit` answers (1..10). Any input is accepted: empty, huge or operator-laden text gives
 * no terms and answered=false. lang: the reader's language for titles. -1 only for store
 * failures. */
int policy_ask(struct policy *p, const char *question, const char *lang, int limit, json_t **out,
               struct err *err);

/* The question's search terms (Chinese character bigrams, Tibetan syllable pairs, English
 * words, stop words dropped), at most 8, as a JSON array (new reference). For tests. */
json_t *policy_ask_terms(const char *question);

/* Run the evaluation set (a JSON {"questions": [{q, lang, expect: [source...]}]}); prints
 * top-1 and top-3 accuracy and the questions missed. Returns 0 or -1. */
int policy_evaluate(struct policy *p, const json_t *set, FILE *out, double *top1, double *top3,
                    struct err *err);

int policy_http_register(struct web_server *srv, struct policy *p, struct identity *id);
/* `onewindow policy import FILE | reindex | list` and `onewindow ask TEXT | evaluate [FILE]`. */
int policy_cli(struct policy *p, const char *cmd, int argc, char **argv, struct err *err);

#endif
