/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The keystore (docs/clip-format.md, "Keystore"): one file, sealed with
 * AES-256-GCM under a master key (a 32-byte key file, or a passphrase
 * through scrypt), holding per-device key-encryption keys, each clip's data
 * key wrapped by its device's KEK, device pairing secrets and the clip
 * index, and the access log (who exported or played which clip, kept three
 * months). Pure C over GLib and OpenSSL. The clip format itself is clip.h;
 * clip retention and the command line are not here.
 *
 * A keystore in memory is a snapshot: mutations change only memory until
 * seecitv_keystore_save(), which refuses to overwrite a file another
 * process saved since (%SEECITV_KEYSTORE_ERROR_CHANGED: open again and
 * redo the change). A keystore is used by one thread at a time. Its path
 * must not be a symbolic link (it is replaced by rename on every save).
 * The master key can be rotated (seecitv_keystore_rotate_key(),
 * seecitv_keystore_rotate_passphrase()) so that older copies of the file
 * no longer open. The file format is version 4; versions 1 to 3 are
 * still read. A generation marker kept outside the keystore's folder
 * (seecitv_keystore_check_rollback()) notices an older copy put back.
 */
#ifndef __SEECITV_KEYSTORE_H__
#define __SEECITV_KEYSTORE_H__

#include <glib.h>

#include "clip.h"

G_BEGIN_DECLS

#define SEECITV_KEYSTORE_MASTER_KEY_SIZE 32
#define SEECITV_KEYSTORE_MAX_SECRET_SIZE 256
#define SEECITV_KEYSTORE_MAX_DEVICE_ID 64
#define SEECITV_KEYSTORE_MAX_PATH 4096

#define SEECITV_KEYSTORE_ERROR (seecitv_keystore_error_quark ())
GQuark seecitv_keystore_error_quark (void);

/**
 * SeecitvKeystoreError:
 * @SEECITV_KEYSTORE_ERROR_IO: a file operation failed (the message names it)
 * @SEECITV_KEYSTORE_ERROR_BAD_FORMAT: not a keystore, or a malformed one
 * @SEECITV_KEYSTORE_ERROR_UNSUPPORTED_VERSION: a newer keystore format
 * @SEECITV_KEYSTORE_ERROR_AUTH: the file does not authenticate: wrong
 *   master key or passphrase, or a damaged file
 * @SEECITV_KEYSTORE_ERROR_PROTECTION: a passphrase given for a key-file
 *   keystore, or the other way round
 * @SEECITV_KEYSTORE_ERROR_PERMISSIONS: a key file readable or writable by
 *   group or others
 * @SEECITV_KEYSTORE_ERROR_NOT_FOUND: no such device or clip key
 * @SEECITV_KEYSTORE_ERROR_EXISTS: the device or file exists already
 * @SEECITV_KEYSTORE_ERROR_INVALID: an invalid argument (device id, path, size)
 * @SEECITV_KEYSTORE_ERROR_CHANGED: the file was saved by someone else since
 *   it was opened
 * @SEECITV_KEYSTORE_ERROR_KEY_MISMATCH: a clip's header names other key ids
 *   than the keystore holds for that clip
 * @SEECITV_KEYSTORE_ERROR_CRYPTO: OpenSSL failed
 * @SEECITV_KEYSTORE_ERROR_ROLLBACK: the keystore file is not the one its
 *   generation marker names (seecitv_keystore_check_rollback())
 */
typedef enum
{
  SEECITV_KEYSTORE_ERROR_IO,
  SEECITV_KEYSTORE_ERROR_BAD_FORMAT,
  SEECITV_KEYSTORE_ERROR_UNSUPPORTED_VERSION,
  SEECITV_KEYSTORE_ERROR_AUTH,
  SEECITV_KEYSTORE_ERROR_PROTECTION,
  SEECITV_KEYSTORE_ERROR_PERMISSIONS,
  SEECITV_KEYSTORE_ERROR_NOT_FOUND,
  SEECITV_KEYSTORE_ERROR_EXISTS,
  SEECITV_KEYSTORE_ERROR_INVALID,
  SEECITV_KEYSTORE_ERROR_CHANGED,
  SEECITV_KEYSTORE_ERROR_KEY_MISMATCH,
  SEECITV_KEYSTORE_ERROR_CRYPTO,
  SEECITV_KEYSTORE_ERROR_ROLLBACK,
} SeecitvKeystoreError;

