/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Tests of seecitvcryptsink and seecitvdecrypt together: H.264 in streamable
 * Matroska recorded into a clip and played back through matroskademux, the
 * file's protection (mode, no plaintext), the keystore entries, tampering,
 * truncation, wrong keystores, passphrases, the sync interval (a prefix on
 * disk while still PLAYING, read with clip.h's prefix reader), properties
 * refused while running, seal-on-stop (a stop without EOS seals the clip;
 * on a full disk, a warning), and splitmuxsink. Everything lives in a
 * g_mkdtemp() directory removed at the end. The clip format itself is
 * tested in tests/check/libs/clip.c.
 */
#define _GNU_SOURCE             /* memmem */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <seecitv/crypto/clip.h>
#include <seecitv/crypto/keystore.h>
#include "../common/testfs.h"
#include "../common/testkeystore.h"

#define N_FRAMES 30
#define SMALL_CHUNK 4096

static const guint8 ebml_magic[4] = { 0x1a, 0x45, 0xdf, 0xa3 };

static gchar *tmpdir;

static void
setup (void)
{
  tmpdir = g_build_filename (g_get_tmp_dir (), "seecitvcryptsink-XXXXXX", NULL);
  fail_unless (g_mkdtemp (tmpdir) != NULL);
}

static void
teardown (void)
{
  gchar *mnt = g_build_filename (tmpdir, "small", NULL);

  /* test_no_space's tmpfs, if a failed assertion left it mounted */
  umount2 (mnt, MNT_DETACH);
  g_free (mnt);
  test_remove_tree (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

static gchar *
tmp_path (const gchar * name)
{
  return g_build_filename (tmpdir, name, NULL);
}

/* A new keystore NAME with its master key file NAME.key. */
static gchar *
make_keystore (const gchar * name)
{
  gchar *path = tmp_path (name);

  test_keystore_create (path, NULL);
  return path;
}

static SeecitvKeystore *
open_keystore (const gchar * path)
{
  GError *err = NULL;
  SeecitvKeystore *ks = seecitv_keystore_open_default (path, NULL, &err);

  fail_unless (ks != NULL, "%s", err ? err->message : "");
  return ks;
}

static void
hex_decode (const gchar * hex, guint8 * out, gsize len)
{
  gsize i;

  fail_unless_equals_int (strlen (hex), 2 * len);
  for (i = 0; i < len; i++) {
    fail_unless (g_ascii_isxdigit (hex[2 * i]) &&
        g_ascii_isxdigit (hex[2 * i + 1]));
    fail_if (g_ascii_isupper (hex[2 * i]) || g_ascii_isupper (hex[2 * i + 1]));
    out[i] = (g_ascii_xdigit_value (hex[2 * i]) << 4) |
        g_ascii_xdigit_value (hex[2 * i + 1]);
  }
}

/* ---- running pipelines ---- */

typedef struct
{
  gboolean eos;
  GError *error;
  GstStructure *error_details;  /* copy, or NULL */
  guint warnings;
  GstStructure *warning_details;        /* copy of the last one */
  GPtrArray *elements;          /* element message structures, copies */
  guint frames;                 /* buffers reaching the "out" fakesink */
  gboolean truncated_before_eos;        /* the message came before EOS */
} Run;

static void
run_clear (Run * r)
{
  g_clear_error (&r->error);
  g_clear_pointer (&r->error_details, gst_structure_free);
  g_clear_pointer (&r->warning_details, gst_structure_free);
  g_clear_pointer (&r->elements, g_ptr_array_unref);
}

static const GstStructure *
run_find (Run * r, const gchar * name, guint nth)
{
  guint i;

  for (i = 0; i < r->elements->len; i++) {
    const GstStructure *s = g_ptr_array_index (r->elements, i);

    if (gst_structure_has_name (s, name) && nth-- == 0)
      return s;
  }
  return NULL;
}

static guint
run_count (Run * r, const gchar * name)
{
  guint i, n = 0;

  for (i = 0; i < r->elements->len; i++)
    if (gst_structure_has_name (g_ptr_array_index (r->elements, i), name))
      n++;
  return n;
}

static GstPadProbeReturn
count_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Run *r = user_data;

  g_atomic_int_inc (&r->frames);
  return GST_PAD_PROBE_OK;
}

/* Runs @pipeline to EOS or ERROR. Counts the buffers entering the element
 * named "out", if any. */
static void
run_pipeline (GstElement * pipeline, Run * r)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstElement *out = gst_bin_get_by_name (GST_BIN (pipeline), "out");
  gboolean done = FALSE;

  memset (r, 0, sizeof (*r));
  r->elements = g_ptr_array_new_with_free_func
      ((GDestroyNotify) gst_structure_free);
  if (out != NULL) {
    GstPad *pad = gst_element_get_static_pad (out, "sink");

    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, r, NULL);
    gst_object_unref (pad);
    gst_object_unref (out);
  }

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while (!done) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING |
        GST_MESSAGE_ELEMENT);

    fail_unless (msg != NULL, "pipeline timed out");
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_EOS:
        r->eos = TRUE;
        done = TRUE;
        break;
      case GST_MESSAGE_ERROR:{
        const GstStructure *details = NULL;

        gst_message_parse_error (msg, &r->error, NULL);
        gst_message_parse_error_details (msg, &details);
        if (details != NULL)
          r->error_details = gst_structure_copy (details);
        done = TRUE;
        break;
      }
      case GST_MESSAGE_WARNING:{
        const GstStructure *details = NULL;

        r->warnings++;
        gst_message_parse_warning_details (msg, &details);
        g_clear_pointer (&r->warning_details, gst_structure_free);
        if (details != NULL)
          r->warning_details = gst_structure_copy (details);
        break;
      }
      case GST_MESSAGE_ELEMENT:{
        const GstStructure *s = gst_message_get_structure (msg);

        if (s != NULL)
          g_ptr_array_add (r->elements, gst_structure_copy (s));
        break;
      }
      default:
        break;
    }
    gst_message_unref (msg);
  }
  if (r->eos && run_find (r, "seecitvdecrypt-truncated", 0) != NULL)
    r->truncated_before_eos = TRUE;
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
}

static void
run_launch (const gchar * description, Run * r)
{
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (description, &err);

  fail_unless (pipeline != NULL, "%s: %s", description,
      err ? err->message : "");
  run_pipeline (pipeline, r);
  gst_object_unref (pipeline);
}

#define ENCODE \
  "videotestsrc num-buffers=%d ! video/x-raw,width=160,height=120," \
  "framerate=30/1 ! x264enc speed-preset=ultrafast tune=zerolatency " \
  "key-int-max=10 ! h264parse ! "

/* Records @frames frames into @location; @extra: more sink properties. */
static void
record (const gchar * location, const gchar * keystore, gint frames,
    const gchar * extra, Run * r)
{
  gchar *desc = g_strdup_printf (ENCODE "matroskamux streamable=true ! "
      "seecitvcryptsink location=\"%s\" keystore=\"%s\" %s", frames,
      location, keystore, extra ? extra : "");

  run_launch (desc, r);
  g_free (desc);
}

