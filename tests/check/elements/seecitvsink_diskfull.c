/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvsink on a full disk: the clip directory is on a small tmpfs this
 * test mounts (it needs root; without the right to mount it exits 77,
 * skipped), the keystore lives outside it. While 1 s clips of noise are
 * recorded continuously, the test fills the file system with another
 * file: the next write fails with ENOSPC, the clip being written ends
 * there, the oldest clips go (`seecitvsink-deleted`, reason "disk-full",
 * keys first), one warning is posted in all, recording goes on to the end
 * (keeping room for the next clip from then on), and every clip left
 * decrypts: the ones that closed normally whole, the one cut by ENOSPC up
 * to its last sync.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include <glib/gstdio.h>
#include <errno.h>
#include <string.h>
#include <sys/mount.h>

#include <seecitv/crypto/clip.h>
#include <seecitv/crypto/keystore.h>
#include "seecitvsink-test.h"

#define FRAMES 300
#define TMPFS_SIZE "size=4m"

static gchar *tmpdir;
static gchar *fsdir;
static gchar *clipdir;
static gchar *keystore;

static void
setup (void)
{
  clipdir = g_build_filename (fsdir, "clips", NULL);
  test_remove_tree (clipdir);
  fail_unless_equals_int (g_mkdir (clipdir, 0700), 0);
  keystore = g_build_filename (tmpdir, "keys.db", NULL);
  make_keystore (keystore);
}

static void
teardown (void)
{
  g_clear_pointer (&clipdir, g_free);
  g_clear_pointer (&keystore, g_free);
}

/* Decrypts @path: whole (@complete) or up to its last sync; the index
 * says complete, or truncated (a clip the disk cut short). Returns the
 * Matroska bytes recovered. */
static gsize
decrypt (const gchar * path, gboolean complete)
{
  GError *err = NULL;
  SeecitvKeystore *ks = seecitv_keystore_open_default (keystore, NULL, &err);
  SeecitvClipReader *reader;
  GByteArray *out = g_byte_array_new ();
  SeecitvClipState state;
  SeecitvClipEnd end;
  gchar *data = NULL;
  gsize len, n;

  fail_unless (ks != NULL);
  fail_unless (g_file_get_contents (path, &data, &len, NULL), "%s", path);
  reader = seecitv_clip_reader_new (seecitv_keystore_clip_key_func, ks,
      (GDestroyNotify) seecitv_keystore_free,
      complete ? SEECITV_CLIP_READER_NONE : SEECITV_CLIP_READER_ALLOW_PREFIX);
  fail_unless (seecitv_clip_reader_push (reader, (guint8 *) data, len, out,
          &err) && seecitv_clip_reader_finish (reader, &end, &err),
      "%s: %s", path, err ? err->message : "");
  if (complete)
    fail_unless_equals_int (end, SEECITV_CLIP_END_COMPLETE);
  fail_unless (seecitv_keystore_get_clip_state (ks,
          seecitv_clip_reader_get_header (reader)->ids.clip_id, &state));
  fail_unless_equals_int (state, complete ? SEECITV_CLIP_STATE_COMPLETE :
      SEECITV_CLIP_STATE_TRUNCATED);
  seecitv_clip_reader_free (reader);
  n = out->len;
  g_byte_array_unref (out);
  g_free (data);
  return n;
}

/* Takes all the space left on the tmpfs, beside the clips. */
static void
fill_disk (void)
{
  gchar *path = g_build_filename (fsdir, "filler", NULL);
  static guint8 block[16 * 1024];
  FILE *f = g_fopen (path, "wb");
  gsize total = 0;

  fail_unless (f != NULL);
  setvbuf (f, NULL, _IONBF, 0);
  while (fwrite (block, 1, sizeof (block), f) == sizeof (block))
    total += sizeof (block);
  fclose (f);
  GST_INFO ("filled the disk with %" G_GSIZE_FORMAT " bytes", total);
  g_free (path);
}

static GMutex ids_lock;
static GHashTable *ids;         /* closed clip path -> clip id */
static guint opened;

