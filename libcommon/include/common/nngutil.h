/* nngutil.h: workarounds for the NNG 1.5 that Debian 12 ships. */
#ifndef PHONEAUTH_COMMON_NNGUTIL_H
#define PHONEAUTH_COMMON_NNGUTIL_H

#include <stdbool.h>

#include <nng/nng.h>

/* Closes sock, waiting at most timeout_ms. nng_close can deadlock in NNG up to 1.7
 * (nanomsg/nng#1543, #1813), so the close runs in a thread of its own; one that does not finish
 * in time is left running (it only matters while the process lives). Returns true when the
 * socket closed in time. */
bool pa_nng_close_bounded(nng_socket sock, int timeout_ms);

#endif