static void
record_ok (const gchar * location, const gchar * keystore, gint frames,
    const gchar * extra)
{
  Run r;

  record (location, keystore, frames, extra, &r);
  fail_unless (r.error == NULL, "%s", r.error ? r.error->message : "");
  fail_unless (r.eos);
  fail_unless_equals_int (run_count (&r, "seecitvcryptsink-closed"), 1);
  run_clear (&r);
}

/* Plays @location back, counting the H.264 frames out of matroskademux. */
static void
play (const gchar * location, const gchar * keystore, const gchar * extra,
    Run * r)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! "
      "seecitvdecrypt keystore=\"%s\" %s ! matroskademux ! h264parse ! "
      "fakesink name=out", location, keystore, extra ? extra : "");

  run_launch (desc, r);
  g_free (desc);
}

/* Counts the frames of clear Matroska @location (pushed, as the decrypter
 * pushes). */
static guint
count_clear_frames (const gchar * location)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! queue ! "
      "matroskademux ! h264parse ! fakesink name=out", location);
  Run r;
  guint frames;

  run_launch (desc, &r);
  g_free (desc);
  fail_unless (r.error == NULL, "%s", r.error ? r.error->message : "");
  frames = r.frames;
  run_clear (&r);
  return frames;
}

static guint8 *
read_all (const gchar * path, gsize * len)
{
  gchar *data = NULL;
  GError *err = NULL;

  fail_unless (g_file_get_contents (path, &data, len, &err), "%s",
      err ? err->message : "");
  return (guint8 *) data;
}

static void
write_all (const gchar * path, const guint8 * data, gsize len)
{
  GError *err = NULL;

  fail_unless (g_file_set_contents (path, (const gchar *) data, len, &err),
      "%s", err ? err->message : "");
}

/* Decrypts @len bytes of a clip with its key from @keystore, in prefix mode
 * when @prefix. Returns the plaintext, or NULL with @error set. */
static GByteArray *
decrypt_bytes (const guint8 * data, gsize len, const gchar * keystore,
    gboolean prefix, SeecitvClipEnd * end, GError ** error)
{
  SeecitvKeystore *ks = open_keystore (keystore);
  SeecitvClipReader *reader;
  GByteArray *out = g_byte_array_new ();
  gboolean ok;

  reader = seecitv_clip_reader_new (seecitv_keystore_clip_key_func, ks,
      (GDestroyNotify) seecitv_keystore_free,
      prefix ? SEECITV_CLIP_READER_ALLOW_PREFIX : SEECITV_CLIP_READER_NONE);
  ok = seecitv_clip_reader_push (reader, data, len, out, error) &&
      seecitv_clip_reader_finish (reader, end, error);
  seecitv_clip_reader_free (reader);
  if (!ok) {
    g_byte_array_unref (out);
    return NULL;
  }
  return out;
}

/* ---- tests ---- */

GST_START_TEST (test_roundtrip)
{
  gchar *keystore = make_keystore ("keys.db");
  gchar *location = tmp_path ("clip.sctv");
  const GstStructure *closed;
  const gchar *clip_id_hex;
  guint8 clip_id[SEECITV_CLIP_ID_SIZE], key[SEECITV_CLIP_KEY_SIZE];
  SeecitvClipIds ids;
  SeecitvKeystore *ks;
  GPtrArray *clips;
  SeecitvKeystoreClipInfo *info;
  struct stat st;
  guint64 bytes, file_size;
  guint8 *data;
  gsize len;
  GByteArray *plain;
  SeecitvClipEnd end;
  GError *err = NULL;
  Run r;

  record (location, keystore, N_FRAMES, NULL, &r);
  fail_unless (r.error == NULL, "%s", r.error ? r.error->message : "");
  fail_unless (r.eos);
  fail_unless_equals_int (r.warnings, 0);

  /* The closed message, field by field. */
  fail_unless_equals_int (run_count (&r, "seecitvcryptsink-closed"), 1);
  closed = run_find (&r, "seecitvcryptsink-closed", 0);
  fail_unless_equals_string (gst_structure_get_string (closed, "location"),
      location);
  fail_unless_equals_string (gst_structure_get_string (closed, "device-id"),
      "default");
  clip_id_hex = gst_structure_get_string (closed, "clip-id");
  fail_unless (clip_id_hex != NULL);
  hex_decode (clip_id_hex, clip_id, sizeof (clip_id));
  fail_unless (gst_structure_get_uint64 (closed, "bytes", &bytes));
  fail_unless (gst_structure_get_uint64 (closed, "file-size", &file_size));
  fail_unless (gst_structure_has_field_typed (closed, "running-time",
          G_TYPE_UINT64));

  /* The file: 0600, the announced size, no plaintext Matroska. */
  fail_unless_equals_int (g_stat (location, &st), 0);
  fail_unless_equals_int (st.st_mode & 0777, 0600);
  fail_unless_equals_uint64 ((guint64) st.st_size, file_size);
  data = read_all (location, &len);
  fail_unless (memmem (data, len, ebml_magic, sizeof (ebml_magic)) == NULL);
  fail_unless (memmem (data, len, "matroska", 8) == NULL);

  /* The plaintext is Matroska, of the announced size, starting with the
   * EBML magic. */
  plain = decrypt_bytes (data, len, keystore, FALSE, &end, &err);
  fail_unless (plain != NULL, "%s", err ? err->message : "");
  fail_unless_equals_int (end, SEECITV_CLIP_END_COMPLETE);
  fail_unless_equals_uint64 (plain->len, bytes);
  fail_unless (memcmp (plain->data, ebml_magic, 4) == 0);
  g_byte_array_unref (plain);
  g_free (data);

  /* The keystore: the device, the wrapped key under the clip id, the index
   * entry with path and end time. */
  ks = open_keystore (keystore);
  fail_unless (seecitv_keystore_has_device (ks, "default"));
  fail_unless (seecitv_keystore_get_clip_key (ks, clip_id, key, &ids, &err),
      "%s", err ? err->message : "");
  fail_unless (memcmp (ids.clip_id, clip_id, sizeof (clip_id)) == 0);
  clips = seecitv_keystore_list_clips (ks, "default");
  fail_unless_equals_int (clips->len, 1);
  info = g_ptr_array_index (clips, 0);
  fail_unless_equals_string (info->path, location);
  fail_unless_equals_string (info->device_id, "default");
  fail_unless (memcmp (info->ids.clip_id, clip_id, sizeof (clip_id)) == 0);
  fail_unless (info->start_time > 0);
  fail_unless (info->end_time >= info->start_time);
  fail_unless_equals_int (info->state, SEECITV_CLIP_STATE_COMPLETE);
  g_ptr_array_unref (clips);
  seecitv_keystore_free (ks);
  run_clear (&r);

  /* Playback: every frame, no warning, no truncation. */
  play (location, keystore, NULL, &r);
  fail_unless (r.error == NULL, "%s", r.error ? r.error->message : "");
  fail_unless (r.eos);
  fail_unless_equals_int (r.frames, N_FRAMES);
  fail_unless_equals_int (r.warnings, 0);
  fail_unless_equals_int (run_count (&r, "seecitvdecrypt-truncated"), 0);
  run_clear (&r);

  g_free (location);
  g_free (keystore);
}

