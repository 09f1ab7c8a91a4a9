/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The keystore's access log: its clock, three-month expiry, entries, and
 * seecitv_keystore_record_access ().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "keystore.h"
#include "keystore-internal.h"
#include "keystore-private.h"
#include "cryptoutil.h"

#include <seecitv/deviceid.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

/* ------------------------------------------------------------------------
 * Access log
 * ------------------------------------------------------------------------ */

/* Set only by tests, in their own process (keystore-private.h): no
 * environment variable or file moves this clock, in any build, so that
 * whoever runs a reader cannot backdate or expire the log through it. */
static SeecitvKeystoreClock access_clock = NULL;

void
seecitv_keystore_set_access_clock (SeecitvKeystoreClock clock)
{
  g_atomic_pointer_set (&access_clock, clock);
}

/**
 * seecitv_keystore_access_now:
 *
 * The clock of the access log: the real time.
 *
 * Returns: microseconds since the Unix epoch
 */
gint64
seecitv_keystore_access_now (void)
{
  SeecitvKeystoreClock clock = g_atomic_pointer_get (&access_clock);

  return clock != NULL ? clock () : g_get_real_time ();
}

/**
 * seecitv_keystore_access_cutoff:
 *
 * Returns: the oldest time an access entry may have at @now: the same
 *   instant %SEECITV_KEYSTORE_ACCESS_RETENTION_MONTHS calendar months
 *   earlier (UTC; a day missing in that month clamps to its last day)
 */
gint64
seecitv_keystore_access_cutoff (gint64 now)
{
  GDateTime *dt = g_date_time_new_from_unix_utc (now / G_USEC_PER_SEC);
  GDateTime *back;
  gint64 cutoff;

  if (dt == NULL)
    return G_MININT64;
  back = g_date_time_add_months (dt, -SEECITV_KEYSTORE_ACCESS_RETENTION_MONTHS);
  g_date_time_unref (dt);
  if (back == NULL)
    return G_MININT64;
  cutoff = g_date_time_to_unix (back) * G_USEC_PER_SEC + now % G_USEC_PER_SEC;
  g_date_time_unref (back);
  return cutoff;
}

/**
 * seecitv_keystore_expire_access:
 *
 * Removes the access entries older than seecitv_keystore_access_cutoff()
 * of @now (in memory; save to make it last).
 *
 * Returns: how many were removed
 */
guint
seecitv_keystore_expire_access (SeecitvKeystore * ks, gint64 now)
{
  gint64 cutoff;
  guint n = 0;

  g_return_val_if_fail (ks != NULL, 0);

  cutoff = seecitv_keystore_access_cutoff (now);
  while (n < ks->access->len &&
      ((Access *) ks->access->pdata[n])->time < cutoff)
    n++;
  if (n > 0)
    g_ptr_array_remove_range (ks->access, 0, n);
  return n;
}

/* At most @max bytes of @s, cut at a UTF-8 character boundary when @s is
 * UTF-8. */
static gchar *
bounded_copy (const gchar * s, gsize max)
{
  gsize n = s ? strlen (s) : 0;

  if (n > max) {
    const gchar *end = s + max;

    if (g_utf8_validate (s, -1, NULL))
      end = g_utf8_find_prev_char (s, s + max + 1);
    n = end - s;
  }
  return g_strndup (s ? s : "", n);
}

/**
 * seecitv_keystore_add_access:
 * @entry: @time, @action, @clip_id and @path are used as given (@path at
 *   most %SEECITV_KEYSTORE_MAX_PATH bytes); @device_id (nullable: "" if
 *   not a valid device id), @user and @process (nullable, cut to 255
 *   bytes) are copied
 * @now: the access log's clock, as seecitv_keystore_access_now()
 *
 * Appends @entry to the access log and removes the entries older than
 * three months before @now (in memory; save to make it last). The log
 * stays in time order: an entry older than the newest one already there is
 * dated as that one (a clock set back cannot slip an entry in before, or
 * make the next write expire it early).
 */
