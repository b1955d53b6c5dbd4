/*
 * dkim.h - DKIM keys and signing: the private keys of the sending domains on disk, the DNS
 * records that publish them, and the signer the server uses (RFC 6376, RFC 8301, RFC 8463).
 *
 * Keys: PEM PKCS#8 files at DATA_DIR/dkim/DOMAIN/SELECTOR.pem, the directories 0700 and the
 * files 0600, listed in the store (store.h, "DKIM keys"). RSA keys have 2048 to 4096 bits;
 * shorter ones are refused, and rsa-sha1 is never used. Ed25519 keys sign as ed25519-sha256.
 *
 * Signing: the signer loads the private key of every 'active' key once; 'pending' keys wait
 * for their DNS record and 'retiring' ones stay published but no longer sign. A domain with an
 * active RSA key and an active Ed25519 key gets both signatures (dual signing), so that
 * verifiers that know only RSA still pass. dkim_sign may run on several threads at once over
 * one signer: the keys are read-only after the load and every call has its own contexts.
 *
 * Canonicalization and the signing input are src/proto/dkim_canon.h; this file adds the keys.
 * Errors are -errno with, where there is an err argument, a sentence that says what went wrong
 * and what to do.
 */
#ifndef TERN_DKIM_DKIM_H
#define TERN_DKIM_DKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "proto/dkim_canon.h"
#include "store/store.h"

#define DKIM_TXT_STRING_MAX 255 /* octets of one character-string of a TXT record */

/* ---- keys on disk ---------------------------------------------------------------------- */

/* Makes DATA_DIR/dkim and DATA_DIR/dkim/DOMAIN (0700 when made) and writes into out the key
 * file's absolute path, DATA_DIR/dkim/DOMAIN/SELECTOR.pem. domain and selector are expected
 * normalized (store_dkim_domain_norm, store_dkim_selector_norm). 0, or -errno with err. */
int dkim_key_prepare_path(const char *data_dir, const char *domain, const char *selector, char *out,
			  size_t size, char *err, size_t errlen);

/* Generates a key (RSA of `bits`, 2048..4096, or Ed25519 with bits 0) and writes it to path as
 * PEM PKCS#8, mode 0600, durably. Never replaces a file: -EEXIST when path exists. */
int dkim_key_generate(enum store_dkim_alg alg, int bits, const char *path, char *err,
		      size_t errlen);

/* Reads the PEM private key in `from` (PKCS#8 or the traditional RSA form, not encrypted),
 * checks it is RSA of 2048..4096 bits or Ed25519, and writes it to path as generate does. *alg
 * and *bits (0 for Ed25519) say what it is. -EINVAL for a key that is refused (too short, another
 * type, not a private key), -ENOENT when `from` is missing, -EEXIST when path exists. */
int dkim_key_import(const char *from, const char *path, enum store_dkim_alg *alg, int *bits,
		    char *err, size_t errlen);

/* Reads the PEM private key at path and says what it is, with the checks of import: 0 with
 * *alg and *bits (0 for Ed25519), -ENOENT (or another -errno) when it cannot be read, -EINVAL
 * when it is refused. */
int dkim_key_inspect(const char *path, enum store_dkim_alg *alg, int *bits, char *err,
		     size_t errlen);

/* ---- the DNS record --------------------------------------------------------------------- */

/* The TXT value that publishes the key at path, appended to out: "v=DKIM1; k=rsa; p=BASE64"
 * with the DER SubjectPublicKeyInfo for RSA, "v=DKIM1; k=ed25519; p=BASE64" with the raw 32-byte
 * public key for Ed25519 (RFC 8463). */
int dkim_txt_value(const char *path, struct buf *out, char *err, size_t errlen);

/* The record's name, fully qualified with the trailing dot, appended to out:
 * "SELECTOR._domainkey.DOMAIN." */
bool dkim_txt_name(const char *domain, const char *selector, struct buf *out);

/* Splits value into the character-strings of a TXT record: how many strings of at most
 * DKIM_TXT_STRING_MAX octets it takes, and where string i starts (i * DKIM_TXT_STRING_MAX). */
size_t dkim_txt_strings(size_t value_len);

/* The zone-file line, appended to out without a final newline:
 *   sel1._domainkey.example.com.  IN TXT ( "v=DKIM1; k=rsa; p=MIIB..." "...rest..." )
 * the value split into strings of at most DKIM_TXT_STRING_MAX octets. The value holds no '"'
 * or '\\' (base64 and tags), so nothing needs escaping. */
bool dkim_txt_record(const char *domain, const char *selector, const char *value, struct buf *out);

/* ---- signing ---------------------------------------------------------------------------- */

struct dkim_signer;

/* Loads the private key of every 'active' key in the store (one per domain and algorithm: the
 * most recently activated when there are more). NULL with err (naming the file and what to do)
 * when the store cannot be read, a key file is missing or unreadable, or a file holds another
 * kind of key than the store says: a key that should sign and cannot is never skipped
 * silently. A store without keys gives a signer that signs nothing. */
struct dkim_signer *dkim_signer_load(struct store *st, char *err, size_t errlen);
void dkim_signer_free(struct dkim_signer *s); /* NULL is fine */

/* Canonicalization for the signatures to come (relaxed/relaxed unless set). Not thread-safe:
 * call before the signer is shared. */
void dkim_signer_set_canon(struct dkim_signer *s, enum dkim_canon header, enum dkim_canon body);

/* How many keys the signer holds. */
size_t dkim_signer_count(const struct dkim_signer *s);

/* Whether domain (any case, one trailing dot allowed) has a key to sign with: the caller can
 * skip a trip to the thread pool for mail that will not be signed. Thread-safe. */
bool dkim_signer_has(const struct dkim_signer *s, const char *domain);

/* Signs msg[0..len) (the exact octets to be transmitted: header, empty line, body) for domain
 * (any case, one trailing dot allowed) with each of its active keys: one RSA and/or one Ed25519,
 * RSA first. t = now; x = now + expire_s when expire_s > 0. Appends the DKIM-Signature fields,
 * each ending in CRLF, to out, to be put in front of the message. Writes into desc (may be NULL)
 * "example.com/sel1/rsa-sha256,example.com/sel2/ed25519-sha256", or "none (no key for
 * example.com)". Returns the number of signatures made (0 when the domain has no key), or -errno
 * (out as it was): -EINVAL for bad arguments or a message the canonicalizer refuses, -ENOMEM,
 * -EIO when OpenSSL fails. Thread-safe. */
int dkim_sign(const struct dkim_signer *s, const char *domain, const uint8_t *msg, size_t len,
	      int64_t now, int64_t expire_s, struct buf *out, char *desc, size_t desclen);

#endif