GST_END_TEST;

GST_START_TEST (test_refuse_overwrite)
{
  gchar *keystore = make_keystore ("keys.db");
  gchar *location = tmp_path ("clip.sctv");
  SeecitvKeystore *ks;
  GPtrArray *clips;
  guint8 *data;
  gsize len;
  Run r;

  write_all (location, (const guint8 *) "precious", 8);
  record (location, keystore, 5, NULL, &r);
  fail_unless (r.error != NULL);
  fail_unless (g_error_matches (r.error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_WRITE), "%s", r.error->message);
  fail_unless (r.error_details != NULL);
  fail_unless_equals_string (gst_structure_get_string (r.error_details,
          "location"), location);
  run_clear (&r);

  data = read_all (location, &len);
  fail_unless_equals_int (len, 8);
  fail_unless (memcmp (data, "precious", 8) == 0);
  g_free (data);

  /* No key was made for a clip that was never written. */
  ks = open_keystore (keystore);
  clips = seecitv_keystore_list_clips (ks, NULL);
  fail_unless_equals_int (clips->len, 0);
  g_ptr_array_unref (clips);
  seecitv_keystore_free (ks);

  g_free (location);
  g_free (keystore);
}

GST_END_TEST;

/* Flips a byte inside chunk @chunk's ciphertext (full chunks of
 * SMALL_CHUNK bytes) and checks the error names that chunk. */
static void
check_flip (const gchar * location, const gchar * keystore, guint chunk)
{
  gchar *copy = tmp_path ("flipped.sctv");
  guint8 *data;
  gsize len, off;
  guint64 index;
  Run r;

  data = read_all (location, &len);
  off = SEECITV_CLIP_HEADER_SIZE + chunk * (SMALL_CHUNK +
      SEECITV_CLIP_CHUNK_OVERHEAD) + 4 + 100;
  fail_unless (off < len);
  data[off] ^= 0x01;
  g_unlink (copy);
  write_all (copy, data, len);
  g_free (data);

  play (copy, keystore, NULL, &r);
  fail_unless (r.error != NULL);
  fail_unless (g_error_matches (r.error, GST_STREAM_ERROR,
          GST_STREAM_ERROR_DECRYPT), "%s", r.error->message);
  fail_if (r.eos);
  fail_unless (r.error_details != NULL);
  fail_unless_equals_string (gst_structure_get_string (r.error_details,
          "reason"), "auth");
  fail_unless (gst_structure_get_uint64 (r.error_details, "chunk-index",
          &index));
  fail_unless_equals_uint64 (index, chunk);
  run_clear (&r);
  g_free (copy);
}

GST_START_TEST (test_tamper)
{
  gchar *keystore = make_keystore ("keys.db");
  gchar *location = tmp_path ("clip.sctv");
  gchar *extra = g_strdup_printf ("chunk-size=%d sync-interval=%"
      G_GUINT64_FORMAT, SMALL_CHUNK, G_MAXUINT64);

  record_ok (location, keystore, N_FRAMES, extra);
  check_flip (location, keystore, 0);
  check_flip (location, keystore, 3);

  g_free (extra);
  g_free (location);
  g_free (keystore);
}

GST_END_TEST;

/* Sets the index state of the clip @location to @state. */
static void
set_clip_state (const gchar * keystore, const gchar * location,
    SeecitvClipState state)
{
  SeecitvKeystore *ks = open_keystore (keystore);
  guint8 clip_id[SEECITV_CLIP_ID_SIZE];
  GError *err = NULL;

  fail_unless (seecitv_clip_read_id (location, clip_id, &err));
  fail_unless (seecitv_keystore_set_clip_state (ks, clip_id, state, &err));
  fail_unless (seecitv_keystore_save (ks, &err), "%s", err->message);
  seecitv_keystore_free (ks);
}

/* A clip cut in the middle of a chunk: every authentic byte is delivered;
 * then, for a clip the index records as complete, an error (reason
 * `truncated`), and for one recording or truncated (its writer died), one
 * warning and the truncation message. */
GST_START_TEST (test_truncated)
{
  gchar *keystore = make_keystore ("keys.db");
  gchar *location = tmp_path ("clip.sctv");
  gchar *cut = tmp_path ("cut.sctv");
  gchar *clear = tmp_path ("prefix.mkv");
  gchar *extra = g_strdup_printf ("chunk-size=%d sync-interval=%"
      G_GUINT64_FORMAT, SMALL_CHUNK, G_MAXUINT64);
  guint64 bytes, chunks, warn_bytes;
  guint8 *data;
  gsize len, cut_len, n_full;
  GByteArray *plain;
  SeecitvClipEnd end;
  GError *err = NULL;
  guint expected;
  Run r;

  record_ok (location, keystore, 60, extra);
  data = read_all (location, &len);
  n_full = (len - SEECITV_CLIP_HEADER_SIZE) / (SMALL_CHUNK +
      SEECITV_CLIP_CHUNK_OVERHEAD);
  fail_unless (n_full >= 4, "only %u full chunks", (guint) n_full);
  /* Half way, in the middle of a chunk. */
  cut_len = SEECITV_CLIP_HEADER_SIZE + (n_full / 2) * (SMALL_CHUNK +
      SEECITV_CLIP_CHUNK_OVERHEAD) + SMALL_CHUNK / 2;
  write_all (cut, data, cut_len);

  /* What the prefix holds, for comparison. */
  plain = decrypt_bytes (data, cut_len, keystore, TRUE, &end, &err);
  fail_unless (plain != NULL, "%s", err ? err->message : "");
  fail_unless_equals_int (end, SEECITV_CLIP_END_PREFIX);
  fail_unless_equals_int (plain->len, (n_full / 2) * SMALL_CHUNK);
  write_all (clear, plain->data, plain->len);
  expected = count_clear_frames (clear);
  fail_unless (expected > 0 && expected < 60, "%u frames", expected);
  g_byte_array_unref (plain);
  g_free (data);

  /* Sealed complete: its end was cut off. */
  play (cut, keystore, NULL, &r);
  fail_unless (r.error != NULL);
  g_assert_error (r.error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECRYPT);
  fail_unless (r.error_details != NULL);
  fail_unless_equals_string (gst_structure_get_string (r.error_details,
          "reason"), "truncated");
  fail_unless (gst_structure_get_uint64 (r.error_details, "chunk-index",
          &chunks));
  fail_unless_equals_uint64 (chunks, n_full / 2);
  fail_unless_equals_int (r.frames, expected);
  fail_unless_equals_int (r.warnings, 0);
  fail_unless_equals_int (run_count (&r, "seecitvdecrypt-truncated"), 0);
  run_clear (&r);

  /* Its writer died while recording: plays as far as it goes. */
  set_clip_state (keystore, location, SEECITV_CLIP_STATE_RECORDING);
  play (cut, keystore, NULL, &r);
  fail_unless (r.error == NULL, "%s", r.error ? r.error->message : "");
  fail_unless_equals_int (r.frames, expected);
  fail_unless_equals_int (r.warnings, 1);
  run_clear (&r);

  set_clip_state (keystore, location, SEECITV_CLIP_STATE_TRUNCATED);
  play (cut, keystore, NULL, &r);
  fail_unless (r.error == NULL, "%s", r.error ? r.error->message : "");
  fail_unless (r.eos);
  fail_unless_equals_int (r.frames, expected);
  fail_unless_equals_int (r.warnings, 1);
  fail_unless (r.warning_details != NULL);
  fail_unless (gst_structure_get_uint64 (r.warning_details, "bytes",
          &warn_bytes));
  fail_unless_equals_uint64 (warn_bytes, (n_full / 2) * SMALL_CHUNK);
  fail_unless_equals_int (run_count (&r, "seecitvdecrypt-truncated"), 1);
  fail_unless (r.truncated_before_eos);
  fail_unless (gst_structure_get_uint64 (run_find (&r,
              "seecitvdecrypt-truncated", 0), "bytes", &bytes));
  fail_unless (gst_structure_get_uint64 (run_find (&r,
              "seecitvdecrypt-truncated", 0), "chunks", &chunks));
  fail_unless_equals_uint64 (bytes, (n_full / 2) * SMALL_CHUNK);
  fail_unless_equals_uint64 (chunks, n_full / 2);
  run_clear (&r);

  g_free (extra);
  g_free (clear);
  g_free (cut);
  g_free (location);
  g_free (keystore);
}