/* The SeecitvKeystoreError code of @err (SEECITV_KEYSTORE_ERROR_IO for an
 * error of another domain). */
gint seecitv_keystore_error_code (const GError * err);

/* The details of a keystore failure, the same in every element, for
 * GST_ELEMENT_ERROR_WITH_DETAILS () and _WARNING_: `reason` "keystore",
 * `keystore-error` (gint, the SeecitvKeystoreError code) and `message`
 * (the human text, which names files and causes, never key material). */
#define SEECITV_KEYSTORE_ERROR_DETAILS(err) \
  "reason", G_TYPE_STRING, "keystore", \
  "keystore-error", G_TYPE_INT, seecitv_keystore_error_code (err), \
  "message", G_TYPE_STRING, (err)->message

/**
 * SeecitvKeystoreKdfParams:
 *
 * scrypt cost: N = 2^@log2_n, @r, @p. Stored in the file; a reader accepts
 * log2_n 10..22, r 1..32, p 1..16 and at most 1 GiB of memory.
 */
typedef struct
{
  guint8 log2_n;
  guint32 r;
  guint32 p;
} SeecitvKeystoreKdfParams;

/* 2^17 * 8 * 128 bytes = 128 MiB per derivation. */
#define SEECITV_KEYSTORE_DEFAULT_LOG2_N 17
#define SEECITV_KEYSTORE_DEFAULT_R 8
#define SEECITV_KEYSTORE_DEFAULT_P 1

/**
 * SeecitvClipState:
 * @SEECITV_CLIP_STATE_RECORDING: its writer has not ended it (yet: a
 *   crash leaves a clip in this state until a recorder recovers it)
 * @SEECITV_CLIP_STATE_COMPLETE: sealed with its final chunk: a copy that
 *   ends before it was cut
 * @SEECITV_CLIP_STATE_TRUNCATED: its writer ended without the final chunk
 *   (a crash recovered at the next start, a failed write, a stop without
 *   sealing): it decrypts up to its last sync
 *
 * A clip's state, one set everywhere (the index, `seecitv list` and
 * `verify`, seecitvdecrypt). The values are the file format's.
 */
typedef enum
{
  SEECITV_CLIP_STATE_RECORDING = 0,
  SEECITV_CLIP_STATE_COMPLETE = 1,
  SEECITV_CLIP_STATE_TRUNCATED = 2,
} SeecitvClipState;

/* "recording", "complete" or "truncated" ("unknown" for another value). */
const gchar *seecitv_clip_state_name (SeecitvClipState state);

/**
 * SeecitvKeystoreClipInfo:
 * @start_time, @end_time: wall-clock microseconds since the Unix epoch (as
 *   g_get_real_time()); @end_time is -1 while unknown
 *
 * A clip index entry, without key material.
 */
typedef struct
{
  SeecitvClipIds ids;
  gchar *device_id;
  gchar *path;
  gint64 start_time;
  gint64 end_time;
  SeecitvClipState state;
} SeecitvKeystoreClipInfo;

void seecitv_keystore_clip_info_free (SeecitvKeystoreClipInfo * info);

typedef struct _SeecitvKeystore SeecitvKeystore;

gboolean seecitv_keystore_device_id_is_valid (const gchar * device_id);

/* Master key files: 32 random bytes, mode 0600. */
gboolean seecitv_keystore_master_key_create (const gchar * path,
    guint8 * key, GError ** error);
gboolean seecitv_keystore_master_key_load (const gchar * path,
    guint8 * key, GError ** error);

SeecitvKeystore *seecitv_keystore_create_with_key (const gchar * path,
    const guint8 * master_key, GError ** error);
SeecitvKeystore *seecitv_keystore_create_with_passphrase (const gchar * path,
    const gchar * passphrase, gsize passphrase_len,
    const SeecitvKeystoreKdfParams * params, GError ** error);
SeecitvKeystore *seecitv_keystore_open_with_key (const gchar * path,
    const guint8 * master_key, GError ** error);
SeecitvKeystore *seecitv_keystore_open_with_passphrase (const gchar * path,
    const gchar * passphrase, gsize passphrase_len, GError ** error);
SeecitvKeystore *seecitv_keystore_new_from_data (const guint8 * data,
    gsize len, const guint8 * master_key, GError ** error);
