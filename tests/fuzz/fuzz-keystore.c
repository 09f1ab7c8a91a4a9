/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target for the keystore reader (gst-libs/seecitv/crypto/keystore.c), with a
 * fixed master key. The first input byte picks the mode: even, the rest is
 * a keystore file (the envelope parser; random bytes rarely pass GCM); odd,
 * the rest is a payload, sealed here under the master key so that the
 * record parser behind the tag is reached. A failure must be a
 * SEECITV_KEYSTORE_ERROR; a success must hold only valid device ids and
 * clips whose device is present, an access log in time order with known
 * actions, and must serialise into a file that reads back to the same
 * devices, clip index and access log. Any broken contract abort ()s.
 * Passphrase files stop at the protection check: no scrypt runs here.
 */
#include <glib.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <seecitv/crypto/keystore.h>
#include <seecitv/crypto/keystore-private.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static const guint8 fuzz_master[SEECITV_KEYSTORE_MASTER_KEY_SIZE] = {
  0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
  0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f,
  0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57,
  0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f
};

static void
die (const char *what)
{
  fprintf (stderr, "fuzz-keystore: %s\n", what);
  abort ();
}

static void
check_error (GError * err)
{
  if (err == NULL || err->domain != SEECITV_KEYSTORE_ERROR ||
      err->code < SEECITV_KEYSTORE_ERROR_IO ||
      err->code > SEECITV_KEYSTORE_ERROR_CRYPTO ||
      !g_utf8_validate (err->message, -1, NULL))
    die ("malformed error");
  g_error_free (err);
}

static gboolean
same_index (GPtrArray * a, GPtrArray * b)
{
  guint i;

  if (a->len != b->len)
    return FALSE;
  for (i = 0; i < a->len; i++) {
    SeecitvKeystoreClipInfo *x = a->pdata[i], *y = b->pdata[i];

    if (memcmp (&x->ids, &y->ids, sizeof (x->ids)) != 0 ||
        strcmp (x->device_id, y->device_id) != 0 ||
        strcmp (x->path, y->path) != 0 || x->start_time != y->start_time ||
        x->end_time != y->end_time)
      return FALSE;
  }
  return TRUE;
}

static gboolean
same_access (GPtrArray * a, GPtrArray * b)
{
  guint i;

  if (a->len != b->len)
    return FALSE;
  for (i = 0; i < a->len; i++) {
    SeecitvKeystoreAccess *x = a->pdata[i], *y = b->pdata[i];

    if (x->time != y->time || x->action != y->action ||
        memcmp (x->clip_id, y->clip_id, sizeof (x->clip_id)) != 0 ||
        strcmp (x->device_id, y->device_id) != 0 ||
        strcmp (x->path, y->path) != 0 || strcmp (x->user, y->user) != 0 ||
        strcmp (x->process, y->process) != 0)
      return FALSE;
  }
  return TRUE;
}

static void
check_access (GPtrArray * log)
{
  guint i;

  for (i = 0; i < log->len; i++) {
    SeecitvKeystoreAccess *e = log->pdata[i];

    if (e->action < SEECITV_ACCESS_EXPORT || e->action > SEECITV_ACCESS_SHEET)
      die ("an unknown access action was accepted");
    if (e->device_id[0] && !seecitv_keystore_device_id_is_valid (e->device_id))
      die ("an invalid device id in the access log was accepted");
    if (i > 0 && ((SeecitvKeystoreAccess *) log->pdata[i - 1])->time > e->time)
      die ("the access log is out of order");
  }
}

static void
check_keystore (SeecitvKeystore * ks)
{
  gchar **devices = seecitv_keystore_list_devices (ks), **again_devices;
  GPtrArray *clips = seecitv_keystore_list_clips (ks, NULL), *again_clips;
  GPtrArray *log = seecitv_keystore_list_access (ks), *again_log;
  SeecitvKeystore *again;
  GError *err = NULL;
  guint8 *file;
  gsize len;
  guint i;

  for (i = 0; devices[i]; i++) {
    guint8 secret[SEECITV_KEYSTORE_MAX_SECRET_SIZE];
    gssize n;

    if (!seecitv_keystore_device_id_is_valid (devices[i]))
      die ("an invalid device id was accepted");
    n = seecitv_keystore_get_pairing_secret (ks, devices[i], secret,
        sizeof (secret), &err);
    if (n < 0)
      check_error (g_steal_pointer (&err));
    else if (n == 0 || n > SEECITV_KEYSTORE_MAX_SECRET_SIZE)
      die ("pairing secret length out of range");
  }
  for (i = 0; i < clips->len; i++) {
    SeecitvKeystoreClipInfo *info = clips->pdata[i];
    guint8 key[SEECITV_CLIP_KEY_SIZE];

    if (!seecitv_keystore_has_device (ks, info->device_id))
      die ("a clip without its device was accepted");
    /* Fuzzed wrapped keys do not unwrap; a clean error is fine. */
    if (!seecitv_keystore_get_clip_key (ks, info->ids.clip_id, key, NULL, &err))
      check_error (g_steal_pointer (&err));
  }

  check_access (log);

  file = seecitv_keystore_serialize (ks, &len, &err);
  if (file == NULL)
    die ("an accepted keystore does not serialise");
  again = seecitv_keystore_new_from_data (file, len, fuzz_master, &err);
  if (again == NULL) {
    fprintf (stderr, "%s\n", err->message);
    die ("a serialised keystore does not read back");
  }
  again_devices = seecitv_keystore_list_devices (again);
  again_clips = seecitv_keystore_list_clips (again, NULL);
  again_log = seecitv_keystore_list_access (again);
  if (!g_strv_equal ((const gchar * const *) devices,
          (const gchar * const *) again_devices) ||
      !same_index (clips, again_clips) || !same_access (log, again_log))
    die ("a serialised keystore reads back different");
  g_ptr_array_unref (again_log);
  g_ptr_array_unref (log);

  g_strfreev (again_devices);
  g_ptr_array_unref (again_clips);
  seecitv_keystore_free (again);
  g_free (file);
  g_strfreev (devices);
  g_ptr_array_unref (clips);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  SeecitvKeystore *ks;
  GError *err = NULL;
  guint8 *file = NULL;
  gsize len;

  if (size < 1)
    return 0;
  if (data[0] & 1) {
    file = seecitv_keystore_seal_payload (data + 1, size - 1, fuzz_master,
        &len, &err);
    if (file == NULL) {
      /* Only a payload over the size limit is refused. */
      if (size - 1 <= 64 * 1024 * 1024)
        die ("sealing a payload failed");
      check_error (err);
      return 0;
    }
    ks = seecitv_keystore_new_from_data (file, len, fuzz_master, &err);
  } else {
    ks = seecitv_keystore_new_from_data (data + 1, size - 1, fuzz_master, &err);
  }

  if (ks == NULL) {
    check_error (err);
  } else {
    if (err != NULL)
      die ("success with an error set");
    check_keystore (ks);
    seecitv_keystore_free (ks);
  }
  g_free (file);
  return 0;
}
