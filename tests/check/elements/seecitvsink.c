/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Tests of seecitvsink: H.264 at 10 fps with a keyframe every second
 * (x264enc key-int-max=10) recorded with trigger=motion (motion events
 * injected at known running times), continuous (split clips: no frame lost
 * or duplicated) and manual (action signals); every clip is decrypted with
 * seecitvdecrypt and its frames' timestamps and keyframe flags checked.
 * A recording stopped without EOS leaves a sealed, final-named clip.
 * A keystore behind a passphrase (passphrase-file) records, indexes and
 * deletes keys like one with a master key file, and fails at start when
 * the passphrase is wrong or missing.
 * The pre-roll ring (gst-libs/seecitv/ring.c) is tested alone first.
 * Everything lives in a g_mkdtemp() directory removed at the end.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include <glib/gstdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/time.h>
#include <unistd.h>

#include <seecitv/crypto/clip.h>
#include <seecitv/crypto/keystore.h>
#include <seecitv/ring.h>
#include "seecitvsink-test.h"

#define FRAME (GST_SECOND / 10)

static gchar *tmpdir;
static gchar *clipdir;
static gchar *keystore;
/* Set by use_passphrase_keystore (): given to every seecitvsink,
 * seecitvdecrypt and keystore open. */
static gchar *passphrase_file;

/* The pipeline before seecitvsink, ending in an element named "parse"
 * (acts run on its source pad); %u is the number of frames. */
#define H264_HEAD "videotestsrc num-buffers=%u ! " \
    "video/x-raw,width=160,height=120,framerate=10/1 ! " \
    "x264enc speed-preset=ultrafast tune=zerolatency key-int-max=10 ! " \
    "h264parse name=parse"

/* Set by a test, reset by setup (). */
static const gchar *rec_head;
static const gchar *rec_device;
static gboolean allow_warnings;
static GstElement *rec_encoder;   /* encoder-element, owned */

/* seecitvsink's and splitmuxsink's debug log, kept in memory (per
 * thread, the last 256 KiB) and printed when a pipeline hangs: CI shows a
 * test's output only, and a hang seen once under load (test_motion_split
 * waiting 120 s for EOS) did not come back in 40 runs here. Not when
 * GST_DEBUG is set: then the log is where it says. */
#define HANG_LOG "seecitvsink*:6,splitmuxsink:5,seecitvcryptsink:5"

static gboolean hang_log;

static void
hang_log_start (void)
{
  hang_log = g_getenv ("GST_DEBUG") == NULL;
  if (!hang_log)
    return;
  gst_debug_remove_log_function (gst_debug_log_default);
  gst_debug_add_ring_buffer_logger (256 * 1024, 3600);
  gst_debug_set_threshold_from_string (HANG_LOG, TRUE);
}

static void
hang_log_print (void)
{
  gchar **logs;

  if (!hang_log)
    return;
  logs = gst_debug_ring_buffer_logger_get_logs ();
  g_printerr ("---- %s, the last of each thread's ----\n", HANG_LOG);
  for (guint i = 0; logs != NULL && logs[i] != NULL; i++) {
    const gchar *tail = logs[i];
    gsize len = strlen (tail);

    /* at most the last 16 KiB of each */
    if (len > 16 * 1024) {
      tail += len - 16 * 1024;
      tail = strchr (tail, '\n') ? strchr (tail, '\n') + 1 : tail;
    }
    g_printerr ("---- thread %u ----\n%s", i, tail);
  }
  g_strfreev (logs);
}

static void
setup (void)
{
  hang_log_start ();
  tmpdir = g_build_filename (g_get_tmp_dir (), "seecitvsink-XXXXXX", NULL);
  fail_unless (g_mkdtemp (tmpdir) != NULL);
  clipdir = g_build_filename (tmpdir, "clips", NULL);
  fail_unless_equals_int (g_mkdir (clipdir, 0700), 0);
  keystore = g_build_filename (tmpdir, "keys.db", NULL);
  make_keystore (keystore);
  rec_head = H264_HEAD;
  rec_device = "device-id=door";
  allow_warnings = FALSE;
  rec_encoder = NULL;
  passphrase_file = NULL;
}

static void
teardown (void)
{
  if (hang_log)
    gst_debug_remove_ring_buffer_logger ();
  gst_clear_object (&rec_encoder);
  test_remove_tree (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
  g_clear_pointer (&clipdir, g_free);
  g_clear_pointer (&keystore, g_free);
  g_clear_pointer (&passphrase_file, g_free);
}

/* ---- the ring alone ---- */

static guint ring_freed;

static void
ring_item_free (gpointer item)
{
  ring_freed++;
}

#define ITEM(n) GUINT_TO_POINTER ((n) + 1)

GST_START_TEST (test_ring)
{
  SeecitvRing *ring = seecitv_ring_new (ring_item_free);

  ring_freed = 0;
  /* A delta frame with no keyframe before it cannot be decoded. */
  seecitv_ring_push (ring, ITEM (0), 0, FALSE);
  fail_unless_equals_int (seecitv_ring_length (ring), 0);
  fail_unless_equals_int (ring_freed, 1);
  fail_unless_equals_uint64 (seecitv_ring_first_time (ring), G_MAXUINT64);

  /* GOPs at 10, 30 and 60. */
  seecitv_ring_push (ring, ITEM (1), 10, TRUE);
  seecitv_ring_push (ring, ITEM (2), 20, FALSE);
  seecitv_ring_push (ring, ITEM (3), 30, TRUE);
  seecitv_ring_push (ring, ITEM (4), 40, FALSE);
  seecitv_ring_push (ring, ITEM (5), 50, FALSE);
  seecitv_ring_push (ring, ITEM (6), 60, TRUE);
  fail_unless_equals_int (seecitv_ring_length (ring), 6);

  /* Nothing newer than the first keyframe is old enough: nothing goes. */
  seecitv_ring_trim (ring, 5);
  seecitv_ring_trim (ring, 29);
  fail_unless_equals_int (seecitv_ring_length (ring), 6);
  fail_unless_equals_uint64 (seecitv_ring_first_time (ring), 10);
  /* The newest keyframe at or before 30 (inclusive) becomes the first. */
  seecitv_ring_trim (ring, 30);
  fail_unless_equals_uint64 (seecitv_ring_first_time (ring), 30);
  fail_unless_equals_int (seecitv_ring_length (ring), 4);
  fail_unless_equals_int (ring_freed, 3);
  /* Between keyframes: the older GOP stays whole. */
  seecitv_ring_trim (ring, 59);
  fail_unless_equals_uint64 (seecitv_ring_first_time (ring), 30);
  /* Past the last keyframe: the last GOP stays. */
  seecitv_ring_trim (ring, 1000);
  fail_unless_equals_uint64 (seecitv_ring_first_time (ring), 60);
  fail_unless_equals_int (seecitv_ring_length (ring), 1);
  fail_unless_equals_int (ring_freed, 6);

  /* Popping hands items over in order, without freeing them. */
  seecitv_ring_push (ring, ITEM (7), 70, FALSE);
  fail_unless (seecitv_ring_pop (ring) == ITEM (6));
  fail_unless (seecitv_ring_pop (ring) == ITEM (7));
  fail_unless (seecitv_ring_pop (ring) == NULL);
  fail_unless_equals_int (ring_freed, 6);

  seecitv_ring_push (ring, ITEM (8), 80, TRUE);
  seecitv_ring_push (ring, ITEM (9), 90, FALSE);
  seecitv_ring_free (ring);
  fail_unless_equals_int (ring_freed, 8);
}

GST_END_TEST;

/* Many GOPs through the ring: the storage wraps around and grows while
 * its first entry is not at the start; order and ownership must hold. */
GST_START_TEST (test_ring_wrap)
{
  SeecitvRing *ring = seecitv_ring_new (ring_item_free);
  guint n = 0, i, oldest;

  ring_freed = 0;
  /* GOPs of 10 frames, 10 ns apart, trimmed to the last 25 ns. */
  for (; n < 1000; n++) {
    seecitv_ring_push (ring, ITEM (n), n * 10, n % 10 == 0);
    seecitv_ring_trim (ring, n * 10 > 250 ? n * 10 - 250 : 0);
    fail_unless (seecitv_ring_length (ring) <= 40);
  }
  oldest = seecitv_ring_first_time (ring) / 10;
  fail_unless_equals_int (oldest % 10, 0);
  fail_unless_equals_int (ring_freed, oldest);
  /* One long GOP: the ring grows past its oldest size. */
  for (i = 0; i < 300; i++, n++)
    seecitv_ring_push (ring, ITEM (n), n * 10, i == 0);
  fail_unless_equals_int (seecitv_ring_length (ring), n - oldest);
  for (i = oldest; i < n; i++)
    fail_unless (seecitv_ring_pop (ring) == ITEM (i));
  fail_unless (seecitv_ring_pop (ring) == NULL);
  fail_unless_equals_int (ring_freed, oldest);

  /* Cleared after growing, then used again. */
  for (i = 0; i < 300; i++)
    seecitv_ring_push (ring, ITEM (i), i, i % 100 == 0);
  seecitv_ring_clear (ring);
  fail_unless_equals_int (ring_freed, oldest + 300);
  fail_unless_equals_uint64 (seecitv_ring_first_time (ring), G_MAXUINT64);
  seecitv_ring_push (ring, ITEM (1), 1, TRUE);
  seecitv_ring_push (ring, ITEM (2), 2, FALSE);
  fail_unless_equals_int (seecitv_ring_length (ring), 2);
  seecitv_ring_free (ring);
  fail_unless_equals_int (ring_freed, oldest + 302);
}

GST_END_TEST;

/* ---- recording ---- */

typedef enum
{
  ACT_MOTION,
  ACT_SIGNAL,
} ActKind;

/* Before the frame with running time @at goes into seecitvsink: a motion event
 * (@active, @rt) or the action signal @signal. */
typedef struct
{
  GstClockTime at;
  ActKind kind;
  gboolean active;
  GstClockTime rt;
  const gchar *signal;
  gboolean done;
} Act;

typedef struct
{
  Act *acts;
  guint n_acts;
  GstElement *sink;
  guint frames;                 /* into seecitvsink */
} Inject;

static GstPadProbeReturn
inject_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Inject *inj = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstEvent *ev = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  const GstSegment *segment;
  GstClockTime rt;
  guint i;

  /* x264enc shifts timestamps (by 1000 h): acts are in running time. */
  fail_unless (ev != NULL);
  gst_event_parse_segment (ev, &segment);
  rt = gst_segment_to_running_time (segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  gst_event_unref (ev);
  fail_unless (GST_CLOCK_TIME_IS_VALID (rt));

  for (i = 0; i < inj->n_acts; i++) {
    Act *a = &inj->acts[i];

    if (a->done || rt < a->at)
      continue;
    a->done = TRUE;
    if (a->kind == ACT_MOTION) {
      GstPad *peer = gst_pad_get_peer (pad);
      GstStructure *s = gst_structure_new ("seecitv-motion",
          "active", G_TYPE_BOOLEAN, a->active,
          "running-time", G_TYPE_UINT64, (guint64) a->rt,
          "score", G_TYPE_DOUBLE, 0.5, NULL);

      fail_unless (gst_pad_send_event (peer,
              gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, s)));
      gst_object_unref (peer);
    } else {
      g_signal_emit_by_name (inj->sink, a->signal);
    }
  }
  GST_LOG ("frame %u: running time %" GST_TIME_FORMAT "%s", inj->frames,
      GST_TIME_ARGS (rt),
      GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT) ? "" : " key");
  inj->frames++;
  return GST_PAD_PROBE_OK;
}