/* In the posting thread: as the fourth clip opens, fills the disk (its
 * writes fail); notes each closed clip's id while the file is there (it
 * may be deleted before the test thread sees the message). */
static GstBusSyncReply
sync_handler (GstBus * bus, GstMessage * msg, gpointer data)
{
  const GstStructure *s = gst_message_get_structure (msg);

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT)
    return GST_BUS_PASS;
  if (gst_structure_has_name (s, "seecitvsink-clip-opened") && ++opened == 4)
    fill_disk ();
  if (gst_structure_has_name (s, "seecitvsink-clip-closed")) {
    const gchar *path = gst_structure_get_string (s, "path");
    SeecitvClipHeader header;
    gchar *data = NULL;
    gsize len;

    fail_unless (g_file_get_contents (path, &data, &len, NULL), "%s", path);
    fail_unless (seecitv_clip_header_parse ((guint8 *) data, len, &header,
            NULL));
    g_mutex_lock (&ids_lock);
    g_hash_table_insert (ids, g_strdup (path),
        g_memdup2 (header.ids.clip_id, SEECITV_CLIP_ID_SIZE));
    g_mutex_unlock (&ids_lock);
    g_free (data);
  }
  return GST_BUS_PASS;
}

static gboolean
key_exists (const guint8 * clip_id)
{
  SeecitvKeystore *ks = seecitv_keystore_open_default (keystore, NULL, NULL);
  guint8 key[SEECITV_CLIP_KEY_SIZE];
  gboolean ok;

  fail_unless (ks != NULL);
  ok = seecitv_keystore_get_clip_key (ks, clip_id, key, NULL, NULL);
  seecitv_keystore_free (ks);
  return ok;
}

