/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Inside the keystore library only (not for tests or callers): the
 * file's constants, the in-memory tables and the calls between the
 * keystore's files, one section each: keystore.c (tables: devices, clips,
 * pairing secrets), keystore-format.c (envelope and payload records, the
 * key derivation and wrapping), keystore-file.c (files, saving, rotation,
 * master key files, opening by convention, reload and the update helper),
 * keystore-access.c (the access log), keystore-marker.c (the generation
 * marker).
 */
#ifndef __SEECITV_KEYSTORE_INTERNAL_H__
#define __SEECITV_KEYSTORE_INTERNAL_H__

#include "keystore.h"

G_BEGIN_DECLS

/* Version 1: device and clip records. Version 2 adds the access log
 * (record type 3). Version 3 ends each clip record with the clip's state.
 * Version 4 adds the generation marker's path (record type 4).
 * Readers take every version up to theirs and refuse a newer one by its
 * number; writers always write the newest. */
#define KEYSTORE_VERSION 4
#define KEYSTORE_MIN_VERSION 1

/* Envelope layout, see docs/clip-format.md */
#define OFF_VERSION 8
#define OFF_PROTECTION 10
#define OFF_RESERVED1 11
#define OFF_SALT 12
#define OFF_LOG2_N 28
#define OFF_RESERVED2 29
#define OFF_R 32
#define OFF_P 36
#define OFF_NONCE 40
#define OFF_LENGTH 52
#define ENVELOPE_HEADER_SIZE 56
#define TAG_SIZE 16
#define SALT_SIZE 16
#define NONCE_SIZE 12

#define PROTECTION_KEY_FILE 1
#define PROTECTION_SCRYPT 2

#define MAX_PAYLOAD (64 * 1024 * 1024)

#define RECORD_DEVICE 1
#define RECORD_CLIP 2
#define RECORD_ACCESS 3
#define RECORD_MARKER 4
#define RECORD_HEADER_SIZE 5

#define ACCESS_MAX_NAME 255

#define KEK_SIZE 32
#define WRAPPED_SIZE (SEECITV_CLIP_KEY_SIZE + 8)

#define SCRYPT_MIN_LOG2_N 10
#define SCRYPT_MAX_LOG2_N 22
#define SCRYPT_MAX_R 32
#define SCRYPT_MAX_P 16
#define SCRYPT_MAX_MEM (G_GUINT64_CONSTANT (1) << 30)

typedef struct
{
  gchar *id;
  guint8 kek_id[SEECITV_CLIP_ID_SIZE];
  guint8 kek[KEK_SIZE];
  gint64 created;
  guint8 secret[SEECITV_KEYSTORE_MAX_SECRET_SIZE];
  gsize secret_len;
} Device;

typedef struct
{
  guint8 clip_id[SEECITV_CLIP_ID_SIZE]; /* first: the hash key */
  gchar *device_id;
  guint8 kek_id[SEECITV_CLIP_ID_SIZE];
  guint8 data_key_id[SEECITV_CLIP_ID_SIZE];
  guint8 wrapped[WRAPPED_SIZE];
  gchar *path;
  gint64 start_time;
  gint64 end_time;
  guint8 state;                 /* SeecitvClipState */
} Clip;

typedef struct
{
  gint64 time;
  guint8 action;
  guint8 clip_id[SEECITV_CLIP_ID_SIZE];
  gchar *device_id;             /* "" when unknown */
  gchar *path;
  gchar *user;
  gchar *process;
} Access;

struct _SeecitvKeystore
{
  gchar *path;                  /* NULL for an in-memory keystore */
  guint8 file_key[SEECITV_KEYSTORE_MASTER_KEY_SIZE];
  guint8 protection;
  guint8 salt[SALT_SIZE];
  SeecitvKeystoreKdfParams kdf;
  /* The nonce of the file as last read or written: a save first checks
   * that the file on disk still carries it. */
  guint8 nonce[NONCE_SIZE];
  /* The format version of the file as read (the writer writes the
   * newest). */
  guint version;
  guint write_version;          /* KEYSTORE_VERSION but in tests */
  /* How the file key was obtained when opened by
   * seecitv_keystore_open_default(), so that a reload after a key
   * rotation can obtain the new one; NULL otherwise. */
  gchar *key_path;
  gchar *passphrase_file;