typedef struct
{
  GPtrArray *opened;            /* seecitvsink-clip-opened structures */
  GPtrArray *closed;            /* seecitvsink-clip-closed structures */
  GPtrArray *deleted;           /* seecitvsink-deleted structures */
  guint crypt_closed;
  guint frames;
  guint warnings;               /* from seecitvsink, when allowed */
} Rec;

static void
rec_clear (Rec * r)
{
  g_clear_pointer (&r->opened, g_ptr_array_unref);
  g_clear_pointer (&r->closed, g_ptr_array_unref);
  g_clear_pointer (&r->deleted, g_ptr_array_unref);
}

static gint
compare_start (gconstpointer a, gconstpointer b)
{
  guint64 x = 0, y = 0;

  gst_structure_get_uint64 (*(GstStructure **) a, "start-running-time", &x);
  gst_structure_get_uint64 (*(GstStructure **) b, "start-running-time", &y);
  return x < y ? -1 : x > y;
}

/* Encodes @frames frames at 10 fps, keyframe every second, into a
 * seecitvsink with @props, running @acts on the way. */
static void
record (guint frames, const gchar * props, Act * acts, guint n_acts, Rec * r)
{
  gchar *head = g_strdup_printf (rec_head, frames);
  gchar *pass = passphrase_file ?
      g_strdup_printf ("passphrase-file=\"%s\"", passphrase_file) : NULL;
  gchar *desc = g_strdup_printf ("%s ! seecitvsink name=rec "
      "location=\"%s\" keystore=\"%s\" %s %s %s", head, clipdir, keystore,
      pass ? pass : "", rec_device, props);
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &err);
  GstElement *parse;
  GstPad *pad;
  GstBus *bus;
  Inject inj = { acts, n_acts, NULL, 0 };
  gboolean done = FALSE;

  fail_unless (pipeline != NULL, "%s: %s", desc, err ? err->message : "");
  memset (r, 0, sizeof (*r));
  r->opened = g_ptr_array_new_with_free_func
      ((GDestroyNotify) gst_structure_free);
  r->closed = g_ptr_array_new_with_free_func
      ((GDestroyNotify) gst_structure_free);
  r->deleted = g_ptr_array_new_with_free_func
      ((GDestroyNotify) gst_structure_free);

  inj.sink = gst_bin_get_by_name (GST_BIN (pipeline), "rec");
  if (rec_encoder != NULL)
    g_object_set (inj.sink, "encoder-element", rec_encoder, NULL);
  parse = gst_bin_get_by_name (GST_BIN (pipeline), "parse");
  pad = gst_element_get_static_pad (parse, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, inject_probe, &inj,
      NULL);
  gst_object_unref (pad);
  gst_object_unref (parse);

  bus = gst_element_get_bus (pipeline);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  while (!done) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING |
        GST_MESSAGE_ELEMENT);
    const GstStructure *s;

    if (msg == NULL)
      hang_log_print ();
    fail_unless (msg != NULL, "pipeline timed out");
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_EOS:
        done = TRUE;
        break;
      case GST_MESSAGE_WARNING:
        if (allow_warnings && GST_MESSAGE_SRC (msg) == GST_OBJECT (inj.sink)) {
          r->warnings++;
          break;
        }
        /* fall through */
      case GST_MESSAGE_ERROR:{
        GError *e = NULL;

        if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING)
          gst_message_parse_warning (msg, &e, NULL);
        else
          gst_message_parse_error (msg, &e, NULL);
        fail ("%s from %s: %s", GST_MESSAGE_TYPE_NAME (msg),
            GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
            e->message);
        break;
      }
      case GST_MESSAGE_ELEMENT:
        s = gst_message_get_structure (msg);
        if (gst_structure_has_name (s, "seecitvsink-clip-opened")) {
          fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (inj.sink));
          g_ptr_array_add (r->opened, gst_structure_copy (s));
        } else if (gst_structure_has_name (s, "seecitvsink-clip-closed")) {
          fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (inj.sink));
          g_ptr_array_add (r->closed, gst_structure_copy (s));
        } else if (gst_structure_has_name (s, "seecitvsink-deleted")) {
          fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (inj.sink));
          g_ptr_array_add (r->deleted, gst_structure_copy (s));
        } else if (gst_structure_has_name (s, "seecitvcryptsink-closed")) {
          r->crypt_closed++;
        }
        break;
      default:
        break;
    }
    gst_message_unref (msg);
  }
  {
    /* Still PLAYING: the trigger cannot change, and says so once. */
    gint before, after;
    const GstStructure *details = NULL;
    const gchar *prop;
    GstMessage *msg;

    g_object_get (inj.sink, "trigger", &before, NULL);
    g_object_set (inj.sink, "trigger", (before + 1) % 3, NULL);
    g_object_get (inj.sink, "trigger", &after, NULL);
    fail_unless_equals_int (after, before);
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
    fail_unless (msg != NULL);
    gst_message_parse_warning_details (msg, &details);
    fail_unless (details != NULL);
    prop = gst_structure_get_string (details, "property");
    fail_unless_equals_string (prop, "trigger");
    gst_message_unref (msg);
  }
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  /* Clips close in their own threads: in stream order for the checks. */
  g_ptr_array_sort (r->closed, compare_start);
  r->frames = inj.frames;
  for (guint i = 0; i < n_acts; i++)
    fail_unless (acts[i].done, "act %u never ran", i);

  gst_object_unref (bus);
  gst_object_unref (inj.sink);
  gst_object_unref (pipeline);
  g_free (desc);
  g_free (pass);
  g_free (head);
}

/* ---- playing back ---- */

typedef struct
{
  GArray *pts;                  /* GstClockTime */
  GArray *key;                  /* gboolean */
  gchar *profile;               /* the parser's caps `profile`, if any */
} Clip;

static void
clip_clear (Clip * c)
{
  g_clear_pointer (&c->pts, g_array_unref);
  g_clear_pointer (&c->key, g_array_unref);
  g_clear_pointer (&c->profile, g_free);
}

static GstPadProbeReturn
caps_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Clip *c = user_data;
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
  GstCaps *caps;

  if (GST_EVENT_TYPE (ev) == GST_EVENT_CAPS) {
    gst_event_parse_caps (ev, &caps);
    g_free (c->profile);
    c->profile = g_strdup (gst_structure_get_string
        (gst_caps_get_structure (caps, 0), "profile"));
  }
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
collect_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Clip *c = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTime pts = GST_BUFFER_PTS (buf);
  gboolean key = !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);

  g_array_append_val (c->pts, pts);
  g_array_append_val (c->key, key);
  return GST_PAD_PROBE_OK;
}

