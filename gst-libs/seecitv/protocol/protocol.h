/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The seecitv device protocol (docs/protocol.md), its pure logic: the HTTP
 * header values of the mutual HMAC-SHA256 authentication (formatting and
 * strict parsing), the two proofs, the device's stateless challenges and
 * its set of used ones, the device-info document, pairing key files and
 * the MAC pseudonym. Plain C over GLib and OpenSSL: no libsoup, no
 * GStreamer, so it is unit tested (tests/check/libs/protocol.c) and fuzzed
 * (tests/fuzz/fuzz-protocol.c) on its own. Sending requests, reading
 * responses and serving streams live in gstseecitvsrc.c and
 * tools/seecitv-device.c.
 *
 * Every function that returns a string returns it newly allocated (g_free
 * ()); every parse result has its own _free (). Hex is lowercase, always.
 */
#ifndef __SEECITV_PROTOCOL_H__
#define __SEECITV_PROTOCOL_H__

#include <glib.h>

G_BEGIN_DECLS

#define SEECITV_PROTOCOL_ERROR (seecitv_protocol_error_quark ())
GQuark seecitv_protocol_error_quark (void);

typedef enum
{
  SEECITV_PROTOCOL_ERROR_SYNTAX,        /* malformed header value or document */
  SEECITV_PROTOCOL_ERROR_DEVICE_ID,     /* bad or unexpected device id */
  SEECITV_PROTOCOL_ERROR_CHALLENGE,     /* unknown, expired or reused */
  SEECITV_PROTOCOL_ERROR_PROOF,         /* proof does not match */
  SEECITV_PROTOCOL_ERROR_KEY_FILE,      /* unreadable or malformed key file */
  SEECITV_PROTOCOL_ERROR_CRYPTO,        /* OpenSSL failed */
  SEECITV_PROTOCOL_ERROR_BUSY           /* used challenges full: later */
} SeecitvProtocolError;

#define SEECITV_PROTOCOL_SCHEME "Seecitv"
#define SEECITV_PROTOCOL_KEY_LEN 32            /* pairing secret, bytes */
#define SEECITV_PROTOCOL_NONCE_LEN 16          /* challenge and cnonce, bytes */
#define SEECITV_PROTOCOL_PROOF_LEN 32          /* HMAC-SHA256 */
#define SEECITV_PROTOCOL_DEVICE_ID_MAX 64
/* Longest header value or info line the parsers look at. */
#define SEECITV_PROTOCOL_MAX_HEADER 2048
#define SEECITV_PROTOCOL_MAX_INFO 4096
#define SEECITV_PROTOCOL_INFO_VALUE_MAX 256

/* Paths the device serves. */
#define SEECITV_PROTOCOL_STREAM_PATH "/seecitv/v1/stream"
#define SEECITV_PROTOCOL_INFO_PATH "/seecitv/v1/info"
/* Per-part header with the capture time (ns since the Unix epoch). */
#define SEECITV_PROTOCOL_CAPTURE_TIME_HEADER "X-Seecitv-Capture-Time"

typedef enum
{
  SEECITV_PROOF_CLIENT,         /* client -> device, in Authorization */
  SEECITV_PROOF_DEVICE          /* device -> client, in Authentication-Info */
} SeecitvProofRole;

/* `[A-Za-z0-9._-]{1,64}`, the `seecitv-device-id` charset. */
gboolean seecitv_protocol_device_id_is_valid (const gchar * device_id);

/* An HTTP method token (RFC 9110) and an origin-form request target
 * ("/" then printable ASCII without spaces), as bound into the proofs. */
gboolean seecitv_protocol_method_is_valid (const gchar * method);
gboolean seecitv_protocol_path_is_valid (const gchar * path);

/* @len random bytes (RAND_bytes) as 2 * @len lowercase hex characters. */
gchar *seecitv_protocol_random_hex (gsize len, GError ** error);

/* The device's 401 challenge: WWW-Authenticate value. */
typedef struct
{
  gchar *device_id;
  gchar *challenge;             /* 32 lowercase hex */
  guint expires;                /* seconds the challenge stays valid */
} SeecitvChallenge;

void seecitv_challenge_free (SeecitvChallenge * challenge);
gchar *seecitv_protocol_format_challenge (const SeecitvChallenge * c);
/* Finds the Seecitv challenge in a WWW-Authenticate value that may hold
 * several (other schemes are skipped). */
SeecitvChallenge *seecitv_protocol_parse_challenge (const gchar * value,
    GError ** error);