gboolean seecitv_keystore_save (SeecitvKeystore * ks, GError ** error);
gboolean seecitv_keystore_rotate_key (SeecitvKeystore * ks,
    const gchar * key_path, GError ** error);
gboolean seecitv_keystore_rotate_passphrase (SeecitvKeystore * ks,
    const gchar * passphrase, gsize passphrase_len,
    const SeecitvKeystoreKdfParams * params, GError ** error);
guint8 *seecitv_keystore_serialize (SeecitvKeystore * ks, gsize * len,
    GError ** error);
const gchar *seecitv_keystore_get_path (SeecitvKeystore * ks);
void seecitv_keystore_free (SeecitvKeystore * ks);

gboolean seecitv_keystore_has_device (SeecitvKeystore * ks,
    const gchar * device_id);
gboolean seecitv_keystore_add_device (SeecitvKeystore * ks,
    const gchar * device_id, GError ** error);
gboolean seecitv_keystore_forget_device (SeecitvKeystore * ks,
    const gchar * device_id, GError ** error);
gchar **seecitv_keystore_list_devices (SeecitvKeystore * ks);
gboolean seecitv_keystore_set_pairing_secret (SeecitvKeystore * ks,
    const gchar * device_id, const guint8 * secret, gsize len,
    GError ** error);
gssize seecitv_keystore_get_pairing_secret (SeecitvKeystore * ks,
    const gchar * device_id, guint8 * buf, gsize buf_size, GError ** error);

gboolean seecitv_keystore_new_clip_key (SeecitvKeystore * ks,
    const gchar * device_id, const gchar * path, gint64 start_time,
    guint8 * key, SeecitvClipIds * ids, GError ** error);
gboolean seecitv_keystore_get_clip_key (SeecitvKeystore * ks,
    const guint8 * clip_id, guint8 * key, SeecitvClipIds * ids,
    GError ** error);
gboolean seecitv_keystore_set_clip_info (SeecitvKeystore * ks,
    const guint8 * clip_id, const gchar * path, gint64 end_time,
    GError ** error);
gboolean seecitv_keystore_set_clip_state (SeecitvKeystore * ks,
    const guint8 * clip_id, SeecitvClipState state, GError ** error);
gboolean seecitv_keystore_get_clip_state (SeecitvKeystore * ks,
    const guint8 * clip_id, SeecitvClipState * state);
gboolean seecitv_keystore_delete_clip_key (SeecitvKeystore * ks,
    const guint8 * clip_id, GError ** error);
GPtrArray *seecitv_keystore_list_clips (SeecitvKeystore * ks,
    const gchar * device_id);

gboolean seecitv_keystore_clip_key_func (const SeecitvClipHeader * header,
    guint8 * key, gpointer user_data, GError ** error);

/**
 * SeecitvAccessAction:
 * @SEECITV_ACCESS_EXPORT: a clip was exported (`seecitv export`)
 * @SEECITV_ACCESS_PLAY: a clip was played (seecitvdecrypt)
 * @SEECITV_ACCESS_SHEET: a contact sheet was made of a clip (`seecitv sheet`)
 *
 * What an access log entry records. The values are the file format's.
 */
typedef enum
{
  SEECITV_ACCESS_EXPORT = 1,
  SEECITV_ACCESS_PLAY = 2,
  SEECITV_ACCESS_SHEET = 3,
} SeecitvAccessAction;

/* Entries older than this many calendar months are removed at every
 * write of the log (docs/clip-format.md, "Access log"). */
#define SEECITV_KEYSTORE_ACCESS_RETENTION_MONTHS 3

/**
 * SeecitvKeystoreAccess:
 * @time: microseconds since the Unix epoch
 * @clip_id: the clip read
 * @device_id: the clip's device, "" when the index did not know it
 * @path: the file read, "" when unknown
 * @user: who: "NAME (uid N)"
 * @process: which program: "PROGRAM[PID]"
 *
 * One access log entry.
 */
typedef struct
{
  gint64 time;
  SeecitvAccessAction action;
  guint8 clip_id[SEECITV_CLIP_ID_SIZE];
  gchar *device_id;
  gchar *path;
  gchar *user;
  gchar *process;
} SeecitvKeystoreAccess;