/* Decrypts and demuxes @path, collecting every frame after @parser. */
static void
play_with (const gchar * path, const gchar * parser, Clip * c)
{
  gchar *pass = passphrase_file ?
      g_strdup_printf ("passphrase-file=\"%s\"", passphrase_file) : NULL;
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! "
      "seecitvdecrypt keystore=\"%s\" %s ! matroskademux ! %s ! "
      "fakesink name=out", path, keystore, pass ? pass : "", parser);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *out;
  GstPad *pad;
  GstMessage *msg;
  GstBus *bus;

  fail_unless (pipeline != NULL);
  c->pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  c->key = g_array_new (FALSE, FALSE, sizeof (gboolean));
  c->profile = NULL;
  out = gst_bin_get_by_name (GST_BIN (pipeline), "out");
  pad = gst_element_get_static_pad (out, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, collect_probe, c, NULL);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, caps_probe, c,
      NULL);
  gst_object_unref (pad);
  gst_object_unref (out);

  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "playback timed out");
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_free (desc);
  g_free (pass);
}

/* Decrypts and demuxes @path, collecting every H.264 frame. */
static void
play (const gchar * path, Clip * c)
{
  play_with (path, "h264parse", c);
}

#define PTS(c, i) g_array_index ((c)->pts, GstClockTime, (i))
#define KEY(c, i) g_array_index ((c)->key, gboolean, (i))

/* Every frame FRAME after the one before: nothing missing inside. */
static void
check_contiguous (Clip * c)
{
  guint i;

  fail_unless (c->pts->len > 0);
  fail_unless (KEY (c, 0), "clip does not start on a keyframe");
  for (i = 1; i < c->pts->len; i++)
    fail_unless_equals_uint64 (PTS (c, i) - PTS (c, i - 1), FRAME);
}

static guint
count_files (void)
{
  GDir *dir = g_dir_open (clipdir, 0, NULL);
  guint n = 0;

  fail_unless (dir != NULL);
  while (g_dir_read_name (dir) != NULL)
    n++;
  g_dir_close (dir);
  return n;
}

static const gchar *
clip_path (Rec * r, guint i)
{
  const GstStructure *s = g_ptr_array_index (r->closed, i);
  const gchar *path = gst_structure_get_string (s, "path");
  gchar *base;

  fail_unless (path != NULL);
  fail_unless (g_str_has_prefix (path, clipdir));
  base = g_path_get_basename (path);
  fail_unless (g_str_has_prefix (base, "door-"), "%s", base);
  fail_unless (g_str_has_suffix (base, ".seecitv"), "%s", base);
  g_free (base);
  fail_unless (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  return path;
}

/* ---- tests ---- */

GST_START_TEST (test_motion)
{
  const GstClockTime onset = 5 * GST_SECOND, end = 8 * GST_SECOND;
  const GstClockTime pre = 2 * GST_SECOND, post = GST_SECOND;
  /* The events arrive after their running times, as seecitvmotion's do
   * (it confirms motion over several frames). */
  Act acts[] = {
    {onset + 5 * FRAME, ACT_MOTION, TRUE, onset, NULL, FALSE},
    {end + 2 * FRAME, ACT_MOTION, FALSE, end, NULL, FALSE},
  };
  const GstStructure *closed;
  guint64 start_rt, end_rt, bytes;
  Clip c;
  Rec r;

  record (150, "trigger=motion pre-roll=2000000000 post-roll=1000000000",
      acts, G_N_ELEMENTS (acts), &r);
  fail_unless_equals_int (r.frames, 150);
  fail_unless_equals_int (r.opened->len, 1);
  fail_unless_equals_int (r.closed->len, 1);
  fail_unless_equals_int (r.crypt_closed, 1);
  fail_unless_equals_int (count_files (), 1);

  closed = g_ptr_array_index (r.closed, 0);
  fail_unless (gst_structure_get_uint64 (closed, "start-running-time",
          &start_rt));
  fail_unless (gst_structure_get_uint64 (closed, "end-running-time",
          &end_rt));
  fail_unless (gst_structure_get_uint64 (closed, "bytes", &bytes));
  fail_unless (bytes > 0);
  GST_INFO ("clip %" GST_TIME_FORMAT " - %" GST_TIME_FORMAT,
      GST_TIME_ARGS (start_rt), GST_TIME_ARGS (end_rt));
  fail_unless (start_rt <= onset - pre);
  fail_unless (start_rt > onset - pre - GST_SECOND);

  play (clip_path (&r, 0), &c);
  check_contiguous (&c);
  GST_INFO ("played %u frames, %" GST_TIME_FORMAT " - %" GST_TIME_FORMAT,
      c.pts->len, GST_TIME_ARGS (PTS (&c, 0)),
      GST_TIME_ARGS (PTS (&c, c.pts->len - 1)));
  /* The clip's timestamps are the stream's running times. */
  fail_unless (PTS (&c, 0) <= onset - pre);
  fail_unless (PTS (&c, 0) > onset - pre - GST_SECOND);
  fail_unless (PTS (&c, c.pts->len - 1) >= end + post);
  /* It ends on the GOP holding end + post-roll, not later. */
  fail_unless (PTS (&c, c.pts->len - 1) < end + post + GST_SECOND);
  fail_if (PTS (&c, c.pts->len - 1) == 150 * FRAME - FRAME);
  /* Exactly: keyframes every second, so from the keyframe at 3 s to the
   * last frame of the GOP holding 9 s, every frame once. */
  fail_unless_equals_uint64 (PTS (&c, 0), 3 * GST_SECOND);
  fail_unless_equals_uint64 (PTS (&c, c.pts->len - 1), 9900 * GST_MSECOND);
  fail_unless_equals_int (c.pts->len, 70);
  for (guint i = 0; i < c.pts->len; i++)
    fail_unless_equals_int (KEY (&c, i), PTS (&c, i) % GST_SECOND == 0);

  clip_clear (&c);
  rec_clear (&r);
}

GST_END_TEST;

GST_START_TEST (test_motion_late_event)
{
  /* The start event comes 2.5 s after the onset it reports (and after
   * more than pre-roll): the clip still reaches back from the onset. */
  Act acts[] = {
    {7500 * GST_MSECOND, ACT_MOTION, TRUE, 5 * GST_SECOND, NULL, FALSE},
    {8200 * GST_MSECOND, ACT_MOTION, FALSE, 8 * GST_SECOND, NULL, FALSE},
  };
  Clip c;
  Rec r;

  record (120, "trigger=motion pre-roll=2000000000 post-roll=0", acts,
      G_N_ELEMENTS (acts), &r);
  fail_unless_equals_int (r.closed->len, 1);
  play (clip_path (&r, 0), &c);
  check_contiguous (&c);
  fail_unless_equals_uint64 (PTS (&c, 0), 3 * GST_SECOND);
  fail_unless_equals_uint64 (PTS (&c, c.pts->len - 1), 8900 * GST_MSECOND);
  clip_clear (&c);
  rec_clear (&r);
}

GST_END_TEST;

GST_START_TEST (test_motion_two_clips)
{
  Act acts[] = {
    {3 * GST_SECOND, ACT_MOTION, TRUE, 3 * GST_SECOND, NULL, FALSE},
    {4 * GST_SECOND, ACT_MOTION, FALSE, 4 * GST_SECOND, NULL, FALSE},
    {10 * GST_SECOND, ACT_MOTION, TRUE, 10 * GST_SECOND, NULL, FALSE},
    {11 * GST_SECOND, ACT_MOTION, FALSE, 11 * GST_SECOND, NULL, FALSE},
  };
  Clip c0, c1;
  Rec r;

  record (150, "trigger=motion pre-roll=1000000000 post-roll=500000000",
      acts, G_N_ELEMENTS (acts), &r);
  fail_unless_equals_int (r.closed->len, 2);
  fail_unless_equals_int (count_files (), 2);
  play (clip_path (&r, 0), &c0);
  play (clip_path (&r, 1), &c1);
  check_contiguous (&c0);
  check_contiguous (&c1);
  fail_unless_equals_uint64 (PTS (&c0, 0), 2 * GST_SECOND);
  fail_unless (PTS (&c0, c0.pts->len - 1) >= 4500 * GST_MSECOND);
  fail_unless_equals_uint64 (PTS (&c1, 0), 9 * GST_SECOND);
  fail_unless (PTS (&c1, c1.pts->len - 1) >= 11500 * GST_MSECOND);
  fail_unless (PTS (&c1, c1.pts->len - 1) < 13 * GST_SECOND);
  clip_clear (&c0);
  clip_clear (&c1);
  rec_clear (&r);
}

GST_END_TEST;

GST_START_TEST (test_no_motion_no_clip)
{
  Rec r;

  record (60, "trigger=motion", NULL, 0, &r);
  fail_unless_equals_int (r.frames, 60);
  fail_unless_equals_int (r.opened->len, 0);
  fail_unless_equals_int (r.closed->len, 0);
  fail_unless_equals_int (count_files (), 0);
  rec_clear (&r);
}

GST_END_TEST;

GST_START_TEST (test_continuous)
{
  guint i, total = 0;
  GstClockTime next = 0;
  Rec r;

  record (55, "trigger=continuous max-clip-duration=2000000000", NULL, 0,
      &r);
  fail_unless_equals_int (r.frames, 55);
  fail_unless_equals_int (r.closed->len, 3);
  fail_unless_equals_int (r.opened->len, 3);
  fail_unless_equals_int (count_files (), 3);
  for (i = 0; i < r.closed->len; i++) {
    Clip c;

    play (clip_path (&r, i), &c);
    check_contiguous (&c);
    /* Each clip starts where the previous one ended. */
    fail_unless_equals_uint64 (PTS (&c, 0), next);
    next = PTS (&c, c.pts->len - 1) + FRAME;
    if (i + 1 < r.closed->len)
      fail_unless_equals_int (c.pts->len, 20);
    total += c.pts->len;
    clip_clear (&c);
  }
  /* Nothing lost, nothing duplicated. */
  fail_unless_equals_int (total, 55);
  rec_clear (&r);
}

GST_END_TEST;

GST_START_TEST (test_manual)
{
  /* start before the frame at 4 s (newest frame 3.9 s): pre-roll 1 s
   * reaches back to 2.9 s, so the clip starts on the keyframe at 2 s;
   * stop before the frame at 7 s (newest 6.9 s), no post-roll: the clip
   * ends with the GOP holding 6.9 s. A motion event is ignored. */
  Act acts[] = {
    {GST_SECOND, ACT_MOTION, TRUE, GST_SECOND, NULL, FALSE},
    {4 * GST_SECOND, ACT_SIGNAL, FALSE, 0, "start", FALSE},
    {7 * GST_SECOND, ACT_SIGNAL, FALSE, 0, "stop", FALSE},
  };
  Clip c;
  Rec r;

  record (100, "trigger=manual pre-roll=1000000000 post-roll=0", acts,
      G_N_ELEMENTS (acts), &r);
  fail_unless_equals_int (r.closed->len, 1);
  fail_unless_equals_int (count_files (), 1);
  play (clip_path (&r, 0), &c);
  check_contiguous (&c);
  fail_unless_equals_uint64 (PTS (&c, 0), 2 * GST_SECOND);
  fail_unless_equals_uint64 (PTS (&c, c.pts->len - 1), 6900 * GST_MSECOND);
  fail_unless_equals_int (c.pts->len, 50);
  clip_clear (&c);
  rec_clear (&r);
}

GST_END_TEST;


/* ---- files, keys, retention ---- */

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar **) a, *(const gchar **) b);
}