GST_END_TEST;

GST_START_TEST (test_wrong_keystore)
{
  gchar *keystore = make_keystore ("keys.db");
  gchar *other = make_keystore ("other.db");
  gchar *location = tmp_path ("clip.sctv");
  gchar *other_key = seecitv_keystore_default_key_path (other);
  gchar *key_path = seecitv_keystore_default_key_path (keystore);
  guint8 *data;
  gsize len;
  Run r;

  record_ok (location, keystore, 5, NULL);

  /* Another keystore has no key for the clip. */
  play (location, other, NULL, &r);
  fail_unless (r.error != NULL);
  fail_unless (g_error_matches (r.error, GST_STREAM_ERROR,
          GST_STREAM_ERROR_DECRYPT_NOKEY), "%s", r.error->message);
  fail_unless_equals_int (r.frames, 0);
  fail_unless (r.error_details != NULL);
  fail_unless_equals_string (gst_structure_get_string (r.error_details,
          "reason"), "no-key");
  run_clear (&r);

  /* The right keystore with another master key does not open. */
  data = read_all (other_key, &len);
  g_unlink (key_path);
  write_all (key_path, data, len);
  g_chmod (key_path, 0600);
  g_free (data);
  play (location, keystore, NULL, &r);
  fail_unless (r.error != NULL);
  fail_unless (g_error_matches (r.error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_READ), "%s", r.error->message);
  fail_unless_equals_int (r.frames, 0);
  fail_unless (r.error_details != NULL);
  fail_unless_equals_string (gst_structure_get_string (r.error_details,
          "keystore"), keystore);
  run_clear (&r);

  g_free (key_path);
  g_free (other_key);
  g_free (location);
  g_free (other);
  g_free (keystore);
}

GST_END_TEST;

GST_START_TEST (test_device_id)
{
  gchar *keystore = make_keystore ("keys.db");
  gchar *location = tmp_path ("clip.sctv");
  GstElement *sink = gst_element_factory_make ("seecitvcryptsink", NULL);
  const gchar *bad[] = { "", ".", "..", "a/b", "../x", "caf\xc3\xa9",
    "with space", "0123456789012345678901234567890123456789012345678901234567"
        "890123456789"
  };
  SeecitvKeystore *ks;
  GPtrArray *clips;
  gchar *id;
  guint i;

  fail_unless (sink != NULL);
  g_object_get (sink, "device-id", &id, NULL);
  fail_unless_equals_string (id, "default");
  g_free (id);
  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_object_set (sink, "device-id", "ok", NULL);
    g_object_set (sink, "device-id", bad[i], NULL);
    g_object_get (sink, "device-id", &id, NULL);
    fail_unless_equals_string (id, "ok");
    g_free (id);
  }
  g_object_set (sink, "device-id", "Door.cam_1-B", NULL);
  g_object_get (sink, "device-id", &id, NULL);
  fail_unless_equals_string (id, "Door.cam_1-B");
  g_free (id);
  gst_object_unref (sink);

  record_ok (location, keystore, 5, "device-id=Door.cam_1-B");
  ks = open_keystore (keystore);
  fail_unless (seecitv_keystore_has_device (ks, "Door.cam_1-B"));
  fail_if (seecitv_keystore_has_device (ks, "default"));
  clips = seecitv_keystore_list_clips (ks, "Door.cam_1-B");
  fail_unless_equals_int (clips->len, 1);
  g_ptr_array_unref (clips);
  seecitv_keystore_free (ks);

  g_free (location);
  g_free (keystore);
}

GST_END_TEST;

GST_START_TEST (test_passphrase)
{
  gchar *keystore = tmp_path ("keys.db");
  gchar *pass = tmp_path ("pass");
  gchar *location = tmp_path ("clip.sctv");
  gchar *extra = g_strdup_printf ("passphrase-file=\"%s\"", pass);
  SeecitvKeystoreKdfParams cheap = { 10, 8, 1 };
  SeecitvKeystore *ks;
  GError *err = NULL;
  Run r;
  gint code = -1;

  ks = seecitv_keystore_create_with_passphrase (keystore, "correct horse",
      13, &cheap, &err);
  fail_unless (ks != NULL, "%s", err ? err->message : "");
  seecitv_keystore_free (ks);
  write_all (pass, (const guint8 *) "correct horse\n", 14);
  g_chmod (pass, 0600);

  record_ok (location, keystore, 10, extra);
  play (location, keystore, extra, &r);
  fail_unless (r.error == NULL, "%s", r.error ? r.error->message : "");
  fail_unless_equals_int (r.frames, 10);
  run_clear (&r);

  /* A passphrase file others can read is refused. */
  g_chmod (pass, 0644);
  play (location, keystore, extra, &r);
  fail_unless (r.error != NULL);
  fail_unless (g_error_matches (r.error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_READ), "%s", r.error->message);
  fail_unless (r.error_details != NULL);
  /* The token says what failed; the text says what to do. */
  fail_unless_equals_string (gst_structure_get_string (r.error_details,
          "reason"), "keystore");
  fail_unless (gst_structure_get_int (r.error_details, "keystore-error",
          &code));
  fail_unless_equals_int (code, SEECITV_KEYSTORE_ERROR_PERMISSIONS);
  fail_unless (strstr (gst_structure_get_string (r.error_details, "message"),
          "chmod 600") != NULL);
  run_clear (&r);

  /* A wrong passphrase does not open the keystore. */
  g_unlink (pass);
  write_all (pass, (const guint8 *) "wrong horse\n", 12);
  g_chmod (pass, 0600);
  play (location, keystore, extra, &r);
  fail_unless (r.error != NULL);
  fail_unless (g_error_matches (r.error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_READ), "%s", r.error->message);
  fail_unless_equals_int (r.frames, 0);
  run_clear (&r);

  g_free (extra);
  g_free (location);
  g_free (pass);
  g_free (keystore);
}

