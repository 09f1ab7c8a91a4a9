/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests of the keystore's generation marker
 * (gst-libs/seecitv/crypto/keystore-marker.c and the save order in
 * keystore-file.c): an older copy of the keystore put back is noticed
 * (SEECITV_KEYSTORE_ERROR_ROLLBACK) while saving still works and does not
 * clear it; a crash between the marker's write and the keystore's, in
 * either order, is not taken for a rollback; accepting a restore; a
 * marker edited, forged without the key, missing or another keystore's is
 * refused; the marker's path survives in the file (format version 4) and
 * is refused in the keystore's own folder; a key rotation carries it; an
 * off-site copy read back catches a rollback of the keystore and the
 * marker together, across a new epoch.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include <string.h>
#include <glib/gstdio.h>

#include <seecitv/crypto/keystore.h>
#include <seecitv/crypto/keystore-private.h>
#include "../common/testfs.h"

static gchar *tmpdir;
static gchar *ks_dir;           /* the keystore's folder */
static gchar *ks_path;
static gchar *marker_path;      /* in another folder */
static guint8 master[SEECITV_KEYSTORE_MASTER_KEY_SIZE];

static void
setup (void)
{
  guint i;

  tmpdir = test_tmpdir_new ("seecitv-marker-XXXXXX");
  ks_dir = g_build_filename (tmpdir, "keys", NULL);
  fail_unless (g_mkdir (ks_dir, 0700) == 0);
  ks_path = g_build_filename (ks_dir, "keystore", NULL);
  marker_path = g_build_filename (tmpdir, "state", "marker", NULL);
  for (i = 0; i < sizeof (master); i++)
    master[i] = 0x30 + i;
}