void seecitv_keystore_access_free (SeecitvKeystoreAccess * entry);
const gchar *seecitv_keystore_access_action_name (SeecitvAccessAction action);
gint64 seecitv_keystore_access_now (void);
gint64 seecitv_keystore_access_cutoff (gint64 now);
gboolean seecitv_keystore_add_access (SeecitvKeystore * ks,
    const SeecitvKeystoreAccess * entry, gint64 now, GError ** error);
guint seecitv_keystore_expire_access (SeecitvKeystore * ks, gint64 now);
GPtrArray *seecitv_keystore_list_access (SeecitvKeystore * ks);
gboolean seecitv_keystore_reload (SeecitvKeystore * ks, GError ** error);

/**
 * SeecitvKeystoreChangeFunc:
 * @ks: the keystore, as last read from its storage
 * @user_data: the caller's data
 *
 * Makes one change to @ks in memory (or, as a commit function, writes
 * it). It may run several times, each time on a freshly read keystore, so
 * it must start from what @ks holds and not from an earlier run.
 *
 * Returns: %FALSE with @error set to give up
 */
typedef gboolean (*SeecitvKeystoreChangeFunc) (SeecitvKeystore * ks,
    gpointer user_data, GError ** error);

/* How many times seecitv_keystore_update() tries before it gives up with
 * %SEECITV_KEYSTORE_ERROR_CHANGED. */
#define SEECITV_KEYSTORE_UPDATE_ATTEMPTS 8

gboolean seecitv_keystore_update (SeecitvKeystore * ks,
    SeecitvKeystoreChangeFunc change, gpointer user_data, GError ** error);
gboolean seecitv_keystore_update_full (SeecitvKeystore * ks,
    SeecitvKeystoreChangeFunc change, SeecitvKeystoreChangeFunc commit,
    gpointer user_data, GError ** error);
gboolean seecitv_keystore_record_access (SeecitvKeystore * ks,
    SeecitvAccessAction action, const guint8 * clip_id,
    const gchar * clip_path, GError ** error);

/* How the elements (and scripts) find a keystore's secret: the master key
 * file is PATH.key beside the keystore unless a passphrase file is given. */
#define SEECITV_KEYSTORE_KEY_FILE_SUFFIX ".key"
/* During a key rotation, the new master key is in KEY_FILE.new until the
 * keystore has been replaced (seecitv_keystore_rotate_key()). */
#define SEECITV_KEYSTORE_PENDING_KEY_SUFFIX ".new"
#define SEECITV_KEYSTORE_MAX_PASSPHRASE 1024

gchar *seecitv_keystore_default_key_path (const gchar * path);
gchar *seecitv_keystore_passphrase_file_load (const gchar * path,
    gsize * len, GError ** error);
SeecitvKeystore *seecitv_keystore_open_default (const gchar * path,
    const gchar * passphrase_file, GError ** error);

/* The generation marker (keystore-marker.c): a MAC'd file outside the
 * keystore's folder naming the keystore file last saved, so that an older
 * copy put back is noticed. Readers of clips (export, playback, sheet)
 * call seecitv_keystore_check_rollback(); saving goes on regardless
 * (recording continues) but leaves a marker that does not match alone. */
gboolean seecitv_keystore_check_rollback (SeecitvKeystore * ks,
    GError ** error);
gboolean seecitv_keystore_set_marker (SeecitvKeystore * ks,
    const gchar * marker_path, GError ** error);
const gchar *seecitv_keystore_get_marker_path (SeecitvKeystore * ks);
gchar *seecitv_keystore_default_marker_path (const gchar * path);

/* The marker's off-site copy (the seecitv command puts it on each upload
 * target, docs/privacy.md): the local marker's bytes, a check of a copy
 * read back, and the epoch a save starts before its marker is put. */
#define SEECITV_KEYSTORE_MARKER_COPY_SIZE 64
gboolean seecitv_keystore_get_marker_copy (SeecitvKeystore * ks,
    guint8 * out, guint64 * generation, GError ** error);
gboolean seecitv_keystore_check_marker_copy (SeecitvKeystore * ks,
    const guint8 * data, gsize len, gboolean * older, GError ** error);
gboolean seecitv_keystore_marker_new_epoch (SeecitvKeystore * ks,
    gpointer unused, GError ** error);

G_END_DECLS

#endif /* __SEECITV_KEYSTORE_H__ */
