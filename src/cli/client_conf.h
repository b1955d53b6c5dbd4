/*
 * client_conf.h - where `tern send` and `tern sendmail` submit mail: the client configuration
 * file (/etc/tern/client.conf, INI, section [client]), then the environment over it, then the
 * command's own options over both.
 *
 *     [client]
 *     server = mail.example.org:587   ; HOST[:PORT], [IPv6]:PORT
 *     tls = starttls                  ; starttls (default), implicit or none
 *     user = app
 *     password_file = /etc/tern/client.password
 *     from = app@example.org          ; the sender when a message names none
 *     ca_file = /etc/ssl/certs/my-ca.pem
 *     tls_verify = yes                ; no: accept any certificate (tests only)
 *     helo = app.example.org
 *     timeout = 60                    ; seconds for the connection and each reply
 *
 * Environment: TERN_CLIENT_CONFIG (the file), TERN_SERVER, TERN_TLS, TERN_USER, TERN_PASSWORD
 * (the password itself), TERN_PASSWORD_FILE, TERN_FROM, TERN_CA_FILE, TERN_TLS_VERIFY,
 * TERN_HELO, TERN_TIMEOUT.
 *
 * Promises: a file named by TERN_CLIENT_CONFIG or -C must exist; the default file may be
 * missing (the environment may say everything), but one that exists and cannot be read, an
 * unknown key or a bad value is an error that names the file, the line and what to write.
 * The password is read only when asked for (client_conf_password), so a command that fails
 * earlier never touches the file.
 */
#ifndef TERN_CLI_CLIENT_CONF_H
#define TERN_CLI_CLIENT_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tern/client.h>

#define CLIENT_CONF_DEFAULT "/etc/tern/client.conf"
#define CLIENT_PATH_MAX	    1024

struct client_conf {
	char path[CLIENT_PATH_MAX]; /* the file read, "" when none was */
	char host[256];		    /* "" when nothing says */
	uint16_t port;		    /* 0: the mode's (587, 465, 25) */
	enum tern_tls_mode tls;
	char user[256]; /* "" for no login */
	char password_file[CLIENT_PATH_MAX];
	char password[1024]; /* TERN_PASSWORD, or read from password_file */
	bool password_set;
	char from[512];
	char ca_file[CLIENT_PATH_MAX];
	bool no_verify;
	char helo[256];
	unsigned timeout; /* seconds, 0: the library's */
};

/* Defaults, then the file (`path`, else $TERN_CLIENT_CONFIG, else the default), then the
 * environment. 0, or -1 with what to fix in err. */
int client_conf_load(struct client_conf *c, const char *path, char *err, size_t errlen);

/* Parses "HOST", "HOST:PORT", "[IPv6]:PORT" or a bare IPv6 address into host and port. */
bool client_conf_server(struct client_conf *c, const char *v);
/* "starttls", "implicit" (or "tls", "ssl"), "none" (or "plain"). */
bool client_conf_tls(const char *v, enum tern_tls_mode *out);

/* Makes sure the password is known when a user is: read from password_file unless
 * TERN_PASSWORD gave it. 0, or -1 with what to fix in err. */
int client_conf_password(struct client_conf *c, char *err, size_t errlen);

#endif
