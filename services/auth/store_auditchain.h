/* store_auditchain.h: the audit chain's SQL. It owns every statement on audit_checkpoints (the
 * chain's links: the checkpointers' lock, the newest link, a page of links, a new link) and the
 * reads of audit_events the chain needs (the highest committed id, the rows of an id range in
 * their canonical form, the count of rows past the last link); audit.h owns the writes. Hashes,
 * signatures and digest lists travel as raw bytes (binary parameters; bytea results decoded by
 * libpq). Functions run in the caller's transaction unless they say otherwise. */
#ifndef PHONEAUTH_AUTH_STORE_AUDITCHAIN_H
#define PHONEAUTH_AUTH_STORE_AUDITCHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "common/db.h"

#define AUTH_CHAIN_HASH_BYTES 32
#define AUTH_CHAIN_ROW_COLS 11
#define AUTH_CHAIN_PAGE 16 /* links per auth_chain_links call */

/* The highest audit id whose row (if any) is committed, in a short transaction of its own. */
pa_err auth_chain_stable_max(struct pa_db *db, int64_t *out) PA_MUSTCHECK;

/* One audit row in its canonical form: every column as PostgreSQL prints it as text, so the
 * bytes do not depend on our parsing. Columns: id, at (microseconds since the epoch), event,
 * actor, user_id, phone_masked, verification_id, message_sid, end_user_ip, outcome, detail. */
struct auth_chain_row {
	int64_t     id;
	const char *col[AUTH_CHAIN_ROW_COLS]; /* NUL-terminated; NULL for SQL NULL */
	size_t      len[AUTH_CHAIN_ROW_COLS]; /* bytes of col (0 for NULL) */
};
/* The rows of a range, by ascending id, in one allocation: free() releases rows and text. */
struct auth_chain_rows {
	size_t                n;
	struct auth_chain_row row[];
};
/* The rows with after < id <= upto. */
pa_err auth_chain_rows(
    struct pa_db *db, int64_t after, int64_t upto, struct auth_chain_rows **out) PA_MUSTCHECK;

/* How many audit rows have an id above after. */
pa_err auth_chain_count_after(struct pa_db *db, int64_t after, int64_t *out) PA_MUSTCHECK;

/* Takes the checkpointers' turn until the transaction ends: several auth instances write links
 * one at a time, so the chain stays linear. */
pa_err auth_chain_lock(struct pa_db *db) PA_MUSTCHECK;

/* The newest link's last row and hash; (0, zeros) when the chain is empty. PA_EINVAL when its
 * hash is not AUTH_CHAIN_HASH_BYTES long. */
pa_err auth_chain_head(
    struct pa_db *db, int64_t *last_id, unsigned char hash[AUTH_CHAIN_HASH_BYTES]) PA_MUSTCHECK;

/* A new link, covering rows first_id..last_id. */
struct auth_chain_link_new {
	int64_t              first_id, last_id;
	const unsigned char *prev_hash; /* AUTH_CHAIN_HASH_BYTES */
	const unsigned char *hash; /* AUTH_CHAIN_HASH_BYTES */
	const unsigned char *signature; /* crypto_sign_BYTES */
	const unsigned char *row_digests; /* row_digests_len bytes, not NULL */
	size_t               row_digests_len;
};
pa_err auth_chain_insert(struct pa_db *db, const struct auth_chain_link_new *l) PA_MUSTCHECK;

/* A stored link as read back. intact is false when prev_hash, hash or signature is not of its
 * size: the other byte fields are then not to be trusted. */
struct auth_chain_link {
	int64_t        id, first_id, last_id;
	bool           intact;
	unsigned char  prev_hash[AUTH_CHAIN_HASH_BYTES];
	unsigned char  hash[AUTH_CHAIN_HASH_BYTES];
	unsigned char  signature[crypto_sign_BYTES];
	unsigned char *row_digests; /* malloc'd, row_digests_len bytes; NULL when not intact */
	size_t         row_digests_len;
};
struct auth_chain_page {
	size_t                 n;
	struct auth_chain_link link[AUTH_CHAIN_PAGE];
};
/* Up to AUTH_CHAIN_PAGE links with first_id > after, by first_id; none (n 0) past the end.
 * Release with auth_chain_page_clear, also after an error. */
pa_err auth_chain_links(struct pa_db *db, int64_t after, struct auth_chain_page *out) PA_MUSTCHECK;
void   auth_chain_page_clear(struct auth_chain_page *p);

/* Starts the read-only transaction a verification walks in: one snapshot for all its reads.
 * The caller ends it with pa_db_rollback. */
pa_err auth_chain_snapshot(struct pa_db *db) PA_MUSTCHECK;

#endif
