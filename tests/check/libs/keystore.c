/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests of the keystore (gst-libs/seecitv/crypto/keystore.c): master key files,
 * create/open with a key and with a passphrase, file modes, atomic and
 * conflict-checked saves, forgetting devices and deleting clip keys (a clip
 * written with the deleted key no longer opens), the access log (entries
 * kept encrypted, written across concurrent saves, expired after three
 * calendar months), format versions (1 to 3 still read, 4 written, newer ones
 * refused by number), master key rotation (the old key overwritten, a copy
 * from before unreadable with the new key, recovery of an interrupted
 * rotation, a recorder saving meanwhile in another process), and rejection
 * of damaged or malformed files. The clip format has its own test
 * (clip.c).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include <seecitv/crypto/clip.h>
#include <seecitv/crypto/keystore.h>
#include <seecitv/crypto/keystore-private.h>
#include "../common/testfs.h"

/* Byte-wise: read_be32 () loads unaligned words (UBSan). */
static guint32
read_be32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
      ((guint32) p[2] << 8) | p[3];
}

static void
write_be16 (guint8 * p, guint16 v)
{
  p[0] = v >> 8;
  p[1] = v;
}

static void
write_be32 (guint8 * p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

/* Cheap scrypt for tests; the defaults get one test of their own. */
static const SeecitvKeystoreKdfParams fast_kdf = { 10, 8, 1 };

static gchar *tmpdir;
static guint8 master[SEECITV_KEYSTORE_MASTER_KEY_SIZE];

static void
setup (void)
{
  guint i;

  tmpdir = test_tmpdir_new ("seecitv-keystore-XXXXXX");
  for (i = 0; i < sizeof (master); i++)
    master[i] = 0xc0 + i;
}

static void
teardown (void)
{
  GDir *dir = g_dir_open (tmpdir, 0, NULL);
  const gchar *name;

  while ((name = g_dir_read_name (dir)) != NULL) {
    gchar *p = g_build_filename (tmpdir, name, NULL);

    g_unlink (p);
    g_free (p);
  }
  g_dir_close (dir);
  g_rmdir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

static gchar *
tmp_path (const gchar * name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static guint
file_mode (const gchar * path)
{
  struct stat st;

  fail_unless (g_stat (path, &st) == 0);
  return st.st_mode & 07777;
}

static guint
count_dir_entries (void)
{
  GDir *dir = g_dir_open (tmpdir, 0, NULL);
  guint n = 0;

  while (g_dir_read_name (dir) != NULL)
    n++;
  g_dir_close (dir);
  return n;
}

static gboolean
append_to_array (const guint8 * data, gsize len, gpointer user_data,
    GError ** error)
{
  g_byte_array_append (user_data, data, len);
  return TRUE;
}

static GByteArray *
write_clip (const guint8 * key, const SeecitvClipIds * ids, const gchar * text)
{
  GByteArray *file = g_byte_array_new ();
  SeecitvClipWriter *w;
  GError *err = NULL;

  w = seecitv_clip_writer_new (key, ids, 0, append_to_array, file, &err);
  g_assert_no_error (err);
  fail_unless (seecitv_clip_writer_append (w, (const guint8 *) text,
          strlen (text), &err));
  fail_unless (seecitv_clip_writer_finish (w, &err));
  seecitv_clip_writer_free (w);
  return file;
}

/* Reads @file with the keys of @ks; returns the plaintext or NULL. */
static gchar *
read_clip (SeecitvKeystore * ks, GByteArray * file, GError ** error)
{
  SeecitvClipReader *r =
      seecitv_clip_reader_new (seecitv_keystore_clip_key_func, ks, NULL, 0);
  GByteArray *out = g_byte_array_new ();
  gboolean ok;

  ok = seecitv_clip_reader_push (r, file->data, file->len, out, error) &&
      seecitv_clip_reader_finish (r, NULL, error);
  seecitv_clip_reader_free (r);
  if (!ok) {
    g_byte_array_unref (out);
    return NULL;
  }
  g_byte_array_append (out, (const guint8 *) "", 1);
  return (gchar *) g_byte_array_free (out, FALSE);
}

GST_START_TEST (test_master_key_file)
{
  gchar *path = tmp_path ("ks.key");
  guint8 key[SEECITV_KEYSTORE_MASTER_KEY_SIZE];
  guint8 loaded[SEECITV_KEYSTORE_MASTER_KEY_SIZE];
  GError *err = NULL;
  mode_t old_umask = umask (0277);

  fail_unless (seecitv_keystore_master_key_create (path, key, &err));
  g_assert_no_error (err);
  umask (old_umask);
  fail_unless_equals_int (file_mode (path), 0600);
  fail_unless (seecitv_keystore_master_key_load (path, loaded, &err));
  fail_unless (memcmp (key, loaded, sizeof (key)) == 0);

  /* Never overwritten. */
  fail_if (seecitv_keystore_master_key_create (path, NULL, &err));
  g_assert_error (err, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_EXISTS);
  g_clear_error (&err);

  fail_unless (g_chmod (path, 0640) == 0);
  fail_if (seecitv_keystore_master_key_load (path, loaded, &err));
  g_assert_error (err, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_PERMISSIONS);
  g_clear_error (&err);
  g_unlink (path);

  fail_unless (g_file_set_contents (path, "short", 5, NULL));
  g_chmod (path, 0600);
  fail_if (seecitv_keystore_master_key_load (path, loaded, &err));
  g_assert_error (err, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_BAD_FORMAT);
  g_clear_error (&err);

  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_create_open_key)
{
  gchar *path = tmp_path ("keystore");
  SeecitvKeystore *ks;
  GError *err = NULL;
  guint8 key1[SEECITV_CLIP_KEY_SIZE], key2[SEECITV_CLIP_KEY_SIZE];
  guint8 got[SEECITV_CLIP_KEY_SIZE];
  guint8 secret[SEECITV_KEYSTORE_MAX_SECRET_SIZE];
  SeecitvClipIds ids1, ids2, got_ids;
  GPtrArray *clips;
  SeecitvKeystoreClipInfo *info;
  gchar **devices;
  mode_t old_umask;

  /* The mode is exactly 0600 whatever the umask, even one that would take
   * the owner's write bit. */
  old_umask = umask (0277);
  ks = seecitv_keystore_create_with_key (path, master, &err);
  umask (old_umask);
  g_assert_no_error (err);
  fail_unless_equals_int (file_mode (path), 0600);
  fail_unless_equals_string (seecitv_keystore_get_path (ks), path);

  fail_unless (seecitv_keystore_add_device (ks, "front-door", &err));
  fail_unless (seecitv_keystore_add_device (ks, "Garden_2.cam", &err));
  g_assert_no_error (err);
  fail_unless (seecitv_keystore_has_device (ks, "front-door"));
  fail_if (seecitv_keystore_add_device (ks, "front-door", &err));
  g_assert_error (err, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_EXISTS);
  g_clear_error (&err);

  fail_unless (seecitv_keystore_new_clip_key (ks, "front-door",
          "/rec/a.mkv.enc", 2000, key1, &ids1, &err));
  fail_unless (seecitv_keystore_new_clip_key (ks, "Garden_2.cam", NULL,
          1000, key2, &ids2, &err));
  g_assert_no_error (err);
  fail_if (memcmp (key1, key2, sizeof (key1)) == 0);
  fail_if (memcmp (ids1.clip_id, ids2.clip_id, SEECITV_CLIP_ID_SIZE) == 0);
  fail_if (memcmp (ids1.kek_id, ids2.kek_id, SEECITV_CLIP_ID_SIZE) == 0);
  fail_unless (seecitv_keystore_set_clip_info (ks, ids1.clip_id, NULL, 9000,
          &err));
  fail_unless (seecitv_keystore_set_pairing_secret (ks, "front-door",
          (const guint8 *) "s3cret", 6, &err));
  fail_if (seecitv_keystore_new_clip_key (ks, "nobody", NULL, 0, got,
          &got_ids, &err));
  g_assert_error (err, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_NOT_FOUND);
  g_clear_error (&err);

  old_umask = umask (0);
  fail_unless (seecitv_keystore_save (ks, &err));
  umask (old_umask);
  g_assert_no_error (err);
  fail_unless_equals_int (file_mode (path), 0600);
  seecitv_keystore_free (ks);

  /* Creating over an existing keystore is refused. */
  ks = seecitv_keystore_create_with_key (path, master, &err);
  fail_unless (ks == NULL);
  g_assert_error (err, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_EXISTS);
  g_clear_error (&err);

  ks = seecitv_keystore_open_with_key (path, master, &err);
  g_assert_no_error (err);
  devices = seecitv_keystore_list_devices (ks);
  fail_unless_equals_int (g_strv_length (devices), 2);
  fail_unless_equals_string (devices[0], "Garden_2.cam");
  fail_unless_equals_string (devices[1], "front-door");
  g_strfreev (devices);

  fail_unless (seecitv_keystore_get_clip_key (ks, ids1.clip_id, got,
          &got_ids, &err));
  fail_unless (memcmp (got, key1, sizeof (got)) == 0);
  fail_unless (memcmp (&got_ids, &ids1, sizeof (ids1)) == 0);
  fail_unless (seecitv_keystore_get_clip_key (ks, ids2.clip_id, got, NULL,
          &err));
  fail_unless (memcmp (got, key2, sizeof (got)) == 0);

  fail_unless_equals_int (seecitv_keystore_get_pairing_secret (ks,
          "front-door", secret, sizeof (secret), &err), 6);
  fail_unless (memcmp (secret, "s3cret", 6) == 0);
  fail_unless_equals_int (seecitv_keystore_get_pairing_secret (ks,
          "Garden_2.cam", secret, sizeof (secret), &err), -1);
  g_assert_error (err, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_NOT_FOUND);
  g_clear_error (&err);

  /* Oldest first, no key material, times and paths kept. */
  clips = seecitv_keystore_list_clips (ks, NULL);
  fail_unless_equals_int (clips->len, 2);
  info = g_ptr_array_index (clips, 0);
  fail_unless_equals_string (info->device_id, "Garden_2.cam");
  fail_unless_equals_string (info->path, "");
  fail_unless_equals_int64 (info->start_time, 1000);
  fail_unless_equals_int64 (info->end_time, -1);
  info = g_ptr_array_index (clips, 1);
  fail_unless_equals_string (info->device_id, "front-door");
  fail_unless_equals_string (info->path, "/rec/a.mkv.enc");
  fail_unless_equals_int64 (info->start_time, 2000);
  fail_unless_equals_int64 (info->end_time, 9000);
  fail_unless (memcmp (&info->ids, &ids1, sizeof (ids1)) == 0);
  g_ptr_array_unref (clips);
  clips = seecitv_keystore_list_clips (ks, "front-door");
  fail_unless_equals_int (clips->len, 1);
  g_ptr_array_unref (clips);
  seecitv_keystore_free (ks);

  /* A wrong master key. */
  master[0] ^= 1;
  ks = seecitv_keystore_open_with_key (path, master, &err);
  master[0] ^= 1;
  fail_unless (ks == NULL);
  g_assert_error (err, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_AUTH);
  g_clear_error (&err);

  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_passphrase)
{
  gchar *path = tmp_path ("keystore");
  const gchar *pass = "correct horse battery staple";
  SeecitvKeystore *ks;
  SeecitvKeystoreKdfParams bad = { 30, 8, 1 };
  GError *err = NULL;

  ks = seecitv_keystore_create_with_passphrase (path, pass, strlen (pass),
      &bad, &err);
  fail_unless (ks == NULL);
  g_assert_error (err, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_INVALID);
  g_clear_error (&err);
  ks = seecitv_keystore_create_with_passphrase (path, "", 0, NULL, &err);
  g_assert_error (err, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_INVALID);
  g_clear_error (&err);

  ks = seecitv_keystore_create_with_passphrase (path, pass, strlen (pass),
      &fast_kdf, &err);
  g_assert_no_error (err);
  fail_unless (seecitv_keystore_add_device (ks, "cam1", &err));
  fail_unless (seecitv_keystore_save (ks, &err));
  g_assert_no_error (err);
  seecitv_keystore_free (ks);
  fail_unless_equals_int (file_mode (path), 0600);

  ks = seecitv_keystore_open_with_passphrase (path, pass, strlen (pass), &err);
  g_assert_no_error (err);
  fail_unless (seecitv_keystore_has_device (ks, "cam1"));
  /* Saving again keeps the passphrase (and its salt and cost). */
  fail_unless (seecitv_keystore_add_device (ks, "cam2", &err));
  fail_unless (seecitv_keystore_save (ks, &err));
  seecitv_keystore_free (ks);
  ks = seecitv_keystore_open_with_passphrase (path, pass, strlen (pass), &err);
  g_assert_no_error (err);
  fail_unless (seecitv_keystore_has_device (ks, "cam2"));
  seecitv_keystore_free (ks);

  ks = seecitv_keystore_open_with_passphrase (path, "Correct horse battery "
      "staple", strlen (pass), &err);
  fail_unless (ks == NULL);
  g_assert_error (err, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_AUTH);
  g_clear_error (&err);

  /* Only the protection the file says. */
  ks = seecitv_keystore_open_with_key (path, master, &err);
  fail_unless (ks == NULL);
  g_assert_error (err, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_PROTECTION);
  g_clear_error (&err);
  g_unlink (path);

  ks = seecitv_keystore_create_with_key (path, master, &err);
  seecitv_keystore_free (ks);
  ks = seecitv_keystore_open_with_passphrase (path, pass, strlen (pass), &err);
  fail_unless (ks == NULL);
  g_assert_error (err, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_PROTECTION);
  g_clear_error (&err);

  g_free (path);
}

GST_END_TEST;

/* The default scrypt cost (128 MiB) works within OpenSSL's memory limit. */
GST_START_TEST (test_passphrase_default_cost)
{
  gchar *path = tmp_path ("keystore");
  SeecitvKeystore *ks;
  GError *err = NULL;
  gchar *data;
  gsize len;

  ks = seecitv_keystore_create_with_passphrase (path, "pw", 2, NULL, &err);
  g_assert_no_error (err);
  seecitv_keystore_free (ks);
  fail_unless (g_file_get_contents (path, &data, &len, NULL));
  fail_unless_equals_int (data[28], SEECITV_KEYSTORE_DEFAULT_LOG2_N);
  fail_unless_equals_int (read_be32 ((guint8 *) data + 32),
      SEECITV_KEYSTORE_DEFAULT_R);
  fail_unless_equals_int (read_be32 ((guint8 *) data + 36),
      SEECITV_KEYSTORE_DEFAULT_P);
  g_free (data);
  ks = seecitv_keystore_open_with_passphrase (path, "pw", 2, &err);
  g_assert_no_error (err);
  seecitv_keystore_free (ks);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_forget_device)
{
  gchar *path = tmp_path ("keystore");
  SeecitvKeystore *ks;
  GError *err = NULL;
  guint8 key[SEECITV_CLIP_KEY_SIZE];
  SeecitvClipIds ids_a1, ids_a2, ids_b;
  GByteArray *clip_a1, *clip_a2, *clip_b;
  guint8 secret[16];
  GPtrArray *clips;
  gchar *text;

  ks = seecitv_keystore_create_with_key (path, master, &err);
  g_assert_no_error (err);
  fail_unless (seecitv_keystore_add_device (ks, "a", &err));
  fail_unless (seecitv_keystore_add_device (ks, "b", &err));
  fail_unless (seecitv_keystore_set_pairing_secret (ks, "a",
          (const guint8 *) "xyz", 3, &err));
  fail_unless (seecitv_keystore_new_clip_key (ks, "a", "a1", 1, key, &ids_a1,
          &err));
  clip_a1 = write_clip (key, &ids_a1, "first clip of a");
  fail_unless (seecitv_keystore_new_clip_key (ks, "a", "a2", 2, key, &ids_a2,
          &err));
  clip_a2 = write_clip (key, &ids_a2, "second clip of a");
  fail_unless (seecitv_keystore_new_clip_key (ks, "b", "b1", 3, key, &ids_b,
          &err));
  clip_b = write_clip (key, &ids_b, "clip of b");
  g_assert_no_error (err);
  fail_unless (seecitv_keystore_save (ks, &err));

  text = read_clip (ks, clip_a1, &err);
  g_assert_no_error (err);
  fail_unless_equals_string (text, "first clip of a");
  g_free (text);

  fail_unless (seecitv_keystore_forget_device (ks, "a", &err));
  fail_if (seecitv_keystore_forget_device (ks, "a", &err));
  g_assert_error (err, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_NOT_FOUND);
  g_clear_error (&err);
  fail_unless (seecitv_keystore_save (ks, &err));
  seecitv_keystore_free (ks);

  ks = seecitv_keystore_open_with_key (path, master, &err);
  g_assert_no_error (err);
  fail_if (seecitv_keystore_has_device (ks, "a"));
  text = read_clip (ks, clip_a1, &err);
  fail_unless (text == NULL);
  g_assert_error (err, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_NOT_FOUND);
  g_clear_error (&err);
  text = read_clip (ks, clip_a2, &err);
  fail_unless (text == NULL);
  g_clear_error (&err);
  fail_if (seecitv_keystore_get_clip_key (ks, ids_a2.clip_id, key, NULL, &err));
  g_clear_error (&err);
  fail_unless_equals_int (seecitv_keystore_get_pairing_secret (ks, "a",
          secret, sizeof (secret), &err), -1);
  g_clear_error (&err);

  /* The other device is untouched. */
  text = read_clip (ks, clip_b, &err);
  g_assert_no_error (err);
  fail_unless_equals_string (text, "clip of b");
  g_free (text);
  clips = seecitv_keystore_list_clips (ks, NULL);
  fail_unless_equals_int (clips->len, 1);
  g_ptr_array_unref (clips);

  /* A device added again under the same id gets a new KEK. */
  fail_unless (seecitv_keystore_add_device (ks, "a", &err));
  text = read_clip (ks, clip_a1, &err);
  fail_unless (text == NULL);
  g_clear_error (&err);

  /* Deleting one clip key. */
  fail_unless (seecitv_keystore_delete_clip_key (ks, ids_b.clip_id, &err));
  fail_if (seecitv_keystore_delete_clip_key (ks, ids_b.clip_id, &err));
  g_clear_error (&err);
  fail_unless (seecitv_keystore_save (ks, &err));
  seecitv_keystore_free (ks);
  ks = seecitv_keystore_open_with_key (path, master, &err);
  text = read_clip (ks, clip_b, &err);
  fail_unless (text == NULL);
  g_assert_error (err, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_NOT_FOUND);
  g_clear_error (&err);
  seecitv_keystore_free (ks);

  g_byte_array_unref (clip_a1);
  g_byte_array_unref (clip_a2);
  g_byte_array_unref (clip_b);
  g_free (path);
}

GST_END_TEST;

/* Forgetting a device keeps its access log entries (times, actions, clip
 * ids) but names it there by one pseudonym (its entries found by device or
 * by clip id), without their paths; other devices' entries stay. */
GST_START_TEST (test_forget_access_pseudonym)
{
  gchar *path = tmp_path ("keystore");
  guint8 key[SEECITV_CLIP_KEY_SIZE];
  SeecitvKeystoreAccess e = { 0 };
  SeecitvClipIds ids_a, ids_b;
  SeecitvKeystore *ks;
  GError *err = NULL;
  GPtrArray *log;
  gint64 now = seecitv_keystore_access_now ();
  const gchar *pseudonym;
  guint i;

  ks = seecitv_keystore_create_with_key (path, master, &err);
  g_assert_no_error (err);
  fail_unless (seecitv_keystore_add_device (ks, "porch", &err));
  fail_unless (seecitv_keystore_add_device (ks, "garage", &err));
  fail_unless (seecitv_keystore_new_clip_key (ks, "porch", "/rec/porch-1",
          1, key, &ids_a, &err));
  fail_unless (seecitv_keystore_new_clip_key (ks, "garage", "/rec/garage-1",
          2, key, &ids_b, &err));
  g_assert_no_error (err);
  e.action = SEECITV_ACCESS_PLAY;
  e.user = (gchar *) "u (uid 1)";
  e.process = (gchar *) "p[1]";
  e.time = now - 3;
  memcpy (e.clip_id, ids_a.clip_id, SEECITV_CLIP_ID_SIZE);
  e.device_id = (gchar *) "porch";
  e.path = (gchar *) "/rec/porch-1";
  fail_unless (seecitv_keystore_add_access (ks, &e, now, &err));
  /* the device unknown to the index when read: found by its clip id */
  e.time = now - 2;
  e.device_id = (gchar *) "";
  e.path = (gchar *) "/copies/porch-1";
  fail_unless (seecitv_keystore_add_access (ks, &e, now, &err));
  e.time = now - 1;
  memcpy (e.clip_id, ids_b.clip_id, SEECITV_CLIP_ID_SIZE);
  e.device_id = (gchar *) "garage";
  e.path = (gchar *) "/rec/garage-1";
  fail_unless (seecitv_keystore_add_access (ks, &e, now, &err));
  g_assert_no_error (err);

  fail_unless (seecitv_keystore_forget_device (ks, "porch", &err));
  fail_unless (seecitv_keystore_save (ks, &err));
  seecitv_keystore_free (ks);

  ks = seecitv_keystore_open_with_key (path, master, &err);
  g_assert_no_error (err);
  log = seecitv_keystore_list_access (ks);
  fail_unless_equals_int (log->len, 3);
  for (i = 0; i < 3; i++)
    fail_unless_equals_int64 (((SeecitvKeystoreAccess *) log->
            pdata[i])->time, now - 3 + i);
  pseudonym = ((SeecitvKeystoreAccess *) log->pdata[0])->device_id;
  fail_unless (g_str_has_prefix (pseudonym, "forgotten-"), "%s", pseudonym);
  fail_unless_equals_int (strlen (pseudonym), strlen ("forgotten-") + 32);
  fail_unless (seecitv_keystore_device_id_is_valid (pseudonym));
  for (i = 0; i < 2; i++) {
    SeecitvKeystoreAccess *a = log->pdata[i];

    fail_unless_equals_string (a->device_id, pseudonym);
    fail_unless_equals_string (a->path, "");
    fail_unless (memcmp (a->clip_id, ids_a.clip_id, SEECITV_CLIP_ID_SIZE) ==
        0);
    fail_unless_equals_int (a->action, SEECITV_ACCESS_PLAY);
  }
  fail_unless_equals_string (((SeecitvKeystoreAccess *) log->
          pdata[2])->device_id, "garage");
  fail_unless_equals_string (((SeecitvKeystoreAccess *) log->
          pdata[2])->path, "/rec/garage-1");
  g_ptr_array_unref (log);
  seecitv_keystore_free (ks);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_key_mismatch)
{
  gchar *path = tmp_path ("keystore");
  SeecitvKeystore *ks;
  GError *err = NULL;
  guint8 key[SEECITV_CLIP_KEY_SIZE];
  SeecitvClipHeader header;

  ks = seecitv_keystore_create_with_key (path, master, &err);
  fail_unless (seecitv_keystore_add_device (ks, "a", &err));
  fail_unless (seecitv_keystore_new_clip_key (ks, "a", NULL, 0, key,
          &header.ids, &err));
  g_assert_no_error (err);
  fail_unless (seecitv_keystore_clip_key_func (&header, key, ks, &err));
  header.ids.data_key_id[0] ^= 1;
  fail_if (seecitv_keystore_clip_key_func (&header, key, ks, &err));
  g_assert_error (err, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_KEY_MISMATCH);
  g_clear_error (&err);
  seecitv_keystore_free (ks);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_atomic_save)
{
  gchar *path = tmp_path ("keystore");
  gchar *before, *after, *old_copy;
  gsize before_len, after_len, old_len;
  SeecitvKeystore *ks;
  GError *err = NULL;
  struct stat st1, st2;
  int fd;

  ks = seecitv_keystore_create_with_key (path, master, &err);
  g_assert_no_error (err);
  fail_unless_equals_int (count_dir_entries (), 1);
  fail_unless (g_file_get_contents (path, &before, &before_len, NULL));
  fd = g_open (path, O_RDONLY, 0);
  fail_unless (fstat (fd, &st1) == 0);

  /* A failure between writing the new file and renaming it: the keystore
   * on disk is untouched, and no temporary file is left behind. */
  fail_unless (seecitv_keystore_add_device (ks, "cam", &err));
  seecitv_keystore_set_fail_before_rename (TRUE);
  fail_if (seecitv_keystore_save (ks, &err));
  seecitv_keystore_set_fail_before_rename (FALSE);
  g_assert_error (err, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_IO);
  g_clear_error (&err);
  fail_unless (g_file_get_contents (path, &after, &after_len, NULL));
  fail_unless_equals_uint64 (after_len, before_len);
  fail_unless (memcmp (before, after, before_len) == 0);
  g_free (after);
  fail_unless_equals_int (count_dir_entries (), 1);

  /* A successful save replaces the file, never rewrites it in place: a
   * reader holding the old one still sees it whole. */
  fail_unless (seecitv_keystore_save (ks, &err));
  g_assert_no_error (err);
  fail_unless_equals_int (count_dir_entries (), 1);
  fail_unless (g_stat (path, &st2) == 0);
  fail_if (st1.st_ino == st2.st_ino);
  fail_unless_equals_int (st2.st_mode & 0777, 0600);
  old_copy = g_malloc (before_len + 1);
  old_len = pread (fd, old_copy, before_len + 1, 0);
  fail_unless_equals_uint64 (old_len, before_len);
  fail_unless (memcmp (old_copy, before, before_len) == 0);
  g_free (old_copy);
  close (fd);
  fail_unless (g_file_get_contents (path, &after, &after_len, NULL));
  fail_if (after_len == before_len && memcmp (after, before, after_len) == 0);
  g_free (after);
  g_free (before);
  seecitv_keystore_free (ks);

  ks = seecitv_keystore_open_with_key (path, master, &err);
  g_assert_no_error (err);
  fail_unless (seecitv_keystore_has_device (ks, "cam"));
  seecitv_keystore_free (ks);
  g_free (path);
}

GST_END_TEST;

/* Two holders of one keystore: the second save must not undo the first. */
GST_START_TEST (test_concurrent_change)
{
  gchar *path = tmp_path ("keystore");
  SeecitvKeystore *a, *b;
  GError *err = NULL;
  guint8 key[SEECITV_CLIP_KEY_SIZE];
  SeecitvClipIds ids;

  a = seecitv_keystore_create_with_key (path, master, &err);
  fail_unless (seecitv_keystore_add_device (a, "cam", &err));
  fail_unless (seecitv_keystore_new_clip_key (a, "cam", NULL, 0, key, &ids,
          &err));
  fail_unless (seecitv_keystore_save (a, &err));
  g_assert_no_error (err);

  b = seecitv_keystore_open_with_key (path, master, &err);
  g_assert_no_error (err);
  /* a shreds the clip; b, holding the older state, must not bring the key
   * back. */
  fail_unless (seecitv_keystore_delete_clip_key (a, ids.clip_id, &err));
  fail_unless (seecitv_keystore_save (a, &err));
  fail_unless (seecitv_keystore_add_device (b, "other", &err));
  fail_if (seecitv_keystore_save (b, &err));
  g_assert_error (err, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_CHANGED);
  g_clear_error (&err);
  seecitv_keystore_free (b);

  b = seecitv_keystore_open_with_key (path, master, &err);
  fail_if (seecitv_keystore_get_clip_key (b, ids.clip_id, key, NULL, &err));
  g_clear_error (&err);
  fail_unless (seecitv_keystore_add_device (b, "other", &err));
  fail_unless (seecitv_keystore_save (b, &err));
  g_assert_no_error (err);
  seecitv_keystore_free (b);

  /* A removed file is a change too. */
  g_unlink (path);
  fail_if (seecitv_keystore_save (a, &err));
  g_assert_error (err, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_CHANGED);
  g_clear_error (&err);
  seecitv_keystore_free (a);
  g_free (path);
}

GST_END_TEST;

typedef struct
{
  const gchar *path;
  guint calls;
  guint races;                  /* how many calls save behind our back */
  gboolean refuse;
} UpdateRace;

/* Adds "mine"; the first @races times, someone else saves meanwhile. */
static gboolean
update_race_change (SeecitvKeystore * ks, gpointer data, GError ** error)
{
  UpdateRace *u = data;

  u->calls++;
  if (u->refuse) {
    g_set_error_literal (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_EXISTS, "refused");
    return FALSE;
  }
  if (u->calls <= u->races) {
    GError *err = NULL;
    SeecitvKeystore *other = seecitv_keystore_open_with_key (u->path, master,
        &err);
    static guint seq = 0;
    gchar *name = g_strdup_printf ("theirs-%u", ++seq);

    g_assert_no_error (err);
    fail_unless (seecitv_keystore_add_device (other, name, &err));
    fail_unless (seecitv_keystore_save (other, &err));
    g_assert_no_error (err);
    seecitv_keystore_free (other);
    g_free (name);
  }
  return seecitv_keystore_has_device (ks, "mine") ||
      seecitv_keystore_add_device (ks, "mine", error);
}

/* seecitv_keystore_update(): a save that lost a race is redone on the
 * fresh state (nothing of the other writer lost), a refusal is not
 * retried, and endless races end with CHANGED. */
GST_START_TEST (test_update)
{
  gchar *path = tmp_path ("keystore");
  UpdateRace u = { path, 0, 1, FALSE };
  SeecitvKeystore *ks, *check;
  GError *err = NULL;

  ks = seecitv_keystore_create_with_key (path, master, &err);
  g_assert_no_error (err);
  fail_unless (seecitv_keystore_update (ks, update_race_change, &u, &err));
  g_assert_no_error (err);
  fail_unless_equals_int (u.calls, 2);
  check = seecitv_keystore_open_with_key (path, master, &err);
  g_assert_no_error (err);
  fail_unless (seecitv_keystore_has_device (check, "mine"));
  fail_unless (seecitv_keystore_has_device (check, "theirs-1"));
  seecitv_keystore_free (check);

  u.calls = 0;
  u.refuse = TRUE;
  fail_if (seecitv_keystore_update (ks, update_race_change, &u, &err));
  g_assert_error (err, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_EXISTS);
  g_clear_error (&err);
  fail_unless_equals_int (u.calls, 1);

  fail_unless (seecitv_keystore_reload (ks, &err));
  u.calls = 0;
  u.refuse = FALSE;
  u.races = G_MAXUINT;
  fail_if (seecitv_keystore_update (ks, update_race_change, &u, &err));
  g_assert_error (err, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_CHANGED);
  g_clear_error (&err);
  fail_unless_equals_int (u.calls, SEECITV_KEYSTORE_UPDATE_ATTEMPTS);

  seecitv_keystore_free (ks);
  g_free (path);
}

GST_END_TEST;

/* Any flipped byte, any cut: refused, never half-read. */
GST_START_TEST (test_corrupted_file)
{
  gchar *path = tmp_path ("keystore");
  SeecitvKeystore *ks;
  GError *err = NULL;
  guint8 key[SEECITV_CLIP_KEY_SIZE];
  SeecitvClipIds ids;
  gchar *data;
  gsize len, i;

  ks = seecitv_keystore_create_with_key (path, master, &err);
  fail_unless (seecitv_keystore_add_device (ks, "cam", &err));
  fail_unless (seecitv_keystore_new_clip_key (ks, "cam", "x", 0, key, &ids,
          &err));
  fail_unless (seecitv_keystore_save (ks, &err));
  seecitv_keystore_free (ks);
  fail_unless (g_file_get_contents (path, &data, &len, NULL));

  for (i = 0; i < len; i++) {
    data[i] ^= 0x10;
    ks = seecitv_keystore_new_from_data ((guint8 *) data, len, master, &err);
    fail_unless (ks == NULL, "flipping byte %" G_GSIZE_FORMAT " went "
        "unnoticed", i);
    fail_unless (err->domain == SEECITV_KEYSTORE_ERROR);
    if (i < 8) {
      fail_unless_equals_int (err->code, SEECITV_KEYSTORE_ERROR_BAD_FORMAT);
    } else if (i == 9) {
      fail_unless_equals_int (err->code,
          SEECITV_KEYSTORE_ERROR_UNSUPPORTED_VERSION);
    } else if (i >= 56) {
      fail_unless_equals_int (err->code, SEECITV_KEYSTORE_ERROR_AUTH);
    }
    g_clear_error (&err);
    data[i] ^= 0x10;
  }
  for (i = 0; i < len; i++) {
    ks = seecitv_keystore_new_from_data ((guint8 *) data, i, master, &err);
    fail_unless (ks == NULL);
    g_assert_error (err, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_BAD_FORMAT);
    g_clear_error (&err);
  }

  /* The file itself, damaged on disk. */
  data[len - 1] ^= 1;
  fail_unless (g_file_set_contents (path, data, len, NULL));
  ks = seecitv_keystore_open_with_key (path, master, &err);
  fail_unless (ks == NULL);
  g_assert_error (err, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_AUTH);
  g_clear_error (&err);

  g_free (data);
  g_free (path);
}

GST_END_TEST;

static SeecitvKeystore *
parse_payload (const guint8 * payload, gsize len, GError ** error)
{
  SeecitvKeystore *ks;
  guint8 *file;
  gsize file_len;

  file = seecitv_keystore_seal_payload (payload, len, master, &file_len, NULL);
  fail_unless (file != NULL);
  ks = seecitv_keystore_new_from_data (file, file_len, master, error);
  g_free (file);
  return ks;
}

static gsize
put_device (guint8 * p, const gchar * id, guint8 kek_id_byte)
{
  gsize id_len = strlen (id), body = 1 + id_len + 16 + 32 + 8 + 2;

  p[0] = 1;
  write_be32 (p + 1, body);
  p[5] = id_len;
  memcpy (p + 6, id, id_len);
  memset (p + 6 + id_len, kek_id_byte, 16);
  memset (p + 6 + id_len + 16, 0x55, 32 + 8 + 2);
  write_be16 (p + 6 + id_len + 16 + 32 + 8, 0);
  return 5 + body;
}

/* A clip record of format @version (from 3 on, it ends with the clip's
 * state, here complete); both times 0x7777777777777777. */
static gsize
put_clip_version (guint8 * p, guint8 clip_id_byte, const gchar * device,
    guint8 kek_id_byte, guint version)
{
  gsize dev_len = strlen (device);
  gsize body = 16 + 1 + dev_len + 16 + 16 + 40 + 8 + 8 + 2 +
      (version >= 3 ? 1 : 0);
  guint8 *q = p + 5;

  p[0] = 2;
  write_be32 (p + 1, body);
  memset (q, clip_id_byte, 16);
  q += 16;
  *q++ = dev_len;
  memcpy (q, device, dev_len);
  q += dev_len;
  memset (q, kek_id_byte, 16);
  q += 16;
  memset (q, 0x77, 16 + 40 + 8 + 8);
  q += 16 + 40 + 8 + 8;
  write_be16 (q, 0);
  if (version >= 3)
    q[2] = SEECITV_CLIP_STATE_COMPLETE;
  return 5 + body;
}

/* A clip record of the current format version. */
static gsize
put_clip (guint8 * p, guint8 clip_id_byte, const gchar * device,
    guint8 kek_id_byte)
{
  return put_clip_version (p, clip_id_byte, device, kek_id_byte, 3);
}

/* Payloads that authenticate but break the record rules. */
GST_START_TEST (test_malformed_payload)
{
  guint8 buf[1024];
  SeecitvKeystore *ks;
  GError *err = NULL;
  gsize n;

  /* The reference: an empty payload, and one device with one clip. */
  ks = parse_payload (buf, 0, &err);
  g_assert_no_error (err);
  seecitv_keystore_free (ks);
  n = put_device (buf, "cam", 0xaa);
  n += put_clip (buf + n, 0x01, "cam", 0xaa);
  ks = parse_payload (buf, n, &err);
  g_assert_no_error (err);
  fail_unless (seecitv_keystore_has_device (ks, "cam"));
  seecitv_keystore_free (ks);

#define EXPECT_BAD(len) G_STMT_START {                                  \
    ks = parse_payload (buf, (len), &err);                              \
    fail_unless (ks == NULL);                                           \
    g_assert_error (err, SEECITV_KEYSTORE_ERROR,                        \
        SEECITV_KEYSTORE_ERROR_BAD_FORMAT);                             \
    g_clear_error (&err);                                               \
  } G_STMT_END

  /* Cut records. */
  for (n = 1; n < put_device (buf, "cam", 0xaa); n++)
    EXPECT_BAD (n);
  /* Unknown record type. */
  n = put_device (buf, "cam", 0xaa);
  buf[0] = 0x7f;
  EXPECT_BAD (n);
  /* A body longer than its fields. */
  n = put_device (buf, "cam", 0xaa);
  write_be32 (buf + 1, read_be32 (buf + 1) + 1);
  buf[n] = 0;
  EXPECT_BAD (n + 1);
  /* Invalid device ids. */
  EXPECT_BAD (put_device (buf, "a/b", 0xaa));
  EXPECT_BAD (put_device (buf, "..", 0xaa));
  n = put_device (buf, "cam", 0xaa);
  buf[7] = '\0';
  EXPECT_BAD (n);
  /* A secret longer than allowed. */
  n = put_device (buf, "cam", 0xaa);
  write_be16 (buf + n - 2, 257);
  EXPECT_BAD (n);
  /* Duplicates. */
  n = put_device (buf, "cam", 0xaa);
  n += put_device (buf + n, "cam", 0xbb);
  EXPECT_BAD (n);
  n = put_device (buf, "cam", 0xaa);
  n += put_clip (buf + n, 0x01, "cam", 0xaa);
  n += put_clip (buf + n, 0x01, "cam", 0xaa);
  EXPECT_BAD (n);
  /* A clip without its device, or wrapped by another KEK. */
  EXPECT_BAD (put_clip (buf, 0x01, "cam", 0xaa));
  n = put_device (buf, "cam", 0xaa);
  n += put_clip (buf + n, 0x01, "cam", 0xab);
  EXPECT_BAD (n);
#undef EXPECT_BAD
}

GST_END_TEST;

static gsize
put_access (guint8 * p, guint8 clip_id_byte, const gchar * device)
{
  gsize dev_len = strlen (device);
  gsize body = 8 + 1 + 16 + 1 + dev_len + 2 + 1 + 1;
  guint8 *q = p + 5;

  p[0] = 3;
  write_be32 (p + 1, body);
  memset (q, 0, 8);
  q += 8;
  *q++ = 2;                     /* play */
  memset (q, clip_id_byte, 16);
  q += 16;
  *q++ = dev_len;
  memcpy (q, device, dev_len);
  q += dev_len;
  write_be16 (q, 0);
  q += 2;
  *q++ = 0;
  *q++ = 0;
  return 5 + body;
}

static SeecitvKeystore *
parse_payload_version (const guint8 * payload, gsize len, guint version,
    GError ** error)
{
  SeecitvKeystore *ks;
  guint8 *file;
  gsize file_len;

  file = seecitv_keystore_seal_payload_version (payload, len, version, master,
      &file_len, NULL);
  fail_unless (file != NULL);
  ks = seecitv_keystore_new_from_data (file, file_len, master, error);
  g_free (file);
  return ks;
}

/* Versions 1 (devices and clips) and 2 still read and are saved as
 * version 4; the access log (type 3) exists from version 2 on, clip states
 * from version 3 on, the generation marker's path (type 4) from version 4
 * on (tested in keystore-marker.c); a newer version is refused by its number, with a
 * message that says so. */
GST_START_TEST (test_format_version)
{
  gchar *path = tmp_path ("keystore");
  guint8 buf[1024];
  guint8 *file;
  gchar *data;
  gsize n, m, file_len, len;
  SeecitvKeystore *ks;
  GError *err = NULL;
  GPtrArray *log;

  /* A new keystore is version 4. */
  ks = seecitv_keystore_create_with_key (path, master, &err);
  g_assert_no_error (err);
  seecitv_keystore_free (ks);
  fail_unless (g_file_get_contents (path, &data, &len, NULL));
  fail_unless_equals_int (((guint8) data[8] << 8) | (guint8) data[9], 4);
  g_free (data);
  g_unlink (path);

  /* A version-1 file opens, and is written back as version 4. */
  n = put_device (buf, "cam", 0xaa);
  n += put_clip_version (buf + n, 0x01, "cam", 0xaa, 1);
  file = seecitv_keystore_seal_payload_version (buf, n, 1, master, &file_len,
      NULL);
  fail_unless (g_file_set_contents (path, (gchar *) file, file_len, NULL));
  g_free (file);
  fail_unless (g_chmod (path, 0600) == 0);
  ks = seecitv_keystore_open_with_key (path, master, &err);
  g_assert_no_error (err);
  fail_unless (seecitv_keystore_has_device (ks, "cam"));
  fail_unless (seecitv_keystore_save (ks, &err));
  g_assert_no_error (err);
  seecitv_keystore_free (ks);
  fail_unless (g_file_get_contents (path, &data, &len, NULL));
  fail_unless_equals_int (((guint8) data[8] << 8) | (guint8) data[9], 4);
  g_free (data);
  ks = seecitv_keystore_open_with_key (path, master, &err);
  g_assert_no_error (err);
  fail_unless (seecitv_keystore_has_device (ks, "cam"));
  seecitv_keystore_free (ks);

  /* Access entries: in version 2, not in version 1. */
  n = put_device (buf, "cam", 0xaa);
  n += put_access (buf + n, 0x01, "cam");
  ks = parse_payload_version (buf, n, 2, &err);
  g_assert_no_error (err);
  log = seecitv_keystore_list_access (ks);
  fail_unless_equals_int (log->len, 1);
  g_ptr_array_unref (log);
  seecitv_keystore_free (ks);
  ks = parse_payload_version (buf, n, 1, &err);
  fail_unless (ks == NULL);
  g_assert_error (err, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_BAD_FORMAT);
  fail_unless (strstr (err->message, "type 3") != NULL &&
      strstr (err->message, "version 1") != NULL, "%s", err->message);
  g_clear_error (&err);

  /* An unknown type in the current version: malformed, named. */
  m = put_device (buf, "cam", 0xaa);
  n = m + put_access (buf + m, 0x01, "cam");
  buf[m] = 4;
  ks = parse_payload_version (buf, n, 2, &err);
  fail_unless (ks == NULL);
  g_assert_error (err, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_BAD_FORMAT);
  fail_unless (strstr (err->message, "type 4") != NULL, "%s", err->message);
  g_clear_error (&err);

  /* A newer version, even an empty one: refused before anything else, by
   * number; version 0 never existed. */
  ks = parse_payload_version (buf, 0, 5, &err);
  fail_unless (ks == NULL);
  g_assert_error (err, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_UNSUPPORTED_VERSION);
  fail_unless (strstr (err->message, "version 5") != NULL &&
      strstr (err->message, "newer") != NULL &&
      strstr (err->message, "1 to 4") != NULL, "%s", err->message);
  g_clear_error (&err);
  ks = parse_payload_version (buf, 0, 0xffff, &err);
  fail_unless (ks == NULL);
  g_assert_error (err, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_UNSUPPORTED_VERSION);
  g_clear_error (&err);
  ks = parse_payload_version (buf, 0, 0, &err);
  fail_unless (ks == NULL);
  g_assert_error (err, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_UNSUPPORTED_VERSION);
  g_clear_error (&err);

  g_free (path);
}

GST_END_TEST;

/* Clip states: a new clip is recording; a state set is saved and read
 * back, and listed; before version 3 a clip with an end time reads as
 * complete, one without as recording; a state byte out of range is
 * malformed. */
GST_START_TEST (test_clip_states)
{
  gchar *path = tmp_path ("keystore");
  guint8 key[SEECITV_CLIP_KEY_SIZE], buf[1024];
  SeecitvClipIds a, b;
  SeecitvClipState state;
  SeecitvKeystore *ks;
  GError *err = NULL;
  GPtrArray *clips;
  guint8 none[SEECITV_CLIP_ID_SIZE] = { 0 };
  gsize n;

  ks = seecitv_keystore_create_with_key (path, master, &err);
  g_assert_no_error (err);
  fail_unless (seecitv_keystore_add_device (ks, "cam", &err));
  fail_unless (seecitv_keystore_new_clip_key (ks, "cam", "/rec/a", 1000, key,
          &a, &err));
  fail_unless (seecitv_keystore_new_clip_key (ks, "cam", "/rec/b", 2000, key,
          &b, &err));
  g_assert_no_error (err);
  fail_unless (seecitv_keystore_get_clip_state (ks, a.clip_id, &state));
  fail_unless_equals_int (state, SEECITV_CLIP_STATE_RECORDING);
  fail_if (seecitv_keystore_get_clip_state (ks, none, &state));
  fail_unless (seecitv_keystore_set_clip_state (ks, a.clip_id,
          SEECITV_CLIP_STATE_COMPLETE, &err));
  fail_unless (seecitv_keystore_set_clip_state (ks, b.clip_id,
          SEECITV_CLIP_STATE_TRUNCATED, &err));
  g_assert_no_error (err);
  fail_if (seecitv_keystore_set_clip_state (ks, b.clip_id, 3, &err));
  g_assert_error (err, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_INVALID);
  g_clear_error (&err);
  fail_if (seecitv_keystore_set_clip_state (ks, none,
          SEECITV_CLIP_STATE_COMPLETE, &err));
  g_assert_error (err, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_NOT_FOUND);
  g_clear_error (&err);
  fail_unless (seecitv_keystore_save (ks, &err));
  seecitv_keystore_free (ks);

  ks = seecitv_keystore_open_with_key (path, master, &err);
  g_assert_no_error (err);
  clips = seecitv_keystore_list_clips (ks, NULL);
  fail_unless_equals_int (clips->len, 2);
  fail_unless_equals_int (((SeecitvKeystoreClipInfo *) clips->
          pdata[0])->state, SEECITV_CLIP_STATE_COMPLETE);
  fail_unless_equals_int (((SeecitvKeystoreClipInfo *) clips->
          pdata[1])->state, SEECITV_CLIP_STATE_TRUNCATED);
  g_ptr_array_unref (clips);
  seecitv_keystore_free (ks);
  fail_unless_equals_string (seecitv_clip_state_name
      (SEECITV_CLIP_STATE_RECORDING), "recording");
  fail_unless_equals_string (seecitv_clip_state_name
      (SEECITV_CLIP_STATE_COMPLETE), "complete");
  fail_unless_equals_string (seecitv_clip_state_name
      (SEECITV_CLIP_STATE_TRUNCATED), "truncated");

  /* Version 2: the state follows from the end time. */
  n = put_device (buf, "cam", 0xaa);
  n += put_clip_version (buf + n, 0x01, "cam", 0xaa, 2);
  ks = parse_payload_version (buf, n, 2, &err);
  g_assert_no_error (err);
  memset (none, 0x01, sizeof (none));
  fail_unless (seecitv_keystore_get_clip_state (ks, none, &state));
  fail_unless_equals_int (state, SEECITV_CLIP_STATE_COMPLETE);
  seecitv_keystore_free (ks);
  /* (end time -1: bytes 8..15 from the record's end, before the path) */
  memset (buf + n - 2 - 8, 0xff, 8);
  ks = parse_payload_version (buf, n, 2, &err);
  g_assert_no_error (err);
  fail_unless (seecitv_keystore_get_clip_state (ks, none, &state));
  fail_unless_equals_int (state, SEECITV_CLIP_STATE_RECORDING);
  seecitv_keystore_free (ks);

  /* Version 3: a state byte out of range is malformed. */
  n = put_device (buf, "cam", 0xaa);
  n += put_clip (buf + n, 0x01, "cam", 0xaa);
  buf[n - 1] = 3;
  ks = parse_payload_version (buf, n, 3, &err);
  fail_unless (ks == NULL);
  g_assert_error (err, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_BAD_FORMAT);
  g_clear_error (&err);

  g_free (path);
}

GST_END_TEST;

/* Whether any file in the test directory holds @bytes. */
static gboolean
dir_holds_bytes (const guint8 * bytes, gsize len)
{
  GDir *dir = g_dir_open (tmpdir, 0, NULL);
  const gchar *name;
  gboolean found = FALSE;

  while (!found && (name = g_dir_read_name (dir)) != NULL) {
    gchar *p = g_build_filename (tmpdir, name, NULL);
    gchar *data;
    gsize n;

    if (g_file_get_contents (p, &data, &n, NULL)) {
      gsize i;

      for (i = 0; !found && i + len <= n; i++)
        found = memcmp (data + i, bytes, len) == 0;
      g_free (data);
    }
    g_free (p);
  }
  g_dir_close (dir);
  return found;
}

static void
load_key (const gchar * path, guint8 * key)
{
  GError *err = NULL;

  fail_unless (seecitv_keystore_master_key_load (path, key, &err));
  g_assert_no_error (err);
}

/* keys rotate: a new key file, the old key overwritten before it is
 * unlinked, the keystore sealed under the new key; clips still decrypt;
 * a copy of the keystore from before does not open with the new key; a
 * holder from before cannot save over it, and its access log write finds
 * the new key by itself. */
GST_START_TEST (test_rotate_key)
{
  gchar *path = tmp_path ("keystore");
  gchar *key_path = tmp_path ("keystore.key");
  gchar *pending = tmp_path ("keystore.key.new");
  gchar *other_key = tmp_path ("other.key");
  guint8 old_key[SEECITV_KEYSTORE_MASTER_KEY_SIZE];
  guint8 new_key[SEECITV_KEYSTORE_MASTER_KEY_SIZE];
  guint8 peek[SEECITV_KEYSTORE_MASTER_KEY_SIZE];
  guint8 key[SEECITV_CLIP_KEY_SIZE];
  SeecitvKeystore *ks, *stale;
  SeecitvClipIds ids;
  GByteArray *clip;
  GPtrArray *log;
  GError *err = NULL;
  gchar *old_file, *text;
  gsize old_len;
  struct stat st_old, st_new;
  int fd;

  fail_unless (seecitv_keystore_master_key_create (key_path, old_key, &err));
  ks = seecitv_keystore_create_with_key (path, old_key, &err);
  fail_unless (seecitv_keystore_add_device (ks, "cam", &err));
  fail_unless (seecitv_keystore_new_clip_key (ks, "cam", "/rec/1", 0, key,
          &ids, &err));
  fail_unless (seecitv_keystore_save (ks, &err));
  g_assert_no_error (err);
  seecitv_keystore_free (ks);
  clip = write_clip (key, &ids, "before the rotation");
  fail_unless (g_file_get_contents (path, &old_file, &old_len, NULL));
  stale = seecitv_keystore_open_default (path, NULL, &err);
  g_assert_no_error (err);
  fd = g_open (key_path, O_RDONLY, 0);
  fail_unless (fd >= 0 && fstat (fd, &st_old) == 0);

  ks = seecitv_keystore_open_default (path, NULL, &err);
  fail_unless (seecitv_keystore_rotate_key (ks, NULL, &err));
  g_assert_no_error (err);
  seecitv_keystore_free (ks);

  /* A new key file, 0600; the old file's bytes were overwritten before it
   * was unlinked (read through a descriptor held open across); the old key
   * is in no file of the directory, and no pending key is left. */
  load_key (key_path, new_key);
  fail_if (memcmp (new_key, old_key, sizeof (old_key)) == 0);
  fail_unless_equals_int (file_mode (key_path), 0600);
  fail_unless (g_stat (key_path, &st_new) == 0);
  fail_if (st_new.st_ino == st_old.st_ino);
  fail_unless_equals_int (pread (fd, peek, sizeof (peek), 0), sizeof (peek));
  fail_if (memcmp (peek, old_key, sizeof (old_key)) == 0);
  close (fd);
  fail_if (g_file_test (pending, G_FILE_TEST_EXISTS));
  fail_unless_equals_int (count_dir_entries (), 2);
  fail_if (dir_holds_bytes (old_key, sizeof (old_key)));

  /* The keystore opens with the new key only, and the clip decrypts. */
  ks = seecitv_keystore_open_with_key (path, old_key, &err);
  fail_unless (ks == NULL);
  g_assert_error (err, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_AUTH);
  g_clear_error (&err);
  ks = seecitv_keystore_open_with_key (path, new_key, &err);
  g_assert_no_error (err);
  text = read_clip (ks, clip, &err);
  g_assert_no_error (err);
  fail_unless_equals_string (text, "before the rotation");
  g_free (text);
  seecitv_keystore_free (ks);

  /* The copy from before is sealed under the old key: the current key
   * does not open it (the old key would: destroying it is the point). */
  ks = seecitv_keystore_new_from_data ((guint8 *) old_file, old_len, new_key,
      &err);
  fail_unless (ks == NULL);
  g_assert_error (err, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_AUTH);
  g_clear_error (&err);
  ks = seecitv_keystore_new_from_data ((guint8 *) old_file, old_len, old_key,
      &err);
  fail_unless (ks != NULL);
  seecitv_keystore_free (ks);

  /* A holder from before: its save (under the old key) is refused; its
   * access entry is written after a reload that reads the new key file. */
  fail_unless (seecitv_keystore_add_device (stale, "other", &err));
  fail_if (seecitv_keystore_save (stale, &err));
  g_assert_error (err, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_CHANGED);
  g_clear_error (&err);
  fail_unless (seecitv_keystore_record_access (stale, SEECITV_ACCESS_PLAY,
          ids.clip_id, NULL, &err));
  g_assert_no_error (err);
  seecitv_keystore_free (stale);
  ks = seecitv_keystore_open_with_key (path, new_key, &err);
  g_assert_no_error (err);
  log = seecitv_keystore_list_access (ks);
  fail_unless_equals_int (log->len, 1);
  g_ptr_array_unref (log);

  /* A key file that does not hold the keystore's key is not replaced. */
  fail_unless (seecitv_keystore_master_key_create (other_key, NULL, &err));
  fail_if (seecitv_keystore_rotate_key (ks, other_key, &err));
  g_assert_error (err, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_KEY_MISMATCH);
  g_clear_error (&err);
  seecitv_keystore_free (ks);
  ks = seecitv_keystore_open_default (path, NULL, &err);
  g_assert_no_error (err);
  fail_unless_equals_int (count_dir_entries (), 3);
  seecitv_keystore_free (ks);

  g_byte_array_unref (clip);
  g_free (old_file);
  g_free (other_key);
  g_free (pending);
  g_free (key_path);
  g_free (path);
}

GST_END_TEST;

/* A rotation that fails before the keystore is replaced changes nothing;
 * one stopped between the keystore and the key file (as by a crash) leaves
 * the new key in KEY.new, where opening finds it, and the next rotation
 * finishes the job. */
GST_START_TEST (test_rotate_interrupted)
{
  gchar *path = tmp_path ("keystore");
  gchar *key_path = tmp_path ("keystore.key");
  gchar *pending = tmp_path ("keystore.key.new");
  guint8 k1[SEECITV_KEYSTORE_MASTER_KEY_SIZE];
  guint8 k2[SEECITV_KEYSTORE_MASTER_KEY_SIZE];
  guint8 k3[SEECITV_KEYSTORE_MASTER_KEY_SIZE];
  guint8 got[SEECITV_KEYSTORE_MASTER_KEY_SIZE];
  SeecitvKeystore *ks;
  GError *err = NULL;

  fail_unless (seecitv_keystore_master_key_create (key_path, k1, &err));
  ks = seecitv_keystore_create_with_key (path, k1, &err);
  fail_unless (seecitv_keystore_add_device (ks, "cam", &err));
  fail_unless (seecitv_keystore_save (ks, &err));
  g_assert_no_error (err);
  seecitv_keystore_free (ks);

  ks = seecitv_keystore_open_default (path, NULL, &err);
  seecitv_keystore_set_fail_before_rename (TRUE);
  fail_if (seecitv_keystore_rotate_key (ks, NULL, &err));
  seecitv_keystore_set_fail_before_rename (FALSE);
  g_assert_error (err, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_IO);
  g_clear_error (&err);
  fail_if (g_file_test (pending, G_FILE_TEST_EXISTS));
  load_key (key_path, got);
  fail_unless (memcmp (got, k1, sizeof (k1)) == 0);
  /* The holder is back on the old key: it can still save. */
  fail_unless (seecitv_keystore_save (ks, &err));
  g_assert_no_error (err);
  seecitv_keystore_free (ks);
  ks = seecitv_keystore_open_with_key (path, k1, &err);
  g_assert_no_error (err);
  seecitv_keystore_free (ks);

  ks = seecitv_keystore_open_default (path, NULL, &err);
  seecitv_keystore_set_fail_before_key_commit (TRUE);
  fail_if (seecitv_keystore_rotate_key (ks, NULL, &err));
  seecitv_keystore_set_fail_before_key_commit (FALSE);
  g_clear_error (&err);
  seecitv_keystore_free (ks);
  load_key (key_path, got);
  fail_unless (memcmp (got, k1, sizeof (k1)) == 0);
  load_key (pending, k2);
  fail_if (memcmp (k2, k1, sizeof (k1)) == 0);
  ks = seecitv_keystore_open_with_key (path, k1, &err);
  fail_unless (ks == NULL);
  g_assert_error (err, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_AUTH);
  g_clear_error (&err);
  ks = seecitv_keystore_open_default (path, NULL, &err);
  g_assert_no_error (err);
  fail_unless (seecitv_keystore_has_device (ks, "cam"));

  fail_unless (seecitv_keystore_rotate_key (ks, NULL, &err));
  g_assert_no_error (err);
  seecitv_keystore_free (ks);
  fail_if (g_file_test (pending, G_FILE_TEST_EXISTS));
  load_key (key_path, k3);
  fail_if (memcmp (k3, k1, sizeof (k1)) == 0);
  fail_if (memcmp (k3, k2, sizeof (k2)) == 0);
  fail_if (dir_holds_bytes (k1, sizeof (k1)));
  fail_if (dir_holds_bytes (k2, sizeof (k2)));
  ks = seecitv_keystore_open_with_key (path, k3, &err);
  g_assert_no_error (err);
  fail_unless (seecitv_keystore_has_device (ks, "cam"));
  seecitv_keystore_free (ks);

  g_free (pending);
  g_free (key_path);
  g_free (path);
}

GST_END_TEST;

static void
write_secret_file (const gchar * path, const gchar * contents)
{
  fail_unless (g_file_set_contents (path, contents, -1, NULL));
  fail_unless (g_chmod (path, 0600) == 0);
}

/* A passphrase keystore: a new salt and key from the new passphrase; the
 * old passphrase opens it no longer; a holder whose passphrase file was
 * updated reloads by itself. A key-file rotation is refused. */
GST_START_TEST (test_rotate_passphrase)
{
  gchar *path = tmp_path ("keystore");
  gchar *pass_file = tmp_path ("pass");
  guint8 key[SEECITV_CLIP_KEY_SIZE];
  SeecitvKeystore *ks, *holder;
  SeecitvClipIds ids;
  GByteArray *clip;
  GError *err = NULL;
  gchar *before, *after, *text;
  gsize len;

  ks = seecitv_keystore_create_with_passphrase (path, "alpha", 5, &fast_kdf,
      &err);
  fail_unless (seecitv_keystore_add_device (ks, "cam", &err));
  fail_unless (seecitv_keystore_new_clip_key (ks, "cam", NULL, 0, key, &ids,
          &err));
  fail_unless (seecitv_keystore_save (ks, &err));
  g_assert_no_error (err);
  seecitv_keystore_free (ks);
  clip = write_clip (key, &ids, "passphrase clip");
  write_secret_file (pass_file, "alpha\n");
  holder = seecitv_keystore_open_default (path, pass_file, &err);
  g_assert_no_error (err);
  fail_unless (g_file_get_contents (path, &before, &len, NULL));

  ks = seecitv_keystore_open_default (path, pass_file, &err);
  fail_if (seecitv_keystore_rotate_key (ks, NULL, &err));
  g_assert_error (err, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_PROTECTION);
  g_clear_error (&err);
  fail_unless (seecitv_keystore_rotate_passphrase (ks, "bravo", 5, NULL,
          &err));
  g_assert_no_error (err);
  seecitv_keystore_free (ks);
  fail_unless (g_file_get_contents (path, &after, &len, NULL));
  /* A new salt (bytes 12 to 27), the same cost. */
  fail_if (memcmp (before + 12, after + 12, 16) == 0);
  fail_unless (memcmp (before + 28, after + 28, 12) == 0);
  g_free (before);
  g_free (after);

  ks = seecitv_keystore_open_with_passphrase (path, "alpha", 5, &err);
  fail_unless (ks == NULL);
  g_assert_error (err, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_AUTH);
  g_clear_error (&err);
  ks = seecitv_keystore_open_with_passphrase (path, "bravo", 5, &err);
  g_assert_no_error (err);
  text = read_clip (ks, clip, &err);
  g_assert_no_error (err);
  fail_unless_equals_string (text, "passphrase clip");
  g_free (text);
  seecitv_keystore_free (ks);

  write_secret_file (pass_file, "bravo\n");
  fail_unless (seecitv_keystore_record_access (holder, SEECITV_ACCESS_PLAY,
          ids.clip_id, NULL, &err));
  g_assert_no_error (err);
  seecitv_keystore_free (holder);

  g_byte_array_unref (clip);
  g_free (pass_file);
  g_free (path);
}

GST_END_TEST;

#define CONCURRENT_CLIPS 40
#define CONCURRENT_ROTATIONS 10
#define CONCURRENT_ATTEMPTS 200

/* Opens the keystore the elements' way and applies @rotate (a rotation)
 * or a new clip key, redoing it when someone saved meanwhile. Returns
 * FALSE, with a message on stderr, on any other error. */
static gboolean
change_with_retries (const gchar * path, gboolean rotate, gint64 start)
{
  guint8 key[SEECITV_CLIP_KEY_SIZE];
  SeecitvClipIds ids;
  GError *err = NULL;
  int attempt;

  for (attempt = 0; attempt < CONCURRENT_ATTEMPTS; attempt++) {
    SeecitvKeystore *ks = seecitv_keystore_open_default (path, NULL, &err);
    gboolean ok;

    if (ks == NULL)
      break;
    ok = rotate ? seecitv_keystore_rotate_key (ks, NULL, &err) :
        seecitv_keystore_new_clip_key (ks, "cam", NULL, start, key, &ids,
        &err) && seecitv_keystore_save (ks, &err);
    seecitv_keystore_free (ks);
    if (ok)
      return TRUE;
    if (!g_error_matches (err, SEECITV_KEYSTORE_ERROR,
            SEECITV_KEYSTORE_ERROR_CHANGED))
      break;
    g_clear_error (&err);
  }
  fprintf (stderr, "%s: %s\n", rotate ? "rotation" : "recorder",
      err ? err->message : "too many retries");
  g_clear_error (&err);
  return FALSE;
}

static gint opened;

static gpointer
open_in_thread (gpointer path)
{
  SeecitvKeystore *ks = seecitv_keystore_open_default (path, NULL, NULL);

  g_atomic_int_set (&opened, 1);
  return ks;
}

/* A recorder (another process) saving clip keys while the key is rotated
 * again and again: it never sees a key file and a keystore that do not
 * match (an AUTH error), and no clip key is lost. Opening waits while a
 * save or a rotation holds the directory's lock. */
GST_START_TEST (test_rotate_concurrent)
{
  gchar *path = tmp_path ("keystore");
  gchar *key_path = tmp_path ("keystore.key");
  gchar *pending = tmp_path ("keystore.key.new");
  guint8 k[SEECITV_KEYSTORE_MASTER_KEY_SIZE];
  SeecitvKeystore *ks;
  GPtrArray *clips;
  GError *err = NULL;
  GThread *thread;
  int i, wstatus = 0, dirfd;
  pid_t pid;

  fail_unless (seecitv_keystore_master_key_create (key_path, k, &err));
  ks = seecitv_keystore_create_with_key (path, k, &err);
  fail_unless (seecitv_keystore_add_device (ks, "cam", &err));
  fail_unless (seecitv_keystore_save (ks, &err));
  g_assert_no_error (err);
  seecitv_keystore_free (ks);

  dirfd = g_open (tmpdir, O_RDONLY | O_DIRECTORY, 0);
  fail_unless (dirfd >= 0 && flock (dirfd, LOCK_EX) == 0);
  g_atomic_int_set (&opened, 0);
  thread = g_thread_new ("opener", open_in_thread, path);
  g_usleep (200 * 1000);
  fail_if (g_atomic_int_get (&opened), "opened while the lock was held");
  close (dirfd);
  ks = g_thread_join (thread);
  fail_unless (ks != NULL);
  seecitv_keystore_free (ks);

  pid = fork ();
  fail_unless (pid >= 0);
  if (pid == 0) {
    for (i = 0; i < CONCURRENT_CLIPS; i++)
      if (!change_with_retries (path, FALSE, i))
        _exit (1);
    _exit (0);
  }
  for (i = 0; i < CONCURRENT_ROTATIONS; i++)
    fail_unless (change_with_retries (path, TRUE, 0));
  fail_unless (waitpid (pid, &wstatus, 0) == pid);
  fail_unless (WIFEXITED (wstatus) && WEXITSTATUS (wstatus) == 0,
      "the recorder failed (status %d)", wstatus);

  ks = seecitv_keystore_open_default (path, NULL, &err);
  g_assert_no_error (err);
  clips = seecitv_keystore_list_clips (ks, NULL);
  fail_unless_equals_int (clips->len, CONCURRENT_CLIPS);
  g_ptr_array_unref (clips);
  seecitv_keystore_free (ks);
  fail_if (g_file_test (pending, G_FILE_TEST_EXISTS));
  fail_if (dir_holds_bytes (k, sizeof (k)));

  g_free (pending);
  g_free (key_path);
  g_free (path);
}

GST_END_TEST;

static gint64
iso_time (const gchar * iso)
{
  GDateTime *dt = g_date_time_new_from_iso8601 (iso, NULL);
  gint64 t;

  fail_unless (dt != NULL, "%s", iso);
  t = g_date_time_to_unix (dt) * G_USEC_PER_SEC +
      g_date_time_get_microsecond (dt);
  g_date_time_unref (dt);
  return t;
}

/* The access log's clock in these tests (keystore-private.h). */
static gint64 test_now;

static gint64
test_clock (void)
{
  return test_now;
}

static void
set_test_clock (const gchar * iso)
{
  test_now = iso_time (iso);
  seecitv_keystore_set_access_clock (test_clock);
}

GST_START_TEST (test_access_log)
{
  gchar *path = tmp_path ("keystore");
  SeecitvKeystore *a, *b;
  SeecitvKeystoreAccess e = { 0 };
  SeecitvKeystoreAccess *got;
  GError *err = NULL;
  guint8 key[SEECITV_CLIP_KEY_SIZE];
  SeecitvClipIds ids;
  GPtrArray *log;
  gchar *data;
  gsize len;

  a = seecitv_keystore_create_with_key (path, master, &err);
  fail_unless (seecitv_keystore_add_device (a, "cam", &err));
  fail_unless (seecitv_keystore_new_clip_key (a, "cam", "/rec/clip-1", 0,
          key, &ids, &err));
  fail_unless (seecitv_keystore_save (a, &err));
  g_assert_no_error (err);

  /* One entry, with the device from the index and who did it. */
  set_test_clock ("2026-01-10T00:00:00Z");
  fail_unless_equals_int64 (seecitv_keystore_access_now (),
      iso_time ("2026-01-10T00:00:00Z"));
  fail_unless (seecitv_keystore_record_access (a, SEECITV_ACCESS_PLAY,
          ids.clip_id, NULL, &err));
  g_assert_no_error (err);
  seecitv_keystore_free (a);

  /* It is in the file, and only encrypted. */
  fail_unless (g_file_get_contents (path, &data, &len, NULL));
  fail_if (g_strstr_len (data, len, "clip-1") != NULL);
  fail_if (g_strstr_len (data, len, "uid") != NULL);
  g_free (data);
  a = seecitv_keystore_open_with_key (path, master, &err);
  log = seecitv_keystore_list_access (a);
  fail_unless_equals_int (log->len, 1);
  got = log->pdata[0];
  fail_unless_equals_int64 (got->time, iso_time ("2026-01-10T00:00:00Z"));
  fail_unless_equals_int (got->action, SEECITV_ACCESS_PLAY);
  fail_unless (memcmp (got->clip_id, ids.clip_id, 16) == 0);
  fail_unless_equals_string (got->device_id, "cam");
  fail_unless_equals_string (got->path, "/rec/clip-1");
  fail_unless (strstr (got->user, "(uid ") != NULL, "%s", got->user);
  fail_unless (g_str_has_suffix (got->process, "]"), "%s", got->process);
  g_ptr_array_unref (log);

  /* Someone else saves in between: the entry is still written, and their
   * change kept. */
  b = seecitv_keystore_open_with_key (path, master, &err);
  fail_unless (seecitv_keystore_add_device (b, "other", &err));
  fail_unless (seecitv_keystore_save (b, &err));
  set_test_clock ("2026-02-01T12:00:00Z");
  fail_unless (seecitv_keystore_record_access (a, SEECITV_ACCESS_EXPORT,
          ids.clip_id, "/copy/clip", &err));
  g_assert_no_error (err);
  fail_unless (seecitv_keystore_has_device (a, "other"));
  seecitv_keystore_free (b);
  b = seecitv_keystore_open_with_key (path, master, &err);
  fail_unless (seecitv_keystore_has_device (b, "other"));
  log = seecitv_keystore_list_access (b);
  fail_unless_equals_int (log->len, 2);
  got = log->pdata[1];
  fail_unless_equals_int (got->action, SEECITV_ACCESS_EXPORT);
  fail_unless_equals_string (got->path, "/copy/clip");
  g_ptr_array_unref (log);
  seecitv_keystore_free (b);

  /* Three calendar months: an entry exactly at the cutoff stays, one
   * microsecond older goes; a day missing in the month clamps. */
  fail_unless_equals_int64 (seecitv_keystore_access_cutoff (iso_time
          ("2026-04-10T00:00:00Z")), iso_time ("2026-01-10T00:00:00Z"));
  fail_unless_equals_int64 (seecitv_keystore_access_cutoff (iso_time
          ("2026-05-31T08:00:00.5Z")), iso_time ("2026-02-28T08:00:00.5Z"));
  fail_unless_equals_int (seecitv_keystore_expire_access (a,
          iso_time ("2026-04-10T00:00:00Z")), 0);
  fail_unless_equals_int (seecitv_keystore_expire_access (a,
          iso_time ("2026-04-10T00:00:00.000001Z")), 1);
  log = seecitv_keystore_list_access (a);
  fail_unless_equals_int (log->len, 1);
  g_ptr_array_unref (log);

  /* Adding expires too, in the same write. */
  e.time = iso_time ("2026-06-01T00:00:00Z");
  e.action = SEECITV_ACCESS_SHEET;
  fail_unless (seecitv_keystore_add_access (a, &e, e.time, &err));
  log = seecitv_keystore_list_access (a);
  fail_unless_equals_int (log->len, 1);
  got = log->pdata[0];
  fail_unless_equals_int (got->action, SEECITV_ACCESS_SHEET);
  fail_unless_equals_string (got->device_id, "");
  g_ptr_array_unref (log);

  /* Bad entries are refused. */
  e.action = 9;
  fail_if (seecitv_keystore_add_access (a, &e, e.time, &err));
  g_assert_error (err, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_INVALID);
  g_clear_error (&err);

  seecitv_keystore_set_access_clock (NULL);
  seecitv_keystore_free (a);
  g_free (path);
}

GST_END_TEST;

/* Issue 15: SEECITV_NOW in the environment used to set the log's clock
 * in every build, so anyone running a reader could expire every entry
 * (a date in 2100) or write a backdated one. It is ignored now; and an
 * entry is never dated before the newest one already in the log (here one
 * a day ahead, as a clock that was fast would leave). */
GST_START_TEST (test_access_clock)
{
  gchar *path = tmp_path ("keystore");
  SeecitvKeystore *a;
  SeecitvKeystoreAccess e = { 0 };
  GError *err = NULL;
  guint8 key[SEECITV_CLIP_KEY_SIZE];
  SeecitvClipIds ids;
  GPtrArray *log;
  gint64 real = g_get_real_time (), ahead =
      real + (gint64) 86400 * G_USEC_PER_SEC;

  a = seecitv_keystore_create_with_key (path, master, &err);
  fail_unless (seecitv_keystore_add_device (a, "cam", &err));
  fail_unless (seecitv_keystore_new_clip_key (a, "cam", "/rec/clip-1", 0,
          key, &ids, &err));
  fail_unless (seecitv_keystore_save (a, &err));

  g_setenv ("SEECITV_NOW", "2100-01-01T00:00:00Z", TRUE);
  fail_unless (ABS (seecitv_keystore_access_now () - real) <
      60 * G_USEC_PER_SEC);
  fail_unless (seecitv_keystore_record_access (a, SEECITV_ACCESS_PLAY,
          ids.clip_id, NULL, &err));
  g_setenv ("SEECITV_NOW", "2000-01-01T00:00:00Z", TRUE);
  fail_unless (seecitv_keystore_record_access (a, SEECITV_ACCESS_PLAY,
          ids.clip_id, NULL, &err));
  g_unsetenv ("SEECITV_NOW");
  g_assert_no_error (err);
  log = seecitv_keystore_list_access (a);
  fail_unless_equals_int (log->len, 2);
  for (guint i = 0; i < 2; i++) {
    gint64 t = ((SeecitvKeystoreAccess *) log->pdata[i])->time;

    fail_unless (ABS (t - real) < 60 * G_USEC_PER_SEC, "entry %u at %"
        G_GINT64_FORMAT ", not now (%" G_GINT64_FORMAT ")", i, t, real);
  }
  g_ptr_array_unref (log);

  e.time = ahead;
  e.action = SEECITV_ACCESS_SHEET;
  memcpy (e.clip_id, ids.clip_id, SEECITV_CLIP_ID_SIZE);
  fail_unless (seecitv_keystore_add_access (a, &e, real, &err));
  fail_unless (seecitv_keystore_record_access (a, SEECITV_ACCESS_EXPORT,
          ids.clip_id, "/copy/clip", &err));
  log = seecitv_keystore_list_access (a);
  fail_unless_equals_int (log->len, 4);
  fail_unless_equals_int (((SeecitvKeystoreAccess *) log->pdata[3])->action,
      SEECITV_ACCESS_EXPORT);
  fail_unless (((SeecitvKeystoreAccess *) log->pdata[3])->time >= ahead,
      "an entry dated before the newest one");
  g_ptr_array_unref (log);
  seecitv_keystore_free (a);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_device_ids)
{
  const gchar *good[] = { "a", "front-door", "cam_1.local", "A-Z.a_z-09",
    "..."
  };
  const gchar *bad[] = { "", ".", "..", "a/b", "a b", "caméra", "a\nb",
    "../x"
  };
  gchar *long_id = g_strnfill (65, 'x');
  guint i;

  for (i = 0; i < G_N_ELEMENTS (good); i++)
    fail_unless (seecitv_keystore_device_id_is_valid (good[i]), "%s", good[i]);
  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    fail_if (seecitv_keystore_device_id_is_valid (bad[i]), "%s", bad[i]);
  fail_if (seecitv_keystore_device_id_is_valid (long_id));
  long_id[64] = '\0';
  fail_unless (seecitv_keystore_device_id_is_valid (long_id));
  g_free (long_id);
}

GST_END_TEST;

static Suite *
keystore_suite (void)
{
  Suite *s = suite_create ("keystore");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_master_key_file);
  tcase_add_test (tc, test_create_open_key);
  tcase_add_test (tc, test_passphrase);
  tcase_add_test (tc, test_passphrase_default_cost);
  tcase_add_test (tc, test_forget_device);
  tcase_add_test (tc, test_forget_access_pseudonym);
  tcase_add_test (tc, test_key_mismatch);
  tcase_add_test (tc, test_atomic_save);
  tcase_add_test (tc, test_concurrent_change);
  tcase_add_test (tc, test_update);
  tcase_add_test (tc, test_corrupted_file);
  tcase_add_test (tc, test_malformed_payload);
  tcase_add_test (tc, test_device_ids);
  tcase_add_test (tc, test_access_log);
  tcase_add_test (tc, test_access_clock);
  tcase_add_test (tc, test_format_version);
  tcase_add_test (tc, test_clip_states);
  tcase_add_test (tc, test_rotate_key);
  tcase_add_test (tc, test_rotate_interrupted);
  tcase_add_test (tc, test_rotate_passphrase);
  tcase_add_test (tc, test_rotate_concurrent);
  return s;
}

GST_CHECK_MAIN (keystore);