/* The client's answer: Authorization value. */
typedef struct
{
  gchar *device_id;
  gchar *challenge;             /* 32 lowercase hex, as received */
  gchar *cnonce;                /* 32 lowercase hex, fresh per request */
  gchar *proof;                 /* 64 lowercase hex */
} SeecitvAuthorization;

void seecitv_authorization_free (SeecitvAuthorization * auth);
gchar *seecitv_protocol_format_authorization (const SeecitvAuthorization *
    auth);
SeecitvAuthorization *seecitv_protocol_parse_authorization (const gchar *
    value, GError ** error);

/* The device's proof: Authentication-Info value `proof="<64 hex>"`.
 * Parsing returns the proof hex. */
gchar *seecitv_protocol_format_authentication_info (const gchar * proof);
gchar *seecitv_protocol_parse_authentication_info (const gchar * value,
    GError ** error);

/* HMAC-SHA256 over the message of docs/protocol.md; every string argument
 * must pass its validity check above (else SYNTAX or DEVICE_ID). Returns
 * the proof as 64 lowercase hex. */
gchar *seecitv_protocol_compute_proof (SeecitvProofRole role,
    const guint8 * key, gsize key_len, const gchar * device_id,
    const gchar * challenge, const gchar * cnonce, const gchar * method,
    const gchar * path, GError ** error);

/* Recomputes the proof and compares it with @proof in constant time
 * (CRYPTO_memcmp over the decoded bytes). FALSE with PROOF on mismatch. */
gboolean seecitv_protocol_check_proof (SeecitvProofRole role,
    const guint8 * key, gsize key_len, const gchar * device_id,
    const gchar * challenge, const gchar * cnonce, const gchar * method,
    const gchar * path, const gchar * proof, GError ** error);

/* The device's challenges (issue 15: a flood of requests for challenges
 * must not push a real client's challenge out). Issuing keeps no state: a
 * challenge is its issue time (whole seconds of the caller's monotonic
 * clock), a counter and a MAC (HMAC-SHA256, first 8 bytes) over both and
 * the client's address, under a random key made by _new () that never
 * leaves the store. A challenge is good for the address it was issued to,
 * for less than @lifetime_s seconds (1 to 3600; at least @lifetime_s - 1:
 * the time is in whole seconds), and for one verified proof: the challenge
 * of a proof that verified goes into a set of used challenges, kept until
 * its time refuses it anyway. A wrong proof does not use its challenge up
 * (the brute-force brake below counts wrong proofs). The set holds at most
 * @max_used: when it is full, new logins are refused (BUSY) until its
 * oldest entry expires, rather than forgetting an unexpired one (which
 * would let that one be replayed); only verified proofs fill it, so only
 * holders of the pairing secret can fill it. The key is in memory only:
 * a new store (a device restart) refuses every challenge of the old one,
 * which is also what keeps the old store's used challenges from being
 * replayed. Times are the caller's monotonic clock (g_get_monotonic_time
 * ()), passed in so that tests control them. Not thread-safe: the device
 * serves from one main context. */
typedef struct _SeecitvChallengeStore SeecitvChallengeStore;

/* NULL with CRYPTO if OpenSSL cannot make or set the key. */
SeecitvChallengeStore *seecitv_challenge_store_new (guint max_used,
    guint lifetime_s, GError ** error);
void seecitv_challenge_store_free (SeecitvChallengeStore * store);
/* A challenge (32 hex) for a client at @address (as the device sees it,
 * without the port), or NULL with CRYPTO. */
gchar *seecitv_challenge_store_issue (SeecitvChallengeStore * store,
    const gchar * address, gint64 now_us, GError ** error);
/* TRUE if @challenge was issued by @store to @address, has not expired and
 * is not used; else FALSE with CHALLENGE, or with BUSY if it is good but
 * the used set is full. The MAC is compared in constant time. Uses
 * nothing up. */
gboolean seecitv_challenge_store_check (SeecitvChallengeStore * store,
    const gchar * challenge, const gchar * address, gint64 now_us,
    GError ** error);
/* Puts a checked challenge into the used set (its proof verified); FALSE
 * with CHALLENGE if it is there already, BUSY if the set is full. */
gboolean seecitv_challenge_store_use (SeecitvChallengeStore * store,
    const gchar * challenge, gint64 now_us, GError ** error);
/* How many used challenges are remembered. */
guint seecitv_challenge_store_used (SeecitvChallengeStore * store);
/* 0 if a login may use a challenge now, else the microseconds until the
 * full used set has room again (> 0). */
gint64 seecitv_challenge_store_busy (SeecitvChallengeStore * store,
    gint64 now_us);