/* The finished clips in @dir, by name (their names start with the time
 * they opened); fails on any other file but the temporary ones when
 * @allow_temp. */
static GPtrArray *
list_clips (const gchar * dir, gboolean allow_temp)
{
  GPtrArray *clips = g_ptr_array_new_with_free_func (g_free);
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  fail_unless (d != NULL);
  while ((name = g_dir_read_name (d)) != NULL) {
    if (name[0] == '.') {
      fail_unless (allow_temp, "temporary file left: %s", name);
      fail_unless (g_str_has_suffix (name, ".seecitv.part"), "%s", name);
      continue;
    }
    fail_unless (g_str_has_suffix (name, ".seecitv"), "%s", name);
    g_ptr_array_add (clips, g_build_filename (dir, name, NULL));
  }
  g_dir_close (d);
  g_ptr_array_sort (clips, compare_strings);
  return clips;
}

static void
set_age (const gchar * path, gint64 seconds)
{
  struct timeval tv[2];

  tv[0].tv_sec = tv[1].tv_sec = time (NULL) - seconds;
  tv[0].tv_usec = tv[1].tv_usec = 0;
  fail_unless_equals_int (utimes (path, tv), 0);
}

static GBytes *
clip_id_of (const gchar * path)
{
  SeecitvClipHeader header;
  gchar *data = NULL;
  gsize len = 0;
  GBytes *id;

  fail_unless (g_file_get_contents (path, &data, &len, NULL), "%s", path);
  fail_unless (seecitv_clip_header_parse ((guint8 *) data, len, &header,
          NULL));
  id = g_bytes_new (header.ids.clip_id, SEECITV_CLIP_ID_SIZE);
  g_free (data);
  return id;
}

/* The index path of clip @id, or NULL if its key is gone. */
static gchar *
indexed_path (GBytes * id)
{
  SeecitvKeystore *ks = seecitv_keystore_open_default (keystore,
      passphrase_file, NULL);
  GPtrArray *clips;
  gchar *path = NULL;
  guint i;

  fail_unless (ks != NULL);
  clips = seecitv_keystore_list_clips (ks, NULL);
  for (i = 0; i < clips->len; i++) {
    SeecitvKeystoreClipInfo *c = clips->pdata[i];

    if (memcmp (c->ids.clip_id, g_bytes_get_data (id, NULL),
            SEECITV_CLIP_ID_SIZE) == 0)
      path = g_strdup (c->path);
  }
  g_ptr_array_unref (clips);
  seecitv_keystore_free (ks);
  return path;
}

static gboolean
was_deleted (Rec * r, const gchar * path, const gchar * reason)
{
  guint i;

  for (i = 0; i < r->deleted->len; i++) {
    const GstStructure *s = g_ptr_array_index (r->deleted, i);

    if (g_strcmp0 (gst_structure_get_string (s, "path"), path) == 0)
      return g_strcmp0 (gst_structure_get_string (s, "reason"), reason) == 0;
  }
  return FALSE;
}

/* Records @n clips of 1 s (continuous) and returns them by name. */
static GPtrArray *
record_clips (guint n)
{
  GPtrArray *clips;
  Rec r;

  record (n * 10, "trigger=continuous max-clip-duration=1000000000", NULL, 0,
      &r);
  fail_unless_equals_int (r.closed->len, n);
  rec_clear (&r);
  clips = list_clips (clipdir, FALSE);
  fail_unless_equals_int (clips->len, n);
  return clips;
}

/* Clips are written under dot names and renamed when complete; the
 * keystore's index follows the final names. */
GST_START_TEST (test_final_names)
{
  GPtrArray *clips;
  guint i;
  Rec r;

  record (25, "trigger=continuous max-clip-duration=1000000000", NULL, 0,
      &r);
  clips = list_clips (clipdir, FALSE);
  fail_unless_equals_int (clips->len, 3);
  for (i = 0; i < r.opened->len; i++) {
    const GstStructure *o = g_ptr_array_index (r.opened, i);
    const GstStructure *c = g_ptr_array_index (r.closed, i);
    GBytes *id = clip_id_of (g_ptr_array_index (clips, i));
    gchar *indexed = indexed_path (id);

    /* opened and closed name the same final file */
    fail_unless_equals_string (gst_structure_get_string (o, "path"),
        gst_structure_get_string (c, "path"));
    fail_unless_equals_string (gst_structure_get_string (c, "path"),
        g_ptr_array_index (clips, i));
    fail_unless_equals_string (indexed, g_ptr_array_index (clips, i));
    g_free (indexed);
    g_bytes_unref (id);
  }
  g_ptr_array_unref (clips);
  rec_clear (&r);
}

GST_END_TEST;

/* What the bus said while a pipeline went to NULL (which flushes it). */
typedef struct
{
  GMutex lock;
  GCond cond;
  guint frames;                 /* out of the parser */
  gboolean blocked;             /* the parser is held at frame 30 */
  guint muxed;                  /* buffers into the clip's muxer */
  GPtrArray *closed;            /* seecitvsink-clip-closed structures */
  guint crypt_closed;
  guint problems;               /* warnings and errors */
} Stopped;

static GstPadProbeReturn
hold_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Stopped *st = user_data;
  GstPadProbeReturn ret = GST_PAD_PROBE_PASS;

  g_mutex_lock (&st->lock);
  if (st->frames < 30)
    st->frames++;
  else {
    /* Held (until the pad is deactivated): no EOS ever comes. */
    st->blocked = TRUE;
    g_cond_signal (&st->cond);
    ret = GST_PAD_PROBE_OK;
  }
  g_mutex_unlock (&st->lock);
  return ret;
}

static GstPadProbeReturn
muxed_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Stopped *st = user_data;

  g_mutex_lock (&st->lock);
  st->muxed++;
  g_cond_signal (&st->cond);
  g_mutex_unlock (&st->lock);
  return GST_PAD_PROBE_OK;
}

static void
mux_pad_added (GstElement * mux, GstPad * pad, gpointer user_data)
{
  if (GST_PAD_IS_SINK (pad))
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, muxed_probe,
        user_data, NULL);
}

