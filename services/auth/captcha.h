/* captcha.h: server-side verification of a captcha token (Cloudflare Turnstile, hCaptcha) with
 * the provider's siteverify endpoint: one form POST (secret, response, remoteip) with libcurl, a
 * short timeout and no retries, the answer's JSON `success` read with json-c. */
#ifndef PHONEAUTH_AUTH_CAPTCHA_H
#define PHONEAUTH_AUTH_CAPTCHA_H

enum auth_captcha_verdict {
	AUTH_CAPTCHA_PASSED, /* the provider said success: true */
	AUTH_CAPTCHA_FAILED, /* it said success: false (a bad, expired or used token) */
	AUTH_CAPTCHA_UNAVAILABLE, /* no answer in time, not HTTP 200, or not its JSON */
};

/* The provider's siteverify URL: "turnstile" or "hcaptcha"; NULL for any other name. */
const char *auth_captcha_default_url(const char *provider);

/* Asks url whether token is good for remoteip (NULL or "": not sent), with secret, within
 * timeout_s seconds. Thread-safe once curl_global_init has run. Never logs the token or the
 * secret. */
enum auth_captcha_verdict auth_captcha_verify(
    const char *url, const char *secret, const char *token, const char *remoteip, int timeout_s);

#endif