static void
teardown (void)
{
  seecitv_keystore_set_fail_before_rename (FALSE);
  seecitv_keystore_set_fail_before_marker_commit (FALSE);
  test_remove_tree (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
  g_clear_pointer (&ks_dir, g_free);
  g_clear_pointer (&ks_path, g_free);
  g_clear_pointer (&marker_path, g_free);
}

/* A keystore with a device and a marker, as `keys init` leaves it. */
static SeecitvKeystore *
new_keystore (void)
{
  SeecitvKeystore *ks;
  GError *err = NULL;

  ks = seecitv_keystore_create_with_key (ks_path, master, &err);
  g_assert_no_error (err);
  fail_unless (seecitv_keystore_add_device (ks, "cam", &err));
  fail_unless (seecitv_keystore_set_marker (ks, marker_path, &err));
  fail_unless (seecitv_keystore_save (ks, &err));
  g_assert_no_error (err);
  return ks;
}

static SeecitvKeystore *
open_keystore (void)
{
  GError *err = NULL;
  SeecitvKeystore *ks = seecitv_keystore_open_with_key (ks_path, master,
      &err);

  g_assert_no_error (err);
  return ks;
}

/* Whether the keystore on disk passes its rollback check or, with @data,
 * the check of that off-site copy of its marker (setting *older). */
static gboolean
copy_ok (const guint8 * data, gsize len, gboolean * older)
{
  SeecitvKeystore *ks = open_keystore ();
  GError *err = NULL;
  gboolean ok = data ? seecitv_keystore_check_marker_copy (ks, data, len,
      older, &err) : seecitv_keystore_check_rollback (ks, &err);

  if (!ok)
    g_assert_error (err, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_ROLLBACK);
  g_clear_error (&err);
  seecitv_keystore_free (ks);
  return ok;
}

static gboolean
check (void)
{
  return copy_ok (NULL, 0, NULL);
}

static gchar *
read_all (const gchar * path, gsize * len)
{
  gchar *data = NULL;

  fail_unless (g_file_get_contents (path, &data, len, NULL), "%s", path);
  return data;
}

static void
write_all (const gchar * path, const gchar * data, gsize len)
{
  fail_unless (g_file_set_contents_full (path, data, len,
          G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL));
}

static void
add_device (const gchar * id)
{
  SeecitvKeystore *ks = open_keystore ();
  GError *err = NULL;

  fail_unless (seecitv_keystore_add_device (ks, id, &err));
  fail_unless (seecitv_keystore_save (ks, &err));
  g_assert_no_error (err);
  seecitv_keystore_free (ks);
}

/* The attack: a copy of the keystore put back after saves. Noticed; a
 * recorder still saves into it, which neither fails nor clears it; the
 * marker is never in the keystore's folder. */
GST_START_TEST (test_rollback_detected)
{
  SeecitvKeystore *ks = new_keystore ();
  GError *err = NULL;
  gchar *old, *dir;
  gsize old_len;

  seecitv_keystore_free (ks);
  fail_unless (check ());
  dir = g_path_get_dirname (marker_path);
  fail_if (g_strcmp0 (dir, ks_dir) == 0);
  g_free (dir);

  old = read_all (ks_path, &old_len);
  add_device ("cam2");
  fail_unless (check ());
  write_all (ks_path, old, old_len);
  fail_if (check ());

  /* Recording goes on: a save works, and leaves the rollback visible. */
  ks = open_keystore ();
  fail_unless (seecitv_keystore_add_device (ks, "cam3", &err));
  fail_unless (seecitv_keystore_save (ks, &err));
  g_assert_no_error (err);
  seecitv_keystore_free (ks);
  fail_if (check ());

  /* A deliberate restore, accepted: the marker names this file again. */
  write_all (ks_path, old, old_len);
  ks = open_keystore ();
  fail_unless (seecitv_keystore_set_marker (ks,
          seecitv_keystore_get_marker_path (ks), &err));
  fail_unless (seecitv_keystore_save (ks, &err));
  g_assert_no_error (err);
  seecitv_keystore_free (ks);
  fail_unless (check ());
  add_device ("cam4");
  fail_unless (check ());
  g_free (old);
}

GST_END_TEST;

/* A crash between the two writes, either way round, is no rollback; the
 * next save goes on from there. */
GST_START_TEST (test_crash_between_writes)
{
  SeecitvKeystore *ks = new_keystore ();
  GError *err = NULL;
  gchar *pending = g_strconcat (marker_path, ".new", NULL);

  seecitv_keystore_free (ks);

  /* The pending marker written, the keystore not replaced. */
  ks = open_keystore ();
  fail_unless (seecitv_keystore_add_device (ks, "cam2", &err));
  seecitv_keystore_set_fail_before_rename (TRUE);
  fail_if (seecitv_keystore_save (ks, &err));
  g_clear_error (&err);
  seecitv_keystore_set_fail_before_rename (FALSE);
  seecitv_keystore_free (ks);
  fail_unless (g_file_test (pending, G_FILE_TEST_EXISTS));
  fail_unless (check ());
  add_device ("cam3");
  fail_unless (check ());
  fail_if (g_file_test (pending, G_FILE_TEST_EXISTS));

  /* The keystore replaced, the marker not committed. */
  ks = open_keystore ();
  fail_unless (seecitv_keystore_add_device (ks, "cam4", &err));
  seecitv_keystore_set_fail_before_marker_commit (TRUE);
  fail_unless (seecitv_keystore_save (ks, &err));
  g_assert_no_error (err);
  seecitv_keystore_set_fail_before_marker_commit (FALSE);
  seecitv_keystore_free (ks);
  fail_unless (g_file_test (pending, G_FILE_TEST_EXISTS));
  fail_unless (check ());
  /* The next save commits the pending marker first. */
  add_device ("cam5");
  fail_unless (check ());
  fail_if (g_file_test (pending, G_FILE_TEST_EXISTS));
  g_free (pending);
}

GST_END_TEST;

/* A marker edited, forged without the key, missing, or another
 * keystore's: refused; a marker folder beside the keystore: refused. */
GST_START_TEST (test_marker_forged)
{
  SeecitvKeystore *ks = new_keystore ();
  guint8 nonce[12], other[SEECITV_KEYSTORE_MASTER_KEY_SIZE];
  GError *err = NULL;
  gchar *good, *bad, *beside;
  guint64 gen = 0;
  gsize len, i;

  seecitv_keystore_free (ks);
  good = read_all (marker_path, &len);
  fail_unless (seecitv_keystore_marker_parse ((guint8 *) good, len, master,
          &gen, nonce, &err));
  g_assert_no_error (err);
  fail_unless (gen >= 1);

  /* Every byte matters: a flipped bit anywhere is refused. */
  for (i = 0; i < len; i++) {
    bad = g_memdup2 (good, len);
    bad[i] ^= 0x01;
    fail_if (seecitv_keystore_marker_parse ((guint8 *) bad, len, master,
            &gen, nonce, NULL), "byte %" G_GSIZE_FORMAT, i);
    g_free (bad);
  }
  /* One naming an older file (its nonce edited), MAC kept: refused. */
  bad = g_memdup2 (good, len);
  bad[20] ^= 0xff;
  write_all (marker_path, bad, len);
  fail_if (check ());
  g_free (bad);

  /* Made under another key (by someone without this one). */
  memset (other, 0x55, sizeof (other));
  fail_if (seecitv_keystore_marker_parse ((guint8 *) good, len, other,
          &gen, nonce, &err));
  g_assert_error (err, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_AUTH);
  g_clear_error (&err);
  fail_if (seecitv_keystore_marker_parse ((guint8 *) good, len - 1, master,
          &gen, nonce, &err));
  g_assert_error (err, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_BAD_FORMAT);
  g_clear_error (&err);

  /* Missing. */
  g_unlink (marker_path);
  fail_if (check ());
  write_all (marker_path, good, len);
  fail_unless (check ());

  /* The marker's path is in the file; not in the keystore's folder. */
  ks = open_keystore ();
  fail_unless_equals_string (seecitv_keystore_get_marker_path (ks),
      marker_path);
  beside = g_build_filename (ks_dir, "marker", NULL);
  fail_if (seecitv_keystore_set_marker (ks, beside, &err));
  g_assert_error (err, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_INVALID);
  g_clear_error (&err);
  fail_if (seecitv_keystore_set_marker (ks, "relative/marker", &err));
  g_clear_error (&err);
  seecitv_keystore_free (ks);
  g_free (beside);
  g_free (good);
}

GST_END_TEST;

/* A key rotation re-keys the marker with the keystore; a copy from before
 * the rotation does not open under the new key anyway. */
GST_START_TEST (test_marker_rotation)
{
  SeecitvKeystore *ks = new_keystore ();
  gchar *key_path = g_strconcat (ks_path, ".key", NULL);
  GError *err = NULL;

  seecitv_keystore_free (ks);
  fail_unless (g_file_set_contents_full (key_path, (gchar *) master,
          sizeof (master), G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL));
  ks = seecitv_keystore_open_default (ks_path, NULL, &err);
  g_assert_no_error (err);
  fail_unless (seecitv_keystore_check_rollback (ks, &err));
  fail_unless (seecitv_keystore_rotate_key (ks, NULL, &err));
  g_assert_no_error (err);
  seecitv_keystore_free (ks);
  ks = seecitv_keystore_open_default (ks_path, NULL, &err);
  g_assert_no_error (err);
  fail_unless (seecitv_keystore_check_rollback (ks, &err));
  g_assert_no_error (err);
  seecitv_keystore_free (ks);
  g_free (key_path);
}

GST_END_TEST;

/* A keystore without a marker (made before markers) passes, and gets one
 * only when told. */
GST_START_TEST (test_no_marker)
{
  SeecitvKeystore *ks;
  GError *err = NULL;

  ks = seecitv_keystore_create_with_key (ks_path, master, &err);
  g_assert_no_error (err);
  fail_unless (seecitv_keystore_get_marker_path (ks) == NULL);
  seecitv_keystore_free (ks);
  fail_unless (check ());
  add_device ("cam");
  fail_unless (check ());
  fail_if (g_file_test (marker_path, G_FILE_TEST_EXISTS));
}

GST_END_TEST;

/* The local marker's bytes, as the seecitv command puts them off-site. */
static void
marker_copy (guint8 * out, guint64 * generation)
{
  SeecitvKeystore *ks = open_keystore ();
  GError *err = NULL;

  fail_unless (seecitv_keystore_get_marker_copy (ks, out, generation, &err));
  g_assert_no_error (err);
  seecitv_keystore_free (ks);
}


/* The off-site copy: the same marker passes, an older one passes as
 * older, a later one or one under another key is a rollback; a new epoch
 * puts the generation beyond what a rolled-back keystore counts up to. */
GST_START_TEST (test_marker_copy)
{
  SeecitvKeystore *ks = new_keystore ();
  guint8 first[SEECITV_KEYSTORE_MARKER_COPY_SIZE];
  guint8 later[SEECITV_KEYSTORE_MARKER_COPY_SIZE];
  gchar *old_ks, *old_marker;
  gsize ks_len, m_len;
  guint64 gen = 0, gen2 = 0;
  gboolean older = TRUE;
  GError *err = NULL;
  guint i;

  seecitv_keystore_free (ks);
  marker_copy (first, &gen);
  fail_unless_equals_uint64 (gen, 1);
  fail_unless (copy_ok (first, sizeof (first), &older));
  fail_if (older);
  old_ks = read_all (ks_path, &ks_len);
  old_marker = read_all (marker_path, &m_len);

  /* A new epoch, as before a put. */
  ks = open_keystore ();
  fail_unless (seecitv_keystore_update (ks,
          seecitv_keystore_marker_new_epoch, NULL, &err));
  g_assert_no_error (err);
  seecitv_keystore_free (ks);
  marker_copy (later, &gen2);
  fail_unless_equals_uint64 (gen2, G_GUINT64_CONSTANT (1) << 32);
  add_device ("cam2");
  fail_unless (copy_ok (first, sizeof (first), &older));
  fail_unless (older);
  fail_unless (copy_ok (later, sizeof (later), &older));
  fail_unless (older);

  /* The pair from before put back, then saved many times: the local
   * marker matches, the copy catches it. */
  write_all (ks_path, old_ks, ks_len);
  write_all (marker_path, old_marker, m_len);
  for (i = 0; i < 20; i++) {
    gchar *id = g_strdup_printf ("dev%u", i);
    add_device (id);
    g_free (id);
  }
  fail_unless (check ());
  fail_if (copy_ok (later, sizeof (later), &older));
  /* Cut, edited or another keystore's copy: refused too. */
  fail_if (copy_ok (later, sizeof (later) - 1, &older));
  later[20] ^= 1;
  fail_if (copy_ok (later, sizeof (later), &older));
  g_free (old_ks);
  g_free (old_marker);
}

GST_END_TEST;

static Suite *
keystore_marker_suite (void)
{
  Suite *s = suite_create ("keystore-marker");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_rollback_detected);
  tcase_add_test (tc, test_crash_between_writes);
  tcase_add_test (tc, test_marker_forged);
  tcase_add_test (tc, test_marker_rotation);
  tcase_add_test (tc, test_no_marker);
  tcase_add_test (tc, test_marker_copy);
  return s;
}

GST_CHECK_MAIN (keystore_marker);