/* Counts what reaches the muxer splitmuxsink makes inside seecitvsink. */
static void
stopped_element_added (GstBin * pipeline, GstBin * bin, GstElement * e,
    gpointer user_data)
{
  GstElementFactory *f = gst_element_get_factory (e);
  const gchar *klass = f ? gst_element_factory_get_metadata (f,
      GST_ELEMENT_METADATA_KLASS) : NULL;

  if (klass && strstr (klass, "Muxer"))
    g_signal_connect (e, "pad-added", G_CALLBACK (mux_pad_added), user_data);
}

static GstBusSyncReply
stopped_sync (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Stopped *st = user_data;
  const GstStructure *s = gst_message_get_structure (msg);

  g_mutex_lock (&st->lock);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING ||
      GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *e = NULL;

    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING)
      gst_message_parse_warning (msg, &e, NULL);
    else
      gst_message_parse_error (msg, &e, NULL);
    GST_ERROR ("%s from %s: %s", GST_MESSAGE_TYPE_NAME (msg),
        GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), e->message);
    g_clear_error (&e);
    st->problems++;
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT) {
    if (gst_structure_has_name (s, "seecitvsink-clip-closed"))
      g_ptr_array_add (st->closed, gst_structure_copy (s));
    else if (gst_structure_has_name (s, "seecitvcryptsink-closed"))
      st->crypt_closed++;
  }
  g_mutex_unlock (&st->lock);
  return GST_BUS_PASS;
}

/* A recording set to NULL mid-clip, without EOS (an application stopping
 * its pipeline, gst-launch-1.0 interrupted without -e): the clip is
 * sealed complete (seecitvdecrypt calls it neither truncated nor
 * tampered), has its final name, is indexed under it with its end time,
 * and is announced once. */
GST_START_TEST (test_stop_without_eos)
{
  gchar *head = g_strdup_printf (rec_head, 100000);
  gchar *desc = g_strdup_printf ("%s ! seecitvsink location=\"%s\" "
      "keystore=\"%s\" %s trigger=continuous", head, clipdir, keystore,
      rec_device);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *parse;
  GPtrArray *clips;
  GBytes *id;
  GstBus *bus;
  GstPad *pad;
  Stopped st;
  gchar *indexed;
  gint64 end_time = 0, deadline;
  guint64 bytes = 0;
  Clip c;

  fail_unless (pipeline != NULL);
  memset (&st, 0, sizeof (st));
  g_mutex_init (&st.lock);
  g_cond_init (&st.cond);
  st.closed = g_ptr_array_new_with_free_func
      ((GDestroyNotify) gst_structure_free);
  parse = gst_bin_get_by_name (GST_BIN (pipeline), "parse");
  pad = gst_element_get_static_pad (parse, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER,
      hold_probe, &st, NULL);
  gst_object_unref (pad);
  gst_object_unref (parse);
  g_signal_connect (pipeline, "deep-element-added",
      G_CALLBACK (stopped_element_added), &st);
  bus = gst_element_get_bus (pipeline);
  gst_bus_set_sync_handler (bus, stopped_sync, &st, NULL);

  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  /* Let the 30 frames reach the clip's muxer (not required: what is not
   * written yet is simply not in the clip, but the clip is checked below
   * for them). Waited for, not slept on: a loaded machine under ASan took
   * longer than a fixed 200 ms. */
  deadline = g_get_monotonic_time () + 120 * G_TIME_SPAN_SECOND;
  g_mutex_lock (&st.lock);
  while (!st.blocked || st.muxed < 30) {
    if (!g_cond_wait_until (&st.cond, &st.lock, deadline))
      break;
  }
  fail_unless (st.blocked && st.muxed >= 30, "%u frames muxed", st.muxed);
  g_mutex_unlock (&st.lock);
  /* the muxer's write of the last one */
  g_usleep (200 * 1000);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);

  fail_unless_equals_int (st.problems, 0);
  fail_unless_equals_int (st.crypt_closed, 1);
  fail_unless_equals_int (st.closed->len, 1);
  /* the final name, no temporary file left */
  clips = list_clips (clipdir, FALSE);
  fail_unless_equals_int (clips->len, 1);
  fail_unless_equals_string (gst_structure_get_string (g_ptr_array_index
          (st.closed, 0), "path"), g_ptr_array_index (clips, 0));
  fail_unless (gst_structure_get_uint64 (g_ptr_array_index (st.closed, 0),
          "bytes", &bytes));
  fail_unless (bytes > 0);

  /* complete: play () fails on seecitvdecrypt's truncation warning */
  play (g_ptr_array_index (clips, 0), &c);
  check_contiguous (&c);
  fail_unless_equals_uint64 (PTS (&c, 0), 0);
  fail_unless (c.pts->len >= 10 && c.pts->len <= 30, "%u frames",
      c.pts->len);
  clip_clear (&c);

  /* indexed under its final name, with its end time */
  id = clip_id_of (g_ptr_array_index (clips, 0));
  indexed = indexed_path (id);
  fail_unless_equals_string (indexed, g_ptr_array_index (clips, 0));
  {
    SeecitvKeystore *ks = seecitv_keystore_open_default (keystore, NULL,
        NULL);
    GPtrArray *list;

    fail_unless (ks != NULL);
    list = seecitv_keystore_list_clips (ks, NULL);
    fail_unless_equals_int (list->len, 1);
    end_time = ((SeecitvKeystoreClipInfo *) list->pdata[0])->end_time;
    fail_unless (end_time >=
        ((SeecitvKeystoreClipInfo *) list->pdata[0])->start_time);
    g_ptr_array_unref (list);
    seecitv_keystore_free (ks);
  }
  fail_unless (end_time > 0);

  g_free (indexed);
  g_bytes_unref (id);
  g_ptr_array_unref (clips);
  g_ptr_array_unref (st.closed);
  g_mutex_clear (&st.lock);
  g_cond_clear (&st.cond);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_free (desc);
  g_free (head);
}

GST_END_TEST;

GST_START_TEST (test_retention_age)
{
  GPtrArray *old = record_clips (4), *now;
  gchar *stale, *recent, *live;
  int live_fd;
  GBytes *ids[4];
  guint i;
  Rec r;

  /* 3 h, 2 h, 59 min and 1 min old; retention 1 h. */
  set_age (g_ptr_array_index (old, 0), 3 * 3600);
  set_age (g_ptr_array_index (old, 1), 2 * 3600);
  set_age (g_ptr_array_index (old, 2), 59 * 60);
  set_age (g_ptr_array_index (old, 3), 60);
  for (i = 0; i < 4; i++)
    ids[i] = clip_id_of (g_ptr_array_index (old, i));
  /* Temporary files a crash left are recovered at start (final names,
   * their age kept): then 2 h untouched goes, 30 min stays. */
  stale = g_build_filename (clipdir, ".door-stale.seecitv.part", NULL);
  recent = g_build_filename (clipdir, ".door-recent.seecitv.part", NULL);
  fail_unless (g_file_set_contents (stale, "cut", -1, NULL));
  fail_unless (g_file_set_contents (recent, "cut", -1, NULL));
  set_age (stale, 2 * 3600);
  set_age (recent, 30 * 60);
  g_free (stale);
  g_free (recent);
  stale = g_build_filename (clipdir, "door-stale.seecitv", NULL);
  recent = g_build_filename (clipdir, "door-recent.seecitv", NULL);
  /* Another live writer's open clip (it holds it locked), 2 h old: neither
   * recovered nor deleted. */
  live = g_build_filename (clipdir, ".door-live.seecitv.part", NULL);
  fail_unless (g_file_set_contents (live, "open", -1, NULL));
  set_age (live, 2 * 3600);
  live_fd = g_open (live, O_RDONLY, 0);
  fail_unless (live_fd >= 0);
  fail_unless_equals_int (flock (live_fd, LOCK_EX), 0);

  record (25, "trigger=continuous max-clip-duration=1000000000 "
      "retention=3600000000000", NULL, 0, &r);
  fail_unless_equals_int (r.closed->len, 3);
  fail_unless_equals_int (r.deleted->len, 3);
  fail_unless (was_deleted (&r, g_ptr_array_index (old, 0), "retention"));
  fail_unless (was_deleted (&r, g_ptr_array_index (old, 1), "retention"));
  fail_unless (was_deleted (&r, stale, "retention"));
  fail_if (g_file_test (stale, G_FILE_TEST_EXISTS));
  fail_unless (g_file_test (recent, G_FILE_TEST_EXISTS));
  g_unlink (recent);
  fail_unless (g_file_test (live, G_FILE_TEST_IS_REGULAR), "%s", live);
  close (live_fd);
  g_unlink (live);
  g_free (live);

  now = list_clips (clipdir, FALSE);
  fail_unless_equals_int (now->len, 2 + 3);
  for (i = 0; i < 4; i++) {
    const gchar *path = g_ptr_array_index (old, i);
    gchar *indexed = indexed_path (ids[i]);

    if (i < 2) {
      /* key and file gone */
      fail_if (g_file_test (path, G_FILE_TEST_EXISTS), "%s", path);
      fail_unless (indexed == NULL, "key of %s still there", path);
    } else {
      fail_unless (g_file_test (path, G_FILE_TEST_EXISTS), "%s", path);
      fail_unless_equals_string (indexed, path);
    }
    g_free (indexed);
    g_bytes_unref (ids[i]);
  }
  g_ptr_array_unref (now);
  g_ptr_array_unref (old);
  g_free (stale);
  g_free (recent);
  rec_clear (&r);
}