GST_END_TEST;

static GstBuffer *
pattern_buffer (guint n, gsize size, GstClockTime pts)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);
  GstMapInfo map;
  gsize i;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < size; i++)
    map.data[i] = (guint8) (n * 31 + i);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = pts;
  return buf;
}

/* A playing harness around @sink, which gets its own *@bus, with
 * stream-start and a TIME segment pushed. */
static GstHarness *
start_harness (GstElement * sink, GstBus ** bus)
{
  GstHarness *h;
  GstSegment segment;

  *bus = gst_bus_new ();
  gst_element_set_bus (sink, *bus);
  h = gst_harness_new_with_element (sink, "sink", NULL);
  gst_harness_play (h);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_harness_push_event (h, gst_event_new_stream_start ("s"));
  gst_harness_push_event (h, gst_event_new_segment (&segment));
  return h;
}

/* Bytes of @location that decrypt (prefix mode), checked against the
 * pattern. */
static gsize
decryptable_prefix (const gchar * location, const gchar * keystore)
{
  guint8 *data;
  gsize len, i, n;
  GByteArray *plain;
  SeecitvClipEnd end;
  GError *err = NULL;

  data = read_all (location, &len);
  plain = decrypt_bytes (data, len, keystore, TRUE, &end, &err);
  fail_unless (plain != NULL, "%s", err ? err->message : "");
  fail_unless_equals_int (end, SEECITV_CLIP_END_PREFIX);
  for (i = 0; i < plain->len; i++)
    fail_unless_equals_int (plain->data[i],
        (guint8) ((i / 1000) * 31 + i % 1000));
  n = plain->len;
  g_byte_array_unref (plain);
  g_free (data);
  return n;
}

/* What a sink's own bus holds after a stop. */
typedef struct
{
  guint errors;
  guint warnings;
  guint closed;                 /* "seecitvcryptsink-closed" */
  GError *problem;              /* the last error or warning */
  GstStructure *closed_s;       /* the last "seecitvcryptsink-closed" */
} Tally;

static void
tally_clear (Tally * t)
{
  g_clear_error (&t->problem);
  g_clear_pointer (&t->closed_s, gst_structure_free);
}

/* Pops everything from @bus into @t, then flushes it. */
static void
tally_bus (GstBus * bus, Tally * t)
{
  GstMessage *msg;

  memset (t, 0, sizeof (*t));
  while ((msg = gst_bus_pop (bus)) != NULL) {
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR ||
        GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
      g_clear_error (&t->problem);
      if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
        t->errors++;
        gst_message_parse_error (msg, &t->problem, NULL);
      } else {
        t->warnings++;
        gst_message_parse_warning (msg, &t->problem, NULL);
      }
    } else if (gst_message_has_name (msg, "seecitvcryptsink-closed")) {
      t->closed++;
      g_clear_pointer (&t->closed_s, gst_structure_free);
      t->closed_s = gst_structure_copy (gst_message_get_structure (msg));
    }
    gst_message_unref (msg);
  }
  gst_bus_set_flushing (bus, TRUE);
}

/* Pushes 25 pattern buffers of 1000 bytes into a seecitvcryptsink with
 * @seal_on_stop (syncing after every buffer), then sets it to NULL without
 * EOS; @t receives what its bus said. */
static void
record_stopped (const gchar * location, const gchar * keystore,
    gboolean seal_on_stop, Tally * t)
{
  GstElement *sink = gst_element_factory_make ("seecitvcryptsink", NULL);
  GstHarness *h;
  GstMessage *msg;
  GstBus *bus;
  gboolean seal;
  guint i;

  g_object_set (sink, "location", location, "keystore", keystore,
      "sync-interval", (guint64) 0, "seal-on-stop", seal_on_stop, NULL);
  g_object_get (sink, "seal-on-stop", &seal, NULL);
  fail_unless_equals_int (seal, seal_on_stop);
  h = start_harness (sink, &bus);
  for (i = 0; i < 25; i++)
    fail_unless_equals_int (gst_harness_push (h, pattern_buffer (i, 1000,
                i * GST_SECOND / 10)), GST_FLOW_OK);
  /* Running: the setting cannot change now (refused with a warning). */
  g_object_set (sink, "seal-on-stop", !seal_on_stop, NULL);
  g_object_get (sink, "seal-on-stop", &seal, NULL);
  fail_unless_equals_int (seal, seal_on_stop);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_unref (msg);

  /* No EOS: straight to NULL, as an application stopping its pipeline. */
  gst_harness_teardown (h);
  tally_bus (bus, t);
  gst_object_unref (bus);
  gst_object_unref (sink);
}

/* The state in @keystore's index of its only clip; @end_time: its end
 * time (-1: none). */
static SeecitvClipState
only_clip_state (const gchar * keystore, gint64 * end_time)
{
  SeecitvKeystore *ks = open_keystore (keystore);
  GPtrArray *clips = seecitv_keystore_list_clips (ks, NULL);
  SeecitvClipState state;

  fail_unless_equals_int (clips->len, 1);
  state = ((SeecitvKeystoreClipInfo *) clips->pdata[0])->state;
  *end_time = ((SeecitvKeystoreClipInfo *) clips->pdata[0])->end_time;
  g_ptr_array_unref (clips);
  seecitv_keystore_free (ks);
  return state;
}

/* seal-on-stop: a clip stopped without EOS is complete, every byte pushed
 * in it, its end time indexed, and seecitvdecrypt does not call it
 * truncated. Without it (the default) the same stop leaves it truncated. */
