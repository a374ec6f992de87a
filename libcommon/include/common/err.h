/* err.h: the one error type of libcommon and the services; text and names come from one table. */
#ifndef PHONEAUTH_COMMON_ERR_H
#define PHONEAUTH_COMMON_ERR_H

#include <stddef.h>

#define PA_MUSTCHECK __attribute__((warn_unused_result))

/* XX(name, text): every failure a libcommon function can report. */
#define PA_ERR_MAP(XX)                                \
	XX(OK, "ok")                                  \
	XX(ENOMEM, "out of memory")                   \
	XX(EINVAL, "invalid argument")                \
	XX(ENOTFOUND, "not found")                    \
	XX(EEXIST, "already exists")                  \
	XX(EUNAVAILABLE, "service unavailable")       \
	XX(ECLOSED, "closed")                         \
	XX(ETIMEDOUT, "timed out")                    \
	XX(EPROTO, "protocol error")                  \
	XX(ETOOBIG, "too large")                      \
	XX(ECRYPTO, "cryptographic operation failed") \
	XX(EDB, "database error")                     \
	XX(EIO, "input/output error")                 \
	XX(ELIMIT, "limit reached")                   \
	XX(EINTERNAL, "internal error")

typedef enum pa_err {
#define PA_ERR_ENUM(name, text) PA_##name,
	PA_ERR_MAP(PA_ERR_ENUM)
#undef PA_ERR_ENUM
	    PA_ERR_COUNT
} pa_err;

/* Static text for err; never NULL. */
const char *pa_strerror(pa_err err);
/* Static symbolic name for err ("EINVAL"); never NULL. */
const char *pa_err_name(pa_err err);

/* printf into err[0..errsz): the one-line reason a function returning a pa_err gives its caller.
 * Nothing happens when err is NULL or errsz is 0. */
void pa_errf(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