GST_END_TEST;

static guint64
file_size (const gchar * path)
{
  GStatBuf st;

  fail_unless_equals_int (g_stat (path, &st), 0);
  return st.st_size;
}

GST_START_TEST (test_retention_size)
{
  GPtrArray *old = record_clips (4), *now;
  guint64 size[4], limit;
  GBytes *ids[4];
  gchar *props;
  guint i;
  Rec r;

  for (i = 0; i < 4; i++) {
    set_age (g_ptr_array_index (old, i), (4 - i) * 600);
    size[i] = file_size (g_ptr_array_index (old, i));
    ids[i] = clip_id_of (g_ptr_array_index (old, i));
  }
  /* One byte short of the three newest: the two oldest must go. */
  limit = size[1] + size[2] + size[3] - 1;
  fail_unless (size[2] + size[3] <= limit);
  props = g_strdup_printf ("trigger=motion max-size=%" G_GUINT64_FORMAT,
      limit);
  record (20, props, NULL, 0, &r);
  fail_unless_equals_int (r.closed->len, 0);
  fail_unless_equals_int (r.deleted->len, 2);
  fail_unless (was_deleted (&r, g_ptr_array_index (old, 0), "max-size"));
  fail_unless (was_deleted (&r, g_ptr_array_index (old, 1), "max-size"));
  now = list_clips (clipdir, FALSE);
  fail_unless_equals_int (now->len, 2);
  fail_unless_equals_string (g_ptr_array_index (now, 0),
      g_ptr_array_index (old, 2));
  for (i = 0; i < 4; i++) {
    gchar *indexed = indexed_path (ids[i]);

    fail_unless ((indexed == NULL) == (i < 2), "clip %u", i);
    g_free (indexed);
    g_bytes_unref (ids[i]);
  }
  g_ptr_array_unref (now);
  g_free (props);
  rec_clear (&r);

  /* While recording: each closed clip is checked; the newest stays even
   * when it alone is over the limit. */
  record (35, "trigger=continuous max-clip-duration=1000000000 max-size=1",
      NULL, 0, &r);
  fail_unless_equals_int (r.closed->len, 4);
  now = list_clips (clipdir, FALSE);
  fail_unless_equals_int (now->len, 1);
  fail_unless_equals_string (g_ptr_array_index (now, 0),
      gst_structure_get_string (g_ptr_array_index (r.closed, 3), "path"));
  /* the two old ones and the first three new ones */
  fail_unless_equals_int (r.deleted->len, 5);
  for (i = 0; i < 3; i++)
    fail_unless (was_deleted (&r, gst_structure_get_string
            (g_ptr_array_index (r.closed, i), "path"), "max-size"));
  g_ptr_array_unref (now);
  g_ptr_array_unref (old);
  rec_clear (&r);
}

GST_END_TEST;

/* ---- codecs, raw input, device id ---- */

/* Records 25 frames continuously in 1 s clips from @head, then plays every
 * clip back through @parser: all frames, in order, none twice. */
static void
check_codec (const gchar * head, const gchar * parser)
{
  GstClockTime next = 0;
  guint i, total = 0;
  Rec r;

  rec_head = head;
  record (25, "trigger=continuous max-clip-duration=1000000000", NULL, 0,
      &r);
  fail_unless (r.closed->len >= 2, "%u clips", r.closed->len);
  for (i = 0; i < r.closed->len; i++) {
    Clip c;

    play_with (clip_path (&r, i), parser, &c);
    check_contiguous (&c);
    fail_unless_equals_uint64 (PTS (&c, 0), next);
    next = PTS (&c, c.pts->len - 1) + FRAME;
    total += c.pts->len;
    clip_clear (&c);
  }
  fail_unless_equals_int (total, 25);
  rec_clear (&r);
}

#define RAW_HEAD "videotestsrc num-buffers=%u ! " \
    "video/x-raw,width=160,height=120,framerate=10/1"

GST_START_TEST (test_codec_h265)
{
  check_codec (RAW_HEAD " ! x265enc speed-preset=ultrafast "
      "tune=zerolatency key-int-max=10 ! h265parse name=parse", "h265parse");
}

GST_END_TEST;

GST_START_TEST (test_codec_jpeg)
{
  check_codec (RAW_HEAD " ! jpegenc name=parse", "jpegparse");
}

GST_END_TEST;

GST_START_TEST (test_codec_vp8)
{
  check_codec (RAW_HEAD " ! vp8enc deadline=1 keyframe-max-dist=10 "
      "name=parse", "identity");
}

GST_END_TEST;

GST_START_TEST (test_codec_vp9)
{
  check_codec (RAW_HEAD " ! vp9enc deadline=1 keyframe-max-dist=10 "
      "name=parse", "identity");
}

GST_END_TEST;

/* Raw input, encoded inside; the motion event goes through the encoder
 * and is still taken at its running time. */
GST_START_TEST (test_raw_input)
{
  Act acts[] = {
    {3 * GST_SECOND, ACT_MOTION, TRUE, 3 * GST_SECOND, NULL, FALSE},
    {5 * GST_SECOND, ACT_MOTION, FALSE, 5 * GST_SECOND, NULL, FALSE},
  };
  Clip c;
  Rec r;

  rec_head = RAW_HEAD " ! identity name=parse";
  record (90, "trigger=motion pre-roll=1000000000 post-roll=0 "
      "encoder=\"x264enc speed-preset=ultrafast tune=zerolatency "
      "key-int-max=10\"", acts, G_N_ELEMENTS (acts), &r);
  fail_unless_equals_int (r.closed->len, 1);
  play (clip_path (&r, 0), &c);
  check_contiguous (&c);
  fail_unless_equals_uint64 (PTS (&c, 0), 2 * GST_SECOND);
  fail_unless_equals_uint64 (PTS (&c, c.pts->len - 1), 5900 * GST_MSECOND);
  clip_clear (&c);
  rec_clear (&r);
}

GST_END_TEST;

/* Raw input with the default encoder (x264enc here), from videotestsrc
 * in its own preferred format (not 4:2:0): recorded in 4:2:0 all the
 * same, which browsers and hardware decoders play (x264enc alone takes
 * 4:4:4 and makes High 4:4:4). */
GST_START_TEST (test_raw_default_encoder)
{
  Clip c;
  Rec r;

  rec_head = RAW_HEAD " ! identity name=parse";
  record (20, "trigger=continuous", NULL, 0, &r);
  fail_unless_equals_int (r.closed->len, 1);
  play (clip_path (&r, 0), &c);
  check_contiguous (&c);
  fail_unless_equals_int (c.pts->len, 20);
  fail_unless (c.profile != NULL);
  fail_unless (strstr (c.profile, "4:4:4") == NULL &&
      strstr (c.profile, "4:2:2") == NULL, "profile %s", c.profile);
  clip_clear (&c);
  rec_clear (&r);
}

GST_END_TEST;

/* Raw input with an encoder element given by the application (VP8: no
 * parser behind it). */
GST_START_TEST (test_raw_encoder_element)
{
  Clip c;
  Rec r;

  rec_encoder = gst_object_ref_sink (gst_element_factory_make ("vp8enc",
          NULL));
  fail_unless (rec_encoder != NULL);
  g_object_set (rec_encoder, "deadline", (gint64) 1, "keyframe-max-dist",
      10, NULL);
  rec_head = RAW_HEAD " ! identity name=parse";
  record (25, "trigger=continuous max-clip-duration=1000000000", NULL, 0,
      &r);
  fail_unless_equals_int (r.closed->len, 3);
  play_with (clip_path (&r, 0), "capsfilter caps=video/x-vp8", &c);
  check_contiguous (&c);
  fail_unless_equals_int (c.pts->len, 10);
  clip_clear (&c);
  rec_clear (&r);
}

GST_END_TEST;

static gchar *
clip_device (const gchar * path)
{
  SeecitvKeystore *ks = seecitv_keystore_open_default (keystore,
      passphrase_file, NULL);
  GBytes *id = clip_id_of (path);
  GPtrArray *clips;
  gchar *device = NULL;
  guint i;

  fail_unless (ks != NULL);
  clips = seecitv_keystore_list_clips (ks, NULL);
  for (i = 0; i < clips->len; i++) {
    SeecitvKeystoreClipInfo *ci = clips->pdata[i];

    if (memcmp (ci->ids.clip_id, g_bytes_get_data (id, NULL),
            SEECITV_CLIP_ID_SIZE) == 0)
      device = g_strdup (ci->device_id);
  }
  g_ptr_array_unref (clips);
  seecitv_keystore_free (ks);
  g_bytes_unref (id);
  return device;
}

/* The device id comes from the upstream seecitv-device-id tag unless the
 * property is set; an invalid tag is refused with one warning. */