gboolean
seecitv_keystore_add_access (SeecitvKeystore * ks,
    const SeecitvKeystoreAccess * entry, gint64 now, GError ** error)
{
  Access *a;

  g_return_val_if_fail (ks != NULL, FALSE);
  g_return_val_if_fail (entry != NULL, FALSE);

  if (entry->action < SEECITV_ACCESS_EXPORT ||
      entry->action > SEECITV_ACCESS_SHEET) {
    g_set_error (error, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_INVALID,
        "unknown access action %d", entry->action);
    return FALSE;
  }
  if (!seecitv_ks_check_path (entry->path, error))
    return FALSE;
  a = g_new0 (Access, 1);
  a->time = entry->time;
  if (ks->access->len > 0)
    a->time = MAX (a->time,
        ((Access *) ks->access->pdata[ks->access->len - 1])->time);
  a->action = entry->action;
  memcpy (a->clip_id, entry->clip_id, SEECITV_CLIP_ID_SIZE);
  a->device_id = g_strdup (entry->device_id != NULL &&
      seecitv_keystore_device_id_is_valid (entry->device_id) ?
      entry->device_id : "");
  a->path = g_strdup (entry->path ? entry->path : "");
  a->user = bounded_copy (entry->user, ACCESS_MAX_NAME);
  a->process = bounded_copy (entry->process, ACCESS_MAX_NAME);
  g_ptr_array_add (ks->access, a);
  g_ptr_array_sort (ks->access, seecitv_ks_compare_access);
  seecitv_keystore_expire_access (ks, now);
  return TRUE;
}

/* What the pseudonym of a forgotten device is computed over, after this
 * label: its id. */
#define PSEUDONYM_LABEL "seecitv access log pseudonym\0"
#define PSEUDONYM_PREFIX "forgotten-"
#define PSEUDONYM_BYTES 16

/* Wipes and frees @s, replacing it by a copy of @with. */
static void
replace_string (gchar ** s, const gchar * with)
{
  OPENSSL_cleanse (*s, strlen (*s));
  g_free (*s);
  *s = g_strdup (with);
}

/**
 * seecitv_ks_access_forget_device:
 * @d: the device being forgotten, its KEK still there
 * @clip_ids: (element-type guint8[SEECITV_CLIP_ID_SIZE]): the ids of its
 *   clips
 *
 * The access log keeps its entries for three months, also those of a
 * forgotten device, but no longer names it: each entry of @d (by device,
 * or by one of @clip_ids) gets the device's pseudonym instead of its id,
 * and loses its path (which names the device too). The pseudonym is
 * "forgotten-" and 32 hex digits of HMAC-SHA256 under the device's KEK,
 * which is deleted with the device: entries of the same device stay
 * linked to one another, and nobody, keystore in hand, can tell which
 * device it was by trying names. Before this there was no pseudonym of a
 * device id (the MAC's, seecitv_protocol_pseudonymise_mac (), is keyed by
 * the pairing secret and of the MAC, which the keystore never holds).
 */
gboolean
seecitv_ks_access_forget_device (SeecitvKeystore * ks, const Device * d,
    GHashTable * clip_ids, GError ** error)
{
  guint8 mac[EVP_MAX_MD_SIZE];
  guint mac_len = 0;
  gchar pseudonym[sizeof (PSEUDONYM_PREFIX) + 2 * PSEUDONYM_BYTES];
  GByteArray *msg = g_byte_array_new ();
  guint i;
  guint8 *ok;

  g_byte_array_append (msg, (const guint8 *) PSEUDONYM_LABEL,
      sizeof (PSEUDONYM_LABEL));
  g_byte_array_append (msg, (const guint8 *) d->id, strlen (d->id));
  ok = HMAC (EVP_sha256 (), d->kek, KEK_SIZE, msg->data, msg->len, mac,
      &mac_len);
  g_byte_array_unref (msg);
  if (ok == NULL || mac_len < PSEUDONYM_BYTES) {
    seecitv_crypto_set_error (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_CRYPTO, "HMAC-SHA256");
    return FALSE;
  }
  memcpy (pseudonym, PSEUDONYM_PREFIX, strlen (PSEUDONYM_PREFIX));
  for (i = 0; i < PSEUDONYM_BYTES; i++)
    g_snprintf (pseudonym + strlen (PSEUDONYM_PREFIX) + 2 * i, 3, "%02x",
        mac[i]);
  OPENSSL_cleanse (mac, sizeof (mac));

  for (i = 0; i < ks->access->len; i++) {
    Access *a = ks->access->pdata[i];

    if (strcmp (a->device_id, d->id) != 0 &&
        !g_hash_table_contains (clip_ids, a->clip_id))
      continue;
    replace_string (&a->device_id, pseudonym);
    replace_string (&a->path, "");
  }
  return TRUE;
}