GST_START_TEST (test_seal_on_stop)
{
  gchar *keystore = make_keystore ("keys.db");
  gchar *sealed = tmp_path ("sealed.sctv");
  gchar *cut = tmp_path ("cut.sctv");
  gchar *desc;
  guint8 *data;
  gsize len, i;
  GByteArray *plain;
  SeecitvClipEnd end;
  GError *err = NULL;
  guint64 bytes = 0;
  gint64 end_time;
  Tally t;
  Run r;

  record_stopped (sealed, keystore, TRUE, &t);
  fail_unless_equals_int (t.closed, 1);
  fail_unless_equals_int (t.warnings + t.errors, 0);
  fail_unless (gst_structure_get_uint64 (t.closed_s, "bytes", &bytes));
  fail_unless_equals_uint64 (bytes, 25000);
  fail_unless_equals_string (gst_structure_get_string (t.closed_s,
          "location"), sealed);
  tally_clear (&t);
  data = read_all (sealed, &len);
  plain = decrypt_bytes (data, len, keystore, FALSE, &end, &err);
  fail_unless (plain != NULL, "%s", err ? err->message : "");
  fail_unless_equals_int (end, SEECITV_CLIP_END_COMPLETE);
  fail_unless_equals_int (plain->len, 25000);
  for (i = 0; i < plain->len; i++)
    fail_unless_equals_int (plain->data[i],
        (guint8) ((i / 1000) * 31 + i % 1000));
  g_byte_array_unref (plain);
  g_free (data);
  fail_unless_equals_int (only_clip_state (keystore, &end_time),
      SEECITV_CLIP_STATE_COMPLETE);
  fail_unless (end_time > 0);

  desc = g_strdup_printf ("filesrc location=\"%s\" ! seecitvdecrypt "
      "keystore=\"%s\" ! fakesink name=out", sealed, keystore);
  run_launch (desc, &r);
  g_free (desc);
  fail_unless (r.error == NULL, "%s", r.error ? r.error->message : "");
  fail_unless (r.eos);
  fail_unless_equals_int (r.warnings, 0);
  fail_unless_equals_int (run_count (&r, "seecitvdecrypt-truncated"), 0);
  run_clear (&r);

  /* The default: the same stop leaves a truncated clip (everything synced
   * decrypts in prefix mode) and no end time. */
  g_free (keystore);
  keystore = make_keystore ("keys2.db");
  record_stopped (cut, keystore, FALSE, &t);
  fail_unless_equals_int (t.closed, 0);
  fail_unless_equals_int (t.warnings + t.errors, 0);
  tally_clear (&t);
  data = read_all (cut, &len);
  plain = decrypt_bytes (data, len, keystore, FALSE, &end, &err);
  fail_unless (plain == NULL);
  fail_unless (g_error_matches (err, SEECITV_CLIP_ERROR,
          SEECITV_CLIP_ERROR_TRUNCATED), "%s", err ? err->message : "");
  g_clear_error (&err);
  g_free (data);
  fail_unless_equals_int (decryptable_prefix (cut, keystore), 25000);
  /* (the index cannot know that its writer is gone: `seecitv list` and
   * `verify` find it unlocked and say truncated) */
  fail_unless_equals_int (only_clip_state (keystore, &end_time),
      SEECITV_CLIP_STATE_RECORDING);
  fail_unless (end_time < 0);

  g_free (cut);
  g_free (sealed);
  g_free (keystore);
}

GST_END_TEST;