GST_START_TEST (test_device_id_tag)
{
  GPtrArray *clips;
  gchar *base, *device;
  Rec r;

  gst_tag_register ("seecitv-device-id", GST_TAG_FLAG_META, G_TYPE_STRING,
      "seecitv device id", "The seecitv device the stream came from", NULL);
  rec_head = H264_HEAD " ! taginject tags=\"seecitv-device-id=cam-tag\"";
  rec_device = "";
  record (10, "trigger=continuous", NULL, 0, &r);
  fail_unless_equals_int (r.closed->len, 1);
  rec_clear (&r);
  clips = list_clips (clipdir, FALSE);
  fail_unless_equals_int (clips->len, 1);
  base = g_path_get_basename (g_ptr_array_index (clips, 0));
  fail_unless (g_str_has_prefix (base, "cam-tag-"), "%s", base);
  device = clip_device (g_ptr_array_index (clips, 0));
  fail_unless_equals_string (device, "cam-tag");
  g_free (device);
  g_free (base);
  g_unlink (g_ptr_array_index (clips, 0));
  g_ptr_array_unref (clips);

  /* the property wins */
  rec_device = "device-id=door";
  record (10, "trigger=continuous", NULL, 0, &r);
  fail_unless_equals_int (r.closed->len, 1);
  device = clip_device (clip_path (&r, 0));
  fail_unless_equals_string (device, "door");
  g_free (device);
  g_unlink (clip_path (&r, 0));
  rec_clear (&r);

  /* a tag that could be a path: one warning, "default" */
  rec_head = H264_HEAD " ! taginject tags=\"seecitv-device-id=../x\"";
  rec_device = "";
  allow_warnings = TRUE;
  record (10, "trigger=continuous", NULL, 0, &r);
  fail_unless_equals_int (r.warnings, 1);
  fail_unless_equals_int (r.closed->len, 1);
  base = g_path_get_basename (gst_structure_get_string
      (g_ptr_array_index (r.closed, 0), "path"));
  fail_unless (g_str_has_prefix (base, "default-"), "%s", base);
  g_free (base);
  rec_clear (&r);
}

GST_END_TEST;

/* Motion clips split at max-clip-duration: consecutive clips meet
 * exactly, the first starts with pre-roll, the last holds post-roll. */
GST_START_TEST (test_motion_split)
{
  Act acts[] = {
    {4 * GST_SECOND, ACT_MOTION, TRUE, 4 * GST_SECOND, NULL, FALSE},
    {11 * GST_SECOND, ACT_MOTION, FALSE, 11 * GST_SECOND, NULL, FALSE},
  };
  GstClockTime next = 3 * GST_SECOND, last = 0;
  guint i, total = 0;
  Rec r;

  record (150, "trigger=motion pre-roll=1000000000 post-roll=1000000000 "
      "max-clip-duration=3000000000", acts, G_N_ELEMENTS (acts), &r);
  fail_unless (r.closed->len >= 3, "%u clips", r.closed->len);
  for (i = 0; i < r.closed->len; i++) {
    Clip c;

    play (clip_path (&r, i), &c);
    check_contiguous (&c);
    fail_unless_equals_uint64 (PTS (&c, 0), next);
    next = PTS (&c, c.pts->len - 1) + FRAME;
    last = PTS (&c, c.pts->len - 1);
    total += c.pts->len;
    clip_clear (&c);
  }
  fail_unless (last >= 12 * GST_SECOND);
  fail_unless (last < 13 * GST_SECOND);
  /* from 3 s to the end of the GOP holding 12 s */
  fail_unless_equals_int (total, (last - 3 * GST_SECOND) / FRAME + 1);
  rec_clear (&r);
}

GST_END_TEST;

/* ---- a keystore behind a passphrase ---- */

#define PASSPHRASE "correct horse battery"
#define WRONG_PASSPHRASE "wrong horse battery"

/* Writes @text and a newline to the passphrase file, mode @mode. */
static void
write_passphrase (const gchar * text, int mode)
{
  gchar *line = g_strconcat (text, "\n", NULL);

  g_unlink (passphrase_file);
  fail_unless (g_file_set_contents (passphrase_file, line, -1, NULL));
  fail_unless_equals_int (g_chmod (passphrase_file, mode), 0);
  g_free (line);
}

/* Replaces the keystore with one protected by PASSPHRASE (cheap scrypt:
 * the test is about seecitvsink), with no master key file beside it, and
 * hands the passphrase file to everything that opens it from now on. */
static void
use_passphrase_keystore (void)
{
  SeecitvKeystoreKdfParams cheap = { 10, 8, 1 };
  gchar *key_path = seecitv_keystore_default_key_path (keystore);
  SeecitvKeystore *ks;
  GError *err = NULL;

  g_unlink (keystore);
  g_unlink (key_path);
  ks = seecitv_keystore_create_with_passphrase (keystore, PASSPHRASE,
      strlen (PASSPHRASE), &cheap, &err);
  fail_unless (ks != NULL, "%s", err ? err->message : "");
  seecitv_keystore_free (ks);
  passphrase_file = g_build_filename (tmpdir, "pass", NULL);
  write_passphrase (PASSPHRASE, 0600);
  fail_if (g_file_test (key_path, G_FILE_TEST_EXISTS));
  g_free (key_path);
}

/* Every clip recorded through a passphrase keystore decrypts (seecitvdecrypt
 * with the same passphrase-file) to all its frames, and the index follows
 * the final names. */
GST_START_TEST (test_passphrase_record)
{
  gchar *key_path;
  guint i;
  Rec r;

  use_passphrase_keystore ();
  record (25, "trigger=continuous max-clip-duration=1000000000", NULL, 0,
      &r);
  fail_unless_equals_int (r.closed->len, 3);
  for (i = 0; i < r.closed->len; i++) {
    const gchar *path = clip_path (&r, i);
    GBytes *id = clip_id_of (path);
    gchar *indexed = indexed_path (id);
    gchar *device = clip_device (path);
    Clip c;

    fail_unless_equals_string (indexed, path);
    fail_unless_equals_string (device, "door");
    play (path, &c);
    check_contiguous (&c);
    clip_clear (&c);
    g_free (device);
    g_free (indexed);
    g_bytes_unref (id);
  }
  /* Nothing fell back to a master key file. */
  key_path = seecitv_keystore_default_key_path (keystore);
  fail_if (g_file_test (key_path, G_FILE_TEST_EXISTS));
  g_free (key_path);
  rec_clear (&r);
}

GST_END_TEST;

/* Retention by age, then by size, deletes keys through the passphrase
 * keystore: the deleted clips' keys are gone from it. */
GST_START_TEST (test_passphrase_retention)
{
  GPtrArray *old, *now;
  GBytes *ids[4];
  guint i;
  Rec r;

  use_passphrase_keystore ();
  old = record_clips (4);
  for (i = 0; i < 4; i++) {
    ids[i] = clip_id_of (g_ptr_array_index (old, i));
    set_age (g_ptr_array_index (old, i), (4 - i) * 1800);
  }

  /* 2 h, 1.5 h, 1 h and 30 min old; retention 70 min. */
  record (10, "trigger=motion retention=4200000000000", NULL, 0, &r);
  fail_unless_equals_int (r.closed->len, 0);
  fail_unless_equals_int (r.deleted->len, 2);
  fail_unless (was_deleted (&r, g_ptr_array_index (old, 0), "retention"));
  fail_unless (was_deleted (&r, g_ptr_array_index (old, 1), "retention"));
  rec_clear (&r);

  /* One byte: only the newest stays. */
  record (10, "trigger=motion max-size=1", NULL, 0, &r);
  fail_unless_equals_int (r.deleted->len, 1);
  fail_unless (was_deleted (&r, g_ptr_array_index (old, 2), "max-size"));
  rec_clear (&r);

  now = list_clips (clipdir, FALSE);
  fail_unless_equals_int (now->len, 1);
  fail_unless_equals_string (g_ptr_array_index (now, 0),
      g_ptr_array_index (old, 3));
  for (i = 0; i < 4; i++) {
    gchar *indexed = indexed_path (ids[i]);

    if (i < 3)
      fail_unless (indexed == NULL, "key of clip %u still there", i);
    else
      fail_unless_equals_string (indexed, g_ptr_array_index (old, 3));
    g_free (indexed);
    g_bytes_unref (ids[i]);
  }
  g_ptr_array_unref (now);
  g_ptr_array_unref (old);
}

GST_END_TEST;

/* Starts a seecitvsink on the passphrase keystore with @pass_prop and
 * checks that it fails at start, with seecitvsink's RESOURCE / OPEN_READ
 * error naming the keystore and never the passphrase, and that nothing
 * was written. Returns the error's `message` (its `reason` is `keystore`). */