void
seecitv_keystore_access_free (SeecitvKeystoreAccess * entry)
{
  if (entry == NULL)
    return;
  g_free (entry->device_id);
  g_free (entry->path);
  g_free (entry->user);
  g_free (entry->process);
  g_free (entry);
}

/**
 * seecitv_keystore_list_access:
 *
 * Returns: (transfer full) (element-type SeecitvKeystoreAccess): the access
 *   log, oldest first; g_ptr_array_unref() it
 */
GPtrArray *
seecitv_keystore_list_access (SeecitvKeystore * ks)
{
  GPtrArray *out;
  guint i;

  g_return_val_if_fail (ks != NULL, NULL);

  out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      seecitv_keystore_access_free);
  for (i = 0; i < ks->access->len; i++) {
    Access *a = ks->access->pdata[i];
    SeecitvKeystoreAccess *e = g_new0 (SeecitvKeystoreAccess, 1);

    e->time = a->time;
    e->action = a->action;
    memcpy (e->clip_id, a->clip_id, SEECITV_CLIP_ID_SIZE);
    e->device_id = g_strdup (a->device_id);
    e->path = g_strdup (a->path);
    e->user = g_strdup (a->user);
    e->process = g_strdup (a->process);
    g_ptr_array_add (out, e);
  }
  return out;
}

const gchar *
seecitv_keystore_access_action_name (SeecitvAccessAction action)
{
  switch (action) {
    case SEECITV_ACCESS_EXPORT:
      return "export";
    case SEECITV_ACCESS_PLAY:
      return "play";
    case SEECITV_ACCESS_SHEET:
      return "sheet";
    default:
      return "unknown";
  }
}

/* "NAME (uid N)" of the calling user. */
static gchar *
current_user (void)
{
  return g_strdup_printf ("%s (uid %u)", g_get_user_name (),
      (guint) getuid ());
}

/* "PROGRAM[PID]" of the calling process. */
static gchar *
current_process (void)
{
  const gchar *prg = g_get_prgname ();
  gchar *comm = NULL, *s;

  if (prg == NULL && g_file_get_contents ("/proc/self/comm", &comm, NULL,
          NULL))
    g_strchomp (comm);
  s = g_strdup_printf ("%s[%d]", prg ? prg : (comm ? comm : "?"),
      (int) getpid ());
  g_free (comm);
  return s;
}

/**
 * seecitv_keystore_record_access:
 * @clip_path: (nullable): the file that was read
 *
 * Writes one access log entry (now, @action, the clip, its device from the
 * index, the user and the process) and saves the keystore, expiring
 * entries older than three months. When someone else saved meanwhile, the
 * keystore is reloaded (seecitv_keystore_reload(): unsaved changes are
 * lost) and the entry written again, a few times.
 */
typedef struct
{
  SeecitvKeystoreAccess entry;
  const guint8 *clip_id;
  const gchar *clip_path;
} AccessChange;

static gboolean
record_access_change (SeecitvKeystore * ks, gpointer data, GError ** error)
{
  AccessChange *a = data;
  Clip *k = g_hash_table_lookup (ks->clips, a->clip_id);
  gint64 now = seecitv_keystore_access_now ();

  a->entry.time = now;
  a->entry.device_id = k ? k->device_id : NULL;
  a->entry.path = (gchar *) (a->clip_path ? a->clip_path :
      (k ? k->path : NULL));
  return seecitv_keystore_add_access (ks, &a->entry, now, error);
}

gboolean
seecitv_keystore_record_access (SeecitvKeystore * ks,
    SeecitvAccessAction action, const guint8 * clip_id,
    const gchar * clip_path, GError ** error)
{
  AccessChange a = { {0} };
  gboolean ok;

  g_return_val_if_fail (ks != NULL, FALSE);
  g_return_val_if_fail (clip_id != NULL, FALSE);

  a.entry.action = action;
  memcpy (a.entry.clip_id, clip_id, SEECITV_CLIP_ID_SIZE);
  a.clip_id = clip_id;
  a.clip_path = clip_path;
  a.entry.user = current_user ();
  a.entry.process = current_process ();
  ok = seecitv_keystore_update (ks, record_access_change, &a, error);
  g_free (a.entry.user);
  g_free (a.entry.process);
  return ok;
}