GST_START_TEST (test_sync_interval)
{
  gchar *keystore = make_keystore ("keys.db");
  gchar *location = tmp_path ("clip.sctv");
  GstElement *sink = gst_element_factory_make ("seecitvcryptsink", NULL);
  GstHarness *h;
  GstState state;
  GstBus *bus;
  GstMessage *msg;
  guint i;

  /* 10 s of running time between syncs: wall time does not reach it while
   * the test runs, so the sync seen is the running-time one. */
  g_object_set (sink, "location", location, "keystore", keystore,
      "sync-interval", 10 * GST_SECOND, NULL);
  h = start_harness (sink, &bus);

  /* 1000 bytes per second of running time, 0 to 9 s: nothing synced. */
  for (i = 0; i < 10; i++)
    fail_unless_equals_int (gst_harness_push (h, pattern_buffer (i, 1000,
                i * GST_SECOND)), GST_FLOW_OK);
  fail_unless_equals_int (decryptable_prefix (location, keystore), 0);

  /* 10 s: the interval elapsed; everything so far is on disk and decrypts
   * while the sink is still PLAYING. */
  fail_unless_equals_int (gst_harness_push (h, pattern_buffer (10, 1000,
              10 * GST_SECOND)), GST_FLOW_OK);
  fail_unless_equals_int (gst_element_get_state (sink, &state, NULL, 0),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (state, GST_STATE_PLAYING);
  fail_unless_equals_int (decryptable_prefix (location, keystore), 11000);

  /* sync-interval may change while PLAYING; 0 syncs every buffer. */
  g_object_set (sink, "sync-interval", (guint64) 0, NULL);
  fail_unless_equals_int (gst_harness_push (h, pattern_buffer (11, 1000,
              11 * GST_SECOND)), GST_FLOW_OK);
  fail_unless_equals_int (decryptable_prefix (location, keystore), 12000);

  /* location cannot change while running: refused whole, with a warning. */
  g_object_set (sink, "location", "/nonexistent/other", NULL);
  {
    gchar *loc;

    g_object_get (sink, "location", &loc, NULL);
    fail_unless_equals_string (loc, location);
    g_free (loc);
  }
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_unref (msg);

  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  fail_unless (msg != NULL);
  fail_unless (gst_message_has_name (msg, "seecitvcryptsink-closed"));
  gst_message_unref (msg);
  gst_harness_teardown (h);

  /* Complete now. */
  {
    guint8 *data;
    gsize len;
    GByteArray *plain;
    SeecitvClipEnd end;
    GError *err = NULL;

    data = read_all (location, &len);
    plain = decrypt_bytes (data, len, keystore, FALSE, &end, &err);
    fail_unless (plain != NULL, "%s", err ? err->message : "");
    fail_unless_equals_int (plain->len, 12000);
    g_byte_array_unref (plain);
    g_free (data);
  }

  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  gst_object_unref (sink);
  g_free (location);
  g_free (keystore);
}

GST_END_TEST;

static gchar *
format_location (GstElement * splitmux, guint fragment, gpointer user_data)
{
  return g_strdup_printf ("%s/split%02u.sctv", tmpdir, fragment);
}

GST_START_TEST (test_splitmuxsink)
{
  gchar *keystore = make_keystore ("keys.db");
  gchar *desc = g_strdup_printf (ENCODE "splitmuxsink name=split "
      "muxer=\"matroskamux streamable=true\" "
      "sink=\"seecitvcryptsink keystore=%s device-id=door\" "
      "max-size-time=1000000000", 90, keystore);
  GstElement *pipeline;
  SeecitvKeystore *ks;
  GPtrArray *clips;
  GHashTable *ids;
  guint i, n, total = 0;
  Run r;

  pipeline = gst_parse_launch (desc, NULL);
  fail_unless (pipeline != NULL);
  {
    GstElement *split = gst_bin_get_by_name (GST_BIN (pipeline), "split");

    g_signal_connect (split, "format-location",
        G_CALLBACK (format_location), NULL);
    gst_object_unref (split);
  }
  run_pipeline (pipeline, &r);
  gst_object_unref (pipeline);
  fail_unless (r.error == NULL, "%s", r.error ? r.error->message : "");
  fail_unless (r.eos);
  n = run_count (&r, "seecitvcryptsink-closed");
  fail_unless (n >= 3, "%u clips", n);

  ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (i = 0; i < n; i++) {
    const GstStructure *s = run_find (&r, "seecitvcryptsink-closed", i);
    gchar *expected = g_strdup_printf ("%s/split%02u.sctv", tmpdir, i);
    Run p;

    fail_unless_equals_string (gst_structure_get_string (s, "location"),
        expected);
    fail_unless (g_hash_table_add (ids,
            g_strdup (gst_structure_get_string (s, "clip-id"))));
    play (expected, keystore, NULL, &p);
    fail_unless (p.error == NULL, "%s", p.error ? p.error->message : "");
    fail_unless_equals_int (p.warnings, 0);
    fail_unless (p.frames > 0);
    total += p.frames;
    run_clear (&p);
    g_free (expected);
  }
  /* Nothing lost, nothing duplicated between the clips. */
  fail_unless_equals_int (total, 90);

  ks = open_keystore (keystore);
  clips = seecitv_keystore_list_clips (ks, "door");
  fail_unless_equals_int (clips->len, n);
  g_ptr_array_unref (clips);
  seecitv_keystore_free (ks);

  g_hash_table_unref (ids);
  run_clear (&r);
  g_free (desc);
  g_free (keystore);
}

GST_END_TEST;

GST_START_TEST (test_missing_settings)
{
  gchar *keystore = tmp_path ("missing.db");
  gchar *location = tmp_path ("clip.sctv");
  Run r;

  /* No keystore file: refused before the clip exists. */
  record (location, keystore, 5, NULL, &r);
  fail_unless (r.error != NULL);
  fail_unless (g_error_matches (r.error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_READ), "%s", r.error->message);
  fail_unless (r.error_details != NULL);
  fail_unless_equals_string (gst_structure_get_string (r.error_details,
          "keystore"), keystore);
  fail_if (g_file_test (location, G_FILE_TEST_EXISTS));
  run_clear (&r);

  g_free (location);
  g_free (keystore);
}

GST_END_TEST;

/* Loads the plugins the pipelines use once, in the parent process, through
 * gst_plugin_load_file(): the dynamic loader keeps a few bytes per dlopen()
 * for the process lifetime (glibc's resize_scopes), which tests/valgrind.supp
 * suppresses under that function; loading from gst_parse_launch() in each
 * forked test would report them as leaks of the test. */
static void
preload_plugins (void)
{
  const gchar *factories[] = { "videotestsrc", "x264enc", "h264parse",
    "matroskamux", "matroskademux", "splitmuxsink", "filesrc", "fakesink",
    "queue", "seecitvcryptsink", "seecitvdecrypt", "capsfilter"
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (factories); i++) {
    GstElementFactory *f = gst_element_factory_find (factories[i]);
    GstPlugin *plugin;

    if (f == NULL)
      continue;
    plugin = gst_plugin_feature_get_plugin (GST_PLUGIN_FEATURE (f));
    if (plugin != NULL && !gst_plugin_is_loaded (plugin) &&
        gst_plugin_get_filename (plugin) != NULL) {
      GstPlugin *loaded =
          gst_plugin_load_file (gst_plugin_get_filename (plugin), NULL);

      if (loaded != NULL)
        gst_object_unref (loaded);
    }
    if (plugin != NULL)
      gst_object_unref (plugin);
    gst_object_unref (f);
  }
}

/* seecitvdecrypt alone, fed in small uneven pieces: the output is exactly
 * the plaintext, contiguous, with typefound caps and a byte segment. */
GST_START_TEST (test_decrypt_harness)
{
  gchar *keystore = make_keystore ("keys.db");
  gchar *location = tmp_path ("clip.sctv");
  gchar *extra = g_strdup_printf ("chunk-size=%d", SMALL_CHUNK);
  GstElement *dec = gst_element_factory_make ("seecitvdecrypt", NULL);
  GstHarness *h;
  GByteArray *plain, *got = g_byte_array_new ();
  GstBuffer *buf;
  GstCaps *caps;
  GstEvent *ev;
  guint8 *data;
  gsize len, off = 0, step = 1;
  guint64 next_offset = 0;
  SeecitvClipEnd end;
  GError *err = NULL;
  gchar *ks_get;

  record_ok (location, keystore, 10, extra);
  data = read_all (location, &len);
  plain = decrypt_bytes (data, len, keystore, FALSE, &end, &err);
  fail_unless (plain != NULL, "%s", err ? err->message : "");

  g_object_set (dec, "keystore", keystore, NULL);
  h = gst_harness_new_with_element (dec, "sink", "src");
  gst_harness_set_src_caps_str (h, "application/x-whatever");

  /* Running: the keystore cannot change. */
  g_object_set (dec, "keystore", "/nonexistent", NULL);
  g_object_get (dec, "keystore", &ks_get, NULL);
  fail_unless_equals_string (ks_get, keystore);
  g_free (ks_get);

  while (off < len) {
    gsize n = MIN (step, len - off);

    buf = gst_buffer_new_memdup (data + off, n);
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    off += n;
    step = step * 3 + 1;
    if (step > 9000)
      step = 7;
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

  while ((buf = gst_harness_try_pull (h)) != NULL) {
    GstMapInfo map;

    fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buf), next_offset);
    gst_buffer_map (buf, &map, GST_MAP_READ);
    g_byte_array_append (got, map.data, map.size);
    next_offset += map.size;
    fail_unless_equals_uint64 (GST_BUFFER_OFFSET_END (buf), next_offset);
    gst_buffer_unmap (buf, &map);
    gst_buffer_unref (buf);
  }
  fail_unless_equals_int (got->len, plain->len);
  fail_unless (memcmp (got->data, plain->data, plain->len) == 0);

  caps = gst_pad_get_current_caps (h->sinkpad);
  fail_unless (caps != NULL);
  fail_unless (gst_structure_has_name (gst_caps_get_structure (caps, 0),
          "video/x-matroska"), "%" GST_PTR_FORMAT, caps);
  gst_caps_unref (caps);
  ev = gst_pad_get_sticky_event (h->sinkpad, GST_EVENT_SEGMENT, 0);
  fail_unless (ev != NULL);
  {
    const GstSegment *seg;

    gst_event_parse_segment (ev, &seg);
    fail_unless_equals_int (seg->format, GST_FORMAT_BYTES);
  }
  gst_event_unref (ev);

  gst_harness_teardown (h);
  gst_object_unref (dec);
  g_byte_array_unref (got);
  g_byte_array_unref (plain);
  g_free (data);
  g_free (extra);
  g_free (location);
  g_free (keystore);
}

GST_END_TEST;

/* A full disk: a 64 KiB tmpfs (mount_small). Where mounting is not allowed these
 * tests are not registered, and the suite says so (see can_mount_tmpfs):
 * they are never counted as passed without running. */

/* Mounts a 64 KiB tmpfs on @mnt: in a mount namespace of this process's
 * own where "/" can be made private, else (in a chroot, where "/" is no
 * mount point) a plain mount, which the test and teardown undo. */
