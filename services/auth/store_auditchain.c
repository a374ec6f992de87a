/* store_auditchain.c: the SQL of audit_checkpoints and of the audit_events reads the chain makes.
 * Hashes, signatures and digest lists are binary parameters; bytea results are decoded by libpq
 * (pa_db_bytea), sized first by octet_length for the digest list. */
#include "store_auditchain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The canonical form of a row: every column as text (NULL kept apart from ""), the time in
 * microseconds so no formatting setting can change it. (No "id::text": ORDER BY id would then
 * sort the text column, "10" before "2".) */
static const struct pa_stmt st_rows
    = { "SELECT id, (extract(epoch FROM at) * 1000000)::bigint::text, event, actor,"
	" user_id::text, phone_masked, verification_id::text, message_sid, end_user_ip::text,"
	" outcome, detail::text FROM audit_events"
	" WHERE id > $1::bigint AND id <= $2::bigint ORDER BY id",
	      2 };
static const struct pa_stmt st_max = { "SELECT coalesce(max(id), 0) FROM audit_events", 0 };
static const struct pa_stmt st_after
    = { "SELECT count(*) FROM audit_events WHERE id > $1::bigint", 1 };
static const struct pa_stmt st_last
    = { "SELECT last_id, hash FROM audit_checkpoints ORDER BY last_id DESC LIMIT 1", 0 };
static const struct pa_stmt st_insert
    = { "INSERT INTO audit_checkpoints (first_id, last_id, prev_hash, hash, signature, row_digests)"
	" VALUES ($1::bigint, $2::bigint, $3::bytea, $4::bytea, $5::bytea, $6::bytea)",
	      6 };
static const struct pa_stmt st_links
    = { "SELECT id, first_id, last_id, prev_hash, hash, signature, row_digests,"
	" octet_length(row_digests) FROM audit_checkpoints WHERE first_id > $1::bigint"
	" ORDER BY first_id LIMIT 16",
	      1 };

/* Columns of st_last and st_links. */
enum { LAST_ID, LAST_HASH };
enum {
	LINK_ID,
	LINK_FIRST,
	LINK_LAST,
	LINK_PREV,
	LINK_HASH,
	LINK_SIG,
	LINK_DIGESTS,
	LINK_DIGESTS_LEN
};

_Static_assert(AUTH_CHAIN_PAGE == 16, "st_links' LIMIT");

static int64_t
col_i64(const PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/* The highest id whose row (if any) is committed: the SHARE lock waits for every transaction
 * that is inserting, and ids come from a sequence, so no lower id can appear afterwards. New
 * inserts wait only for this one short transaction. */
pa_err
auth_chain_stable_max(struct pa_db *db, int64_t *out)
{
	PGresult *r = NULL;
	pa_err    rv;

	if ((rv = pa_db_begin(db)) != PA_OK)
		return rv;
	if ((rv = pa_db_exec_simple(db, "SET LOCAL lock_timeout = '2s'")) == PA_OK
	    && (rv = pa_db_exec_simple(db, "LOCK TABLE audit_events IN SHARE MODE")) == PA_OK
	    && (rv = pa_db_exec(db, &st_max, NULL, &r)) == PA_OK) {
		*out = col_i64(r, 0, 0);
		PQclear(r);
		return pa_db_commit(db);
	}
	pa_db_rollback(db);
	return rv;
}

/* Copies every row of an st_rows result, text included, into one allocation. */
static struct auth_chain_rows *
rows_copy(const PGresult *r)
{
	size_t                  n = (size_t) PQntuples(r), text = 0;
	struct auth_chain_rows *out;
	char                   *p;

	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < AUTH_CHAIN_ROW_COLS; c++)
			text += (size_t) PQgetlength(r, (int) i, c) + 1;
	if ((out = malloc(sizeof *out + n * sizeof out->row[0] + text)) == NULL)
		return NULL;
	out->n = n;
	p      = (char *) &out->row[n];
	for (size_t i = 0; i < n; i++) {
		struct auth_chain_row *row = &out->row[i];

		row->id = col_i64(r, (int) i, 0);
		for (int c = 0; c < AUTH_CHAIN_ROW_COLS; c++) {
			size_t len = (size_t) PQgetlength(r, (int) i, c);

			row->col[c] = NULL;
			row->len[c] = 0;
			if (PQgetisnull(r, (int) i, c))
				continue;
			memcpy(p, PQgetvalue(r, (int) i, c), len);
			p[len]      = '\0';
			row->col[c] = p;
			row->len[c] = len;
			p += len + 1;
		}
	}
	return out;
}