/* The device's brute-force brake (issue 7), for the seecitv protocol and
 * HTTP Basic/Digest alike: per client address, @max_failures failed
 * logins, each within @window_us of the previous one, lock the address
 * out for @lockout_us; every further lock-out of the same address (a
 * failure right after one ended) doubles it, up to 32 times. A success
 * forgets the address. At most @max_addresses are tracked (the least
 * recently seen unlocked one is forgotten first), so memory is bounded
 * whatever clients do. Times are the caller's monotonic microseconds.
 * Not thread-safe. */
typedef struct _SeecitvRateLimiter SeecitvRateLimiter;

SeecitvRateLimiter *seecitv_rate_limiter_new (guint max_failures,
    gint64 window_us, gint64 lockout_us, guint max_addresses);
void seecitv_rate_limiter_free (SeecitvRateLimiter * limiter);
/* 0 if @address may try to log in now, else the microseconds left of its
 * lock-out (> 0). */
gint64 seecitv_rate_limiter_check (SeecitvRateLimiter * limiter,
    const gchar * address, gint64 now_us);
/* Records a failed login; returns what check () now returns. */
gint64 seecitv_rate_limiter_fail (SeecitvRateLimiter * limiter,
    const gchar * address, gint64 now_us);
void seecitv_rate_limiter_succeed (SeecitvRateLimiter * limiter,
    const gchar * address);
guint seecitv_rate_limiter_size (SeecitvRateLimiter * limiter);
/* Seconds for a Retry-After header: @remaining_us rounded up, >= 1. */
guint seecitv_rate_limiter_retry_after (gint64 remaining_us);

/* Everything the device checks on a request from @address carrying
 * @authorization (the Authorization value, may be NULL): syntax, device
 * id, challenge (checked first: a proof over a bad one is not looked at),
 * client proof; a verified proof uses its challenge up. On success
 * returns the Authentication-Info value to send back; else NULL with the
 * reason. Only PROOF is a guess at the secret, the one failure a
 * brute-force brake should count; BUSY: the used set is full (the caller
 * answers 503 with Retry-After from seecitv_challenge_store_busy ()); any
 * other: the caller answers 401 with a new challenge and never says which
 * check failed. */
gchar *seecitv_protocol_device_verify (SeecitvChallengeStore * store,
    const guint8 * key, gsize key_len, const gchar * device_id,
    const gchar * address, const gchar * method, const gchar * path,
    const gchar * authorization, gint64 now_us, GError ** error);

/* Device info (GET SEECITV_PROTOCOL_INFO_PATH): `text/plain` lines
 * `key=value\n`, UTF-8; keys `device-id` (required), `model`, `name`,
 * `mac` (`xx:xx:xx:xx:xx:xx`, lowercase). Unknown keys are ignored, a
 * duplicate key, a control character or a value longer than
 * SEECITV_PROTOCOL_INFO_VALUE_MAX is a SYNTAX error. */
typedef struct
{
  gchar *device_id;
  gchar *model;                 /* NULL if absent */
  gchar *name;                  /* NULL if absent */
  gchar *mac;                   /* NULL if absent */
} SeecitvDeviceInfo;

void seecitv_device_info_free (SeecitvDeviceInfo * info);
gchar *seecitv_protocol_format_info (const SeecitvDeviceInfo * info,
    GError ** error);
SeecitvDeviceInfo *seecitv_protocol_parse_info (const gchar * data,
    gsize len, GError ** error);

/* The MAC as it may leave the element: HMAC-SHA256 keyed by the pairing
 * secret over "seecitv-v1 mac\n" and the lowercase MAC, first 16 bytes in
 * hex. Stable per device and key, meaningless to anyone without the key. */
gchar *seecitv_protocol_pseudonymise_mac (const guint8 * key, gsize key_len,
    const gchar * mac, GError ** error);

/* A pairing key file: 64 hex characters (either case), optional
 * whitespace around them, nothing else; the file must not be readable by
 * group or others. Fills @key (SEECITV_PROTOCOL_KEY_LEN bytes). */
gboolean seecitv_protocol_load_key_file (const gchar * path, guint8 * key,
    GError ** error);
/* Parses the same text from memory. */
gboolean seecitv_protocol_parse_key (const gchar * text, gsize len,
    guint8 * key, GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeecitvChallenge, seecitv_challenge_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeecitvAuthorization,
    seecitv_authorization_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeecitvDeviceInfo, seecitv_device_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeecitvChallengeStore,
    seecitv_challenge_store_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeecitvRateLimiter, seecitv_rate_limiter_free)

G_END_DECLS

#endif /* __SEECITV_PROTOCOL_H__ */