static gboolean
try_mount_small (const gchar * mnt)
{
  if (unshare (CLONE_NEWNS) == 0 &&
      mount ("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0 &&
      mount ("tmpfs", mnt, "tmpfs", 0, "size=64k") == 0)
    return TRUE;
  return mount ("tmpfs", mnt, "tmpfs", MS_NOSUID | MS_NODEV,
      "size=64k") == 0;
}

static void
mount_small (const gchar * mnt)
{
  fail_unless_equals_int (g_mkdir (mnt, 0700), 0);
  fail_unless (try_mount_small (mnt), "cannot mount a tmpfs (%s), though "
      "the probe could", g_strerror (errno));
}

/* Whether a child process may mount a tmpfs as mount_small () does (root,
 * or CAP_SYS_ADMIN). */
static gboolean
can_mount_tmpfs (void)
{
  gchar *dir = g_dir_make_tmp ("seecitvcryptsink-probe-XXXXXX", NULL);
  gint status = -1;
  pid_t pid;

  if (dir == NULL)
    return FALSE;
  pid = fork ();
  if (pid == 0) {
    if (!try_mount_small (dir))
      _exit (1);
    umount2 (dir, MNT_DETACH);
    _exit (0);
  }
  if (pid > 0)
    waitpid (pid, &status, 0);
  g_rmdir (dir);
  g_free (dir);
  return pid > 0 && WIFEXITED (status) && WEXITSTATUS (status) == 0;
}

GST_START_TEST (test_no_space)
{
  gchar *keystore = make_keystore ("keys.db");
  gchar *mnt = tmp_path ("small");
  gchar *location = g_build_filename (mnt, "clip.sctv", NULL);
  guint8 *data;
  gsize len;
  GByteArray *plain;
  SeecitvClipEnd end;
  GError *err = NULL;
  Run r;

  mount_small (mnt);

  record (location, keystore, 90, "chunk-size=4096", &r);
  fail_unless (r.error != NULL);
  fail_unless (g_error_matches (r.error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NO_SPACE_LEFT), "%s", r.error->message);
  fail_unless (r.error_details != NULL);
  fail_unless_equals_string (gst_structure_get_string (r.error_details,
          "location"), location);
  fail_unless_equals_int (run_count (&r, "seecitvcryptsink-closed"), 0);
  run_clear (&r);

  /* What made it to disk is a clip prefix: whole chunks decrypt. */
  data = read_all (location, &len);
  fail_unless (len > 16 * 1024);
  plain = decrypt_bytes (data, len, keystore, TRUE, &end, &err);
  fail_unless (plain != NULL, "%s", err ? err->message : "");
  fail_unless_equals_int (end, SEECITV_CLIP_END_PREFIX);
  fail_unless (plain->len > 0 && plain->len % 4096 == 0);
  fail_unless (memcmp (plain->data, ebml_magic, 4) == 0);
  g_byte_array_unref (plain);
  g_free (data);
  umount (mnt);

  g_free (location);
  g_free (mnt);
  g_free (keystore);
}

GST_END_TEST;

/* Fills the file system holding @path (a new file) to the last byte. */
static void
fill_up (const gchar * path)
{
  int fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  guint8 block[4096] = { 0 };

  fail_unless (fd >= 0);
  while (write (fd, block, sizeof (block)) > 0);
  while (write (fd, block, 1) > 0);
  fail_unless_equals_int (errno, ENOSPC);
  close (fd);
}

/* A harness around a new seecitvcryptsink (*@sink, its bus *@bus) with
 * seal-on-stop set. */
static GstHarness *
start_small (const gchar * location, const gchar * keystore,
    guint chunk_size, guint64 sync_interval, GstElement ** sink, GstBus ** bus)
{
  *sink = gst_element_factory_make ("seecitvcryptsink", NULL);
  g_object_set (*sink, "location", location, "keystore", keystore,
      "chunk-size", chunk_size, "sync-interval", sync_interval,
      "seal-on-stop", TRUE, NULL);
  return start_harness (*sink, bus);
}

/* seal-on-stop on a full disk: a final chunk that does not fit is one
 * warning (not an error: the pipeline is stopping), and the clip stays
 * truncated; a clip that lost data (a write failed) is not sealed at all,
 * whatever room there is at the stop. */
GST_START_TEST (test_seal_on_stop_no_space)
{
  gchar *keystore = make_keystore ("keys.db");
  gchar *mnt = tmp_path ("small");
  gchar *location = g_build_filename (mnt, "clip.sctv", NULL);
  gchar *filler = g_build_filename (mnt, "filler", NULL);
  GstElement *sink;
  GstHarness *h;
  GstBus *bus;
  GstFlowReturn ret = GST_FLOW_OK;
  Tally t;
  guint i;

  mount_small (mnt);

  /* 20000 bytes stay buffered (chunks of 64 KiB, no sync), the disk
   * fills, then the stop's final chunk does not fit. */
  h = start_small (location, keystore, 65536, G_MAXUINT64, &sink, &bus);
  for (i = 0; i < 20; i++)
    fail_unless_equals_int (gst_harness_push (h, pattern_buffer (i, 1000,
                i * GST_SECOND / 10)), GST_FLOW_OK);
  fill_up (filler);
  gst_harness_teardown (h);
  tally_bus (bus, &t);
  fail_unless_equals_int (t.errors, 0);
  fail_unless_equals_int (t.warnings, 1);
  fail_unless (g_error_matches (t.problem, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NO_SPACE_LEFT), "%s", t.problem->message);
  fail_unless_equals_int (t.closed, 0);
  tally_clear (&t);
  fail_unless_equals_int (decryptable_prefix (location, keystore), 0);
  gst_object_unref (bus);
  gst_object_unref (sink);

  /* A write fails (ENOSPC) while streaming; room again before the stop:
   * the clip missing data is still not sealed. */
  fail_unless_equals_int (g_unlink (filler), 0);
  fail_unless_equals_int (g_unlink (location), 0);
  {
    guint8 block[16 * 1024] = { 0 };

    fail_unless (g_file_set_contents (filler, (gchar *) block,
            sizeof (block), NULL));
  }
  h = start_small (location, keystore, 4096, 0, &sink, &bus);
  for (i = 0; i < 100 && ret == GST_FLOW_OK; i++)
    ret = gst_harness_push (h, pattern_buffer (i, 1000,
            i * GST_SECOND / 10));
  fail_unless_equals_int (ret, GST_FLOW_ERROR);
  tally_bus (bus, &t);
  fail_unless_equals_int (t.errors, 1);
  tally_clear (&t);
  gst_bus_set_flushing (bus, FALSE);
  fail_unless_equals_int (g_unlink (filler), 0);
  gst_harness_teardown (h);
  tally_bus (bus, &t);
  fail_unless_equals_int (t.errors + t.warnings, 0);
  fail_unless_equals_int (t.closed, 0);
  tally_clear (&t);
  gst_object_unref (bus);
  gst_object_unref (sink);
  umount (mnt);

  g_free (filler);
  g_free (location);
  g_free (mnt);
  g_free (keystore);
}

GST_END_TEST;

static Suite *
seecitvcryptsink_suite (void)
{
  Suite *s = suite_create ("seecitvcryptsink");
  TCase *tc = tcase_create ("general");

  preload_plugins ();

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_roundtrip);
  tcase_add_test (tc, test_refuse_overwrite);
  tcase_add_test (tc, test_tamper);
  tcase_add_test (tc, test_truncated);
  tcase_add_test (tc, test_wrong_keystore);
  tcase_add_test (tc, test_device_id);
  tcase_add_test (tc, test_passphrase);
  tcase_add_test (tc, test_sync_interval);
  tcase_add_test (tc, test_seal_on_stop);
  tcase_add_test (tc, test_splitmuxsink);
  tcase_add_test (tc, test_missing_settings);
  if (can_mount_tmpfs ()) {
    tcase_add_test (tc, test_no_space);
    tcase_add_test (tc, test_seal_on_stop_no_space);
  } else {
    g_print ("SKIP: test_no_space, test_seal_on_stop_no_space: cannot mount "
        "a tmpfs here (needs root); not run, not counted\n");
  }
  tcase_add_test (tc, test_decrypt_harness);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (seecitvcryptsink);