pa_err
auth_chain_rows(struct pa_db *db, int64_t after, int64_t upto, struct auth_chain_rows **out)
{
	char      a[24], b[24];
	PGresult *r;
	pa_err    rv;

	*out = NULL;
	(void) snprintf(a, sizeof a, "%lld", (long long) after);
	(void) snprintf(b, sizeof b, "%lld", (long long) upto);
	if ((rv = pa_db_exec(db, &st_rows, (const char *[]) { a, b }, &r)) != PA_OK)
		return rv;
	if ((*out = rows_copy(r)) == NULL)
		rv = PA_ENOMEM;
	PQclear(r);
	return rv;
}

pa_err
auth_chain_count_after(struct pa_db *db, int64_t after, int64_t *out)
{
	char      a[24];
	PGresult *r;
	pa_err    rv;

	(void) snprintf(a, sizeof a, "%lld", (long long) after);
	if ((rv = pa_db_exec(db, &st_after, (const char *[]) { a }, &r)) != PA_OK)
		return rv;
	*out = col_i64(r, 0, 0);
	PQclear(r);
	return PA_OK;
}

pa_err
auth_chain_lock(struct pa_db *db)
{
	return pa_db_exec_simple(db, "LOCK TABLE audit_checkpoints IN SHARE ROW EXCLUSIVE MODE");
}

pa_err
auth_chain_head(struct pa_db *db, int64_t *last_id, unsigned char hash[AUTH_CHAIN_HASH_BYTES])
{
	PGresult *r;
	pa_err    rv;

	*last_id = 0;
	memset(hash, 0, AUTH_CHAIN_HASH_BYTES);
	if ((rv = pa_db_exec(db, &st_last, NULL, &r)) != PA_OK)
		return rv;
	if (PQntuples(r) == 1) {
		*last_id = col_i64(r, 0, LAST_ID);
		if ((rv = pa_db_bytea(r, 0, LAST_HASH, hash, AUTH_CHAIN_HASH_BYTES)) != PA_OK)
			rv = PA_EINVAL;
	}
	PQclear(r);
	return rv;
}

pa_err
auth_chain_insert(struct pa_db *db, const struct auth_chain_link_new *l)
{
	char        a[24], b[24];
	const char *params[6]  = { a, b, (const char *) l->prev_hash, (const char *) l->hash,
		 (const char *) l->signature, (const char *) l->row_digests };
	const int   lengths[6] = { PA_DB_TEXT, PA_DB_TEXT, AUTH_CHAIN_HASH_BYTES,
		  AUTH_CHAIN_HASH_BYTES, crypto_sign_BYTES, (int) l->row_digests_len };

	(void) snprintf(a, sizeof a, "%lld", (long long) l->first_id);
	(void) snprintf(b, sizeof b, "%lld", (long long) l->last_id);
	return pa_db_exec_len(db, &st_insert, params, lengths, NULL);
}

/* Reads link k of an st_links result; PA_ENOMEM is the only error (a malformed link is kept,
 * with intact false). */
static pa_err
link_read(const PGresult *r, int k, struct auth_chain_link *l)
{
	*l = (struct auth_chain_link) { .id = col_i64(r, k, LINK_ID),
		.first_id                   = col_i64(r, k, LINK_FIRST),
		.last_id                    = col_i64(r, k, LINK_LAST) };
	if (pa_db_bytea(r, k, LINK_PREV, l->prev_hash, sizeof l->prev_hash) != PA_OK
	    || pa_db_bytea(r, k, LINK_HASH, l->hash, sizeof l->hash) != PA_OK
	    || pa_db_bytea(r, k, LINK_SIG, l->signature, sizeof l->signature) != PA_OK
	    || PQgetisnull(r, k, LINK_DIGESTS_LEN))
		return PA_OK;
	l->row_digests_len = (size_t) col_i64(r, k, LINK_DIGESTS_LEN);
	if ((l->row_digests = malloc(l->row_digests_len + 1)) == NULL)
		return PA_ENOMEM;
	if (pa_db_bytea(r, k, LINK_DIGESTS, l->row_digests, l->row_digests_len) != PA_OK) {
		free(l->row_digests);
		l->row_digests     = NULL;
		l->row_digests_len = 0;
		return PA_OK;
	}
	l->intact = true;
	return PA_OK;
}

pa_err
auth_chain_links(struct pa_db *db, int64_t after, struct auth_chain_page *out)
{
	char      a[24];
	PGresult *r;
	pa_err    rv;

	out->n = 0;
	(void) snprintf(a, sizeof a, "%lld", (long long) after);
	if ((rv = pa_db_exec(db, &st_links, (const char *[]) { a }, &r)) != PA_OK)
		return rv;
	for (int k = 0; k < PQntuples(r) && k < AUTH_CHAIN_PAGE && rv == PA_OK; k++) {
		rv = link_read(r, k, &out->link[k]);
		out->n++;
	}
	PQclear(r);
	return rv;
}

void
auth_chain_page_clear(struct auth_chain_page *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->link[i].row_digests);
	p->n = 0;
}

pa_err
auth_chain_snapshot(struct pa_db *db)
{
	return pa_db_exec_simple(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
}
