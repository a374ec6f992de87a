/* prompt.h: owns reading a password: from $PHONEAUTH_PASSWORD (and $PHONEAUTH_PASSWORD_CONFIRM)
 * or from the terminal with echo off, echo restored on every path, a signal included. */
#ifndef PHONEAUTH_CLI_PROMPT_H
#define PHONEAUTH_CLI_PROMPT_H

/* Room for the largest PHONEAUTH_PASSWORD_MAX (4096 characters, at most 4 bytes each in UTF-8),
 * a newline and the NUL. */
#define CLI_PW_BUF (4 * 4096 + 2)

struct cli_passwords {
	char pw[CLI_PW_BUF];
	char confirm[CLI_PW_BUF];
};

/* Fills p->pw from $PHONEAUTH_PASSWORD, else from a "Password: " prompt. Returns 0, or -1 after
 * printing why (no terminal, interrupted, too long) with p zeroed. On success the caller zeroes
 * p once the password has been sent. */
int cli_prompt_password(struct cli_passwords *p);

/* cli_prompt_password, then p->confirm from $PHONEAUTH_PASSWORD_CONFIRM or a second prompt. A
 * password from the environment is its own confirmation unless PHONEAUTH_PASSWORD_CONFIRM says
 * otherwise: the point of confirming is a typo unseen. Same returns as cli_prompt_password. */
int cli_prompt_password_pair(struct cli_passwords *p);

#endif