static gchar *
start_fails (const gchar * pass_prop)
{
  gchar *head = g_strdup_printf (H264_HEAD, 10);
  gchar *desc = g_strdup_printf ("%s ! seecitvsink name=rec "
      "location=\"%s\" keystore=\"%s\" %s trigger=continuous", head,
      clipdir, keystore, pass_prop);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  const GstStructure *details = NULL;
  GstMessage *msg;
  GError *e = NULL;
  gchar *debug = NULL, *reason;
  GstBus *bus;

  fail_unless (pipeline != NULL, "%s", desc);
  bus = gst_element_get_bus (pipeline);
  fail_unless_equals_int (gst_element_set_state (pipeline,
          GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error");
  fail_unless_equals_string (GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), "rec");
  gst_message_parse_error (msg, &e, &debug);
  gst_message_parse_error_details (msg, &details);
  fail_unless (g_error_matches (e, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_READ), "%s", e->message);
  fail_unless (details != NULL);
  fail_unless_equals_string (gst_structure_get_string (details, "keystore"),
      keystore);
  /* The token for any keystore failure; the text (returned) says which. */
  fail_unless_equals_string (gst_structure_get_string (details, "reason"),
      "keystore");
  reason = g_strdup (gst_structure_get_string (details, "message"));
  fail_unless (reason != NULL);
  fail_if (strstr (e->message, "horse") || strstr (debug, "horse") ||
      strstr (reason, "horse"), "the passphrase is in the error");
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  /* Not a clip, not even a temporary one. */
  fail_unless_equals_int (count_files (), 0);

  g_clear_error (&e);
  g_free (debug);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_free (desc);
  g_free (head);
  return reason;
}

GST_START_TEST (test_passphrase_errors)
{
  gchar *prop, *reason, *missing;
  GstElement *sink;

  use_passphrase_keystore ();
  prop = g_strdup_printf ("passphrase-file=\"%s\"", passphrase_file);

  /* A wrong passphrase does not open the keystore. */
  write_passphrase (WRONG_PASSPHRASE, 0600);
  g_free (start_fails (prop));

  /* A passphrase file others can read is refused. */
  write_passphrase (PASSPHRASE, 0644);
  reason = start_fails (prop);
  fail_unless (strstr (reason, "chmod 600") != NULL, "%s", reason);
  g_free (reason);

  /* A passphrase file that is not there. */
  g_unlink (passphrase_file);
  g_free (start_fails (prop));

  /* No passphrase-file: the master key file it would need is not there. */
  write_passphrase (PASSPHRASE, 0600);
  g_free (start_fails (""));
  g_free (prop);

  /* The property reads back. */
  missing = g_build_filename (tmpdir, "no-such-file", NULL);
  sink = gst_element_factory_make ("seecitvsink", NULL);
  fail_unless (sink != NULL);
  g_object_set (sink, "passphrase-file", missing, NULL);
  g_object_get (sink, "passphrase-file", &reason, NULL);
  fail_unless_equals_string (reason, missing);
  g_free (reason);
  gst_object_unref (sink);
  g_free (missing);
}

GST_END_TEST;

GST_START_TEST (test_settings)
{
  GstElement *sink = gst_element_factory_make ("seecitvsink", NULL);
  gchar *id;

  fail_unless (sink != NULL);
  /* No location or keystore: refused before anything runs. */
  fail_unless_equals_int (gst_element_set_state (sink, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);
  gst_element_set_state (sink, GST_STATE_NULL);

  /* A device id that could be a path is refused whole. */
  g_object_set (sink, "device-id", "../evil", NULL);
  g_object_get (sink, "device-id", &id, NULL);
  fail_unless_equals_string (id, "default");
  g_free (id);
  g_object_set (sink, "device-id", "cam-1.front_door", NULL);
  g_object_get (sink, "device-id", &id, NULL);
  fail_unless_equals_string (id, "cam-1.front_door");
  g_free (id);
  gst_object_unref (sink);
}

GST_END_TEST;

/* Takes @sink to READY with @location (NULL: unset) and, when
 * @with_keystore, the keystore; returns the error it posted (the caller
 * unrefs it), or NULL when it started. */
static GstMessage *
ready_error (const gchar * location, gboolean with_keystore)
{
  GstElement *sink = gst_element_factory_make ("seecitvsink", "rec");
  GstBus *bus = gst_bus_new ();
  GstStateChangeReturn ret;
  GstMessage *msg;

  fail_unless (sink != NULL);
  gst_element_set_bus (sink, bus);
  g_object_set (sink, "location", location, "keystore",
      with_keystore ? keystore : NULL, NULL);
  ret = gst_element_set_state (sink, GST_STATE_READY);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless_equals_int (ret, msg != NULL ? GST_STATE_CHANGE_FAILURE :
      GST_STATE_CHANGE_SUCCESS);
  gst_element_set_state (sink, GST_STATE_NULL);
  gst_element_set_bus (sink, NULL);
  gst_object_unref (bus);
  gst_object_unref (sink);
  return msg;
}

/* @msg (taken) is @code with @reason and the detail @key = @value. */
static void
check_error (GstMessage * msg, GstResourceError code, const gchar * reason,
    const gchar * key, const gchar * value)
{
  const GstStructure *details = NULL;
  GError *e = NULL;

  fail_unless (msg != NULL, "no error");
  gst_message_parse_error (msg, &e, NULL);
  gst_message_parse_error_details (msg, &details);
  fail_unless (g_error_matches (e, GST_RESOURCE_ERROR, code), "%s",
      e->message);
  fail_unless (details != NULL);
  fail_unless_equals_string (gst_structure_get_string (details, "reason"),
      reason);
  fail_unless_equals_string (gst_structure_get_string (details, key), value);
  g_clear_error (&e);
  gst_message_unref (msg);
}

GST_START_TEST (test_location)
{
  gchar *file = g_build_filename (tmpdir, "a-file", NULL);
  gchar *under_file = g_build_filename (file, "clips", NULL);
  gchar *parent = g_build_filename (tmpdir, "new", NULL);
  gchar *nested = g_build_filename (parent, "deeper", "clips", NULL);
  GStatBuf st;

  /* Each problem its own error. */
  check_error (ready_error (NULL, TRUE), GST_RESOURCE_ERROR_SETTINGS,
      "not-set", "property", "location");
  check_error (ready_error (clipdir, FALSE), GST_RESOURCE_ERROR_SETTINGS,
      "not-set", "property", "keystore");
  fail_unless (g_file_set_contents (file, "x", 1, NULL));
  check_error (ready_error (file, TRUE), GST_RESOURCE_ERROR_OPEN_WRITE,
      "not-a-directory", "location", file);
  /* Cannot be created: a parent is a file (ENOTDIR). */
  check_error (ready_error (under_file, TRUE), GST_RESOURCE_ERROR_OPEN_WRITE,
      "not-found", "location", under_file);
  fail_unless (g_file_test (file, G_FILE_TEST_IS_REGULAR));

  /* Missing: created with its parents, 0700, like mkdir -p. */
  fail_unless (ready_error (nested, TRUE) == NULL);
  fail_unless_equals_int (g_stat (nested, &st), 0);
  fail_unless (S_ISDIR (st.st_mode));
  fail_unless_equals_int (st.st_mode & 0777, 0700);
  fail_unless_equals_int (g_stat (parent, &st), 0);
  fail_unless_equals_int (st.st_mode & 0777, 0700);

  /* Not writable (root writes anywhere: not checkable as root). */
  if (geteuid () != 0) {
    fail_unless_equals_int (g_chmod (nested, 0500), 0);
    check_error (ready_error (nested, TRUE), GST_RESOURCE_ERROR_OPEN_WRITE,
        "permission-denied", "location", nested);
    g_chmod (nested, 0700);
  }

  g_free (file);
  g_free (under_file);
  g_free (parent);
  g_free (nested);
}

GST_END_TEST;

static Suite *
seecitvsink_suite (void)
{
  Suite *s = suite_create ("seecitvsink");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_ring);
  tcase_add_test (tc, test_ring_wrap);
  tcase_add_test (tc, test_settings);
  tcase_add_test (tc, test_location);
  tcase_add_test (tc, test_motion);
  tcase_add_test (tc, test_motion_late_event);
  tcase_add_test (tc, test_motion_two_clips);
  tcase_add_test (tc, test_no_motion_no_clip);
  tcase_add_test (tc, test_continuous);
  tcase_add_test (tc, test_manual);
  tcase_add_test (tc, test_final_names);
  tcase_add_test (tc, test_stop_without_eos);
  tcase_add_test (tc, test_retention_age);
  tcase_add_test (tc, test_retention_size);
  tcase_add_test (tc, test_codec_h265);
  tcase_add_test (tc, test_codec_jpeg);
  tcase_add_test (tc, test_codec_vp8);
  tcase_add_test (tc, test_codec_vp9);
  tcase_add_test (tc, test_raw_input);
  tcase_add_test (tc, test_raw_default_encoder);
  tcase_add_test (tc, test_raw_encoder_element);
  tcase_add_test (tc, test_device_id_tag);
  tcase_add_test (tc, test_motion_split);
  tcase_add_test (tc, test_passphrase_record);
  tcase_add_test (tc, test_passphrase_retention);
  tcase_add_test (tc, test_passphrase_errors);
  return s;
}

GST_CHECK_MAIN (seecitvsink);