  GHashTable *devices;          /* id -> Device */
  GHashTable *clips;            /* clip_id -> Clip */
  GPtrArray *access;            /* Access, oldest first */
  /* The generation marker (keystore-marker.c), from the file; NULL when
   * it has none. With marker_accept, the next save writes the marker
   * whatever it held (keys init, keys accept-restore). With
   * marker_new_epoch, the next save starts a new epoch of generations
   * (the high 32 bits), before its marker is put on S3. */
  gchar *marker_path;
  gboolean marker_accept;
  gboolean marker_new_epoch;
};

typedef enum
{
  SEECITV_KS_MARKER_MISMATCH,
  SEECITV_KS_MARKER_MATCH,
  SEECITV_KS_MARKER_MATCH_PENDING,
} SeecitvKsMarkerState;

G_GNUC_INTERNAL
void seecitv_ks_access_free (Access * a);
G_GNUC_INTERNAL
gboolean seecitv_ks_access_forget_device (SeecitvKeystore * ks,
    const Device * d, GHashTable * clip_ids, GError ** error);
G_GNUC_INTERNAL
gboolean seecitv_ks_check_kdf_params (const SeecitvKeystoreKdfParams * p,
    gint code, GError ** error);
G_GNUC_INTERNAL
gboolean seecitv_ks_check_path (const gchar * path, GError ** error);
G_GNUC_INTERNAL
void seecitv_ks_clip_free (Clip * c);
G_GNUC_INTERNAL
gint seecitv_ks_compare_access (gconstpointer a, gconstpointer b);
G_GNUC_INTERNAL
gint seecitv_ks_compare_clips (gconstpointer a, gconstpointer b);
G_GNUC_INTERNAL
gint seecitv_ks_compare_device_ids (gconstpointer a, gconstpointer b);
G_GNUC_INTERNAL
gboolean seecitv_ks_derive_key (const gchar * passphrase,
    gsize passphrase_len, const guint8 * salt,
    const SeecitvKeystoreKdfParams * p, guint8 * key, GError ** error);
G_GNUC_INTERNAL
void seecitv_ks_device_free (Device * d);
G_GNUC_INTERNAL
guint8 *seecitv_ks_envelope_open (SeecitvKeystore * ks, const guint8 * data,
    gsize payload_len, GError ** error);
G_GNUC_INTERNAL
gboolean seecitv_ks_envelope_parse_header (SeecitvKeystore * ks,
    const guint8 * data, gsize len, gsize * payload_len, GError ** error);
G_GNUC_INTERNAL
SeecitvKeystore *seecitv_ks_keystore_new (void);
G_GNUC_INTERNAL
SeecitvKeystore *seecitv_ks_keystore_parse (const guint8 * data, gsize len,
    const guint8 * master_key, const gchar * passphrase, gsize passphrase_len,
    GError ** error);
G_GNUC_INTERNAL
void seecitv_ks_keystore_take (SeecitvKeystore * ks, SeecitvKeystore * from);
G_GNUC_INTERNAL
SeecitvKeystore *seecitv_ks_open_with_key_file (const gchar * path,
    const gchar * key_path, GError ** error);
G_GNUC_INTERNAL
guint8 *seecitv_ks_read_file (const gchar * path, gsize max, gsize * len,
    GError ** error);
G_GNUC_INTERNAL
GPtrArray *seecitv_ks_table_values (GHashTable * table);
G_GNUC_INTERNAL
SeecitvKsMarkerState seecitv_ks_marker_state (SeecitvKeystore * ks,
    guint64 * generation);
G_GNUC_INTERNAL
gboolean seecitv_ks_marker_write_pending (SeecitvKeystore * ks,
    guint64 generation, const guint8 * nonce, GError ** error);
G_GNUC_INTERNAL
gboolean seecitv_ks_marker_commit (SeecitvKeystore * ks, GError ** error);
G_GNUC_INTERNAL
gboolean seecitv_ks_parse_payload (SeecitvKeystore * ks, const guint8 * data,
    gsize len, GError ** error);

G_END_DECLS

#endif /* __SEECITV_KEYSTORE_INTERNAL_H__ */