GST_START_TEST (test_disk_full)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=%u pattern=snow "
      "! video/x-raw,width=160,height=120,framerate=10/1 ! "
      "x264enc speed-preset=ultrafast tune=zerolatency key-int-max=10 "
      "bitrate=2048 ! h264parse ! seecitvsink name=rec location=\"%s\" "
      "keystore=\"%s\" device-id=full trigger=continuous "
      "max-clip-duration=1000000000 sync-interval=200000000", FRAMES,
      clipdir, keystore);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *sink;
  GPtrArray *closed = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *cut = g_ptr_array_new_with_free_func (g_free);
  guint warnings = 0, deleted = 0, after_full = 0, cuts = 0, i;
  guint64 last_end = 0;
  gboolean done = FALSE;
  GstBus *bus;

  fail_unless (pipeline != NULL);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "rec");
  bus = gst_element_get_bus (pipeline);
  ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  opened = 0;
  gst_bus_set_sync_handler (bus, sync_handler, NULL, NULL);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  while (!done) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING |
        GST_MESSAGE_ELEMENT);
    const GstStructure *s, *details = NULL;
    GError *err = NULL;

    fail_unless (msg != NULL, "timed out");
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_EOS:
        done = TRUE;
        break;
      case GST_MESSAGE_ERROR:
        gst_message_parse_error (msg, &err, NULL);
        fail ("error from %s: %s", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
            err->message);
        break;
      case GST_MESSAGE_WARNING:
        gst_message_parse_warning (msg, &err, NULL);
        gst_message_parse_warning_details (msg, &details);
        fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (sink),
            "warning from %s: %s", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
            err->message);
        fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
                GST_RESOURCE_ERROR_NO_SPACE_LEFT), "%s", err->message);
        fail_unless (details != NULL);
        fail_unless_equals_string (gst_structure_get_string (details,
                "location"), clipdir);
        g_clear_error (&err);
        warnings++;
        break;
      case GST_MESSAGE_ELEMENT:
        s = gst_message_get_structure (msg);
        if (gst_structure_has_name (s, "seecitvsink-deleted")) {
          const gchar *path = gst_structure_get_string (s, "path");
          guint8 *id;

          g_mutex_lock (&ids_lock);
          id = g_hash_table_lookup (ids, path);
          g_mutex_unlock (&ids_lock);

          fail_unless_equals_string (gst_structure_get_string (s, "reason"),
              "disk-full");
          fail_if (g_file_test (path, G_FILE_TEST_EXISTS), "%s", path);
          /* only clips that closed go, and their keys with them */
          fail_unless (id != NULL, "%s was not a closed clip", path);
          fail_if (key_exists (id), "the key of %s is still there", path);
          for (i = 0; i < closed->len; i++)
            if (g_strcmp0 (closed->pdata[i], path) == 0)
              g_ptr_array_remove_index (closed, i);
          for (i = 0; i < cut->len; i++)
            if (g_strcmp0 (cut->pdata[i], path) == 0)
              g_ptr_array_remove_index (cut, i);
          deleted++;
        } else if (gst_structure_has_name (s, "seecitvsink-clip-closed")) {
          const gchar *path = gst_structure_get_string (s, "path");
          guint64 end = GST_CLOCK_TIME_NONE;

          gst_structure_get_uint64 (s, "end-running-time", &end);
          /* a clip cut by ENOSPC has no end */
          if (GST_CLOCK_TIME_IS_VALID (end)) {
            g_ptr_array_add (closed, g_strdup (path));
            last_end = MAX (last_end, end);
            if (deleted > 0)
              after_full++;
          } else {
            g_ptr_array_add (cut, g_strdup (path));
            cuts++;
          }
        }
        break;
      default:
        break;
    }
    gst_message_unref (msg);
  }
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);

  GST_INFO ("%u deleted, %u clips closed after the disk was first full, "
      "%u cut, last end %" GST_TIME_FORMAT, deleted, after_full, cuts,
      GST_TIME_ARGS (last_end));
  fail_unless (deleted > 0, "the disk never filled");
  fail_unless_equals_int (cuts, 1);
  fail_unless_equals_int (warnings, 1);
  /* recording went on after the first purge, to the end */
  fail_unless (after_full >= 2, "%u", after_full);
  fail_unless (last_end >= (FRAMES - 10) * (GST_SECOND / 10));

  /* what is left: every clip that closed is whole, every cut one decrypts
   * up to its last sync, and nothing else is in the directory */
  for (i = 0; i < closed->len; i++)
    fail_unless (decrypt (closed->pdata[i], TRUE) > 0);
  for (i = 0; i < cut->len; i++)
    decrypt (cut->pdata[i], FALSE);
  {
    GDir *d = g_dir_open (clipdir, 0, NULL);
    guint files = 0;

    while (g_dir_read_name (d) != NULL)
      files++;
    g_dir_close (d);
    fail_unless_equals_int (files, closed->len + cut->len);
  }

  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  g_clear_pointer (&ids, g_hash_table_unref);
  g_ptr_array_unref (cut);
  g_ptr_array_unref (closed);
  gst_object_unref (bus);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_free (desc);
}

GST_END_TEST;

static Suite *
seecitvsink_diskfull_suite (void)
{
  Suite *s = suite_create ("seecitvsink_diskfull");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_disk_full);
  return s;
}

/* The tmpfs is mounted here, around the suite, so that a failed test
 * cannot leave it mounted. */
int
main (int argc, char **argv)
{
  int ret;

  gst_check_init (&argc, &argv);
  tmpdir = g_build_filename (g_get_tmp_dir (), "seecitvsink-full-XXXXXX",
      NULL);
  if (g_mkdtemp (tmpdir) == NULL)
    return 1;
  fsdir = g_build_filename (tmpdir, "fs", NULL);
  g_mkdir (fsdir, 0700);
  if (mount ("tmpfs", fsdir, "tmpfs", MS_NOSUID | MS_NODEV,
          TMPFS_SIZE) != 0) {
    g_print ("SKIP: cannot mount a tmpfs here (%s; needs root)\n",
        g_strerror (errno));
    test_remove_tree (tmpdir);
    return 77;
  }
  ret = gst_check_run_suite (seecitvsink_diskfull_suite (),
      "seecitvsink_diskfull", __FILE__);
  umount2 (fsdir, MNT_DETACH);
  test_remove_tree (tmpdir);
  g_free (fsdir);
  g_free (tmpdir);
  return ret;
}
