/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Security tests: secrets never leave the elements and tools, and files
 * are private. Every debug line at GST_DEBUG=*:9 is collected in-process
 * (the default handler removed), every bus message is serialised from a
 * sync handler (error and warning texts, debug strings and details
 * included), every readable property of every element is read back, and
 * everything the process prints or logs through GLib (g_print, g_printerr,
 * g_log, structured logging, debug messages enabled) is kept. The tools run
 * as subprocesses at GST_DEBUG=*:9 with G_MESSAGES_DEBUG=all, and their
 * stdout and stderr are kept: seecitv-device while seecitvsrc talks to it
 * (also with a wrong pairing secret and a wrong password), and every
 * `seecitv` command over a keystore with a master key and one with a
 * passphrase (also a wrong one). Then each secret (pairing secret, master
 * key, passphrase, clip data keys, password, Basic credentials, the device
 * MAC) is searched in all of it in the spellings a leak would take (hex
 * both cases, with separators, raw bytes, base64, substrings of the long
 * ones). A canary secret logged by the test itself through each channel
 * proves the search finds what is there. File modes are checked under
 * umask 022 and 000.
 * Network traffic stays on 127.0.0.1 with ports chosen by the OS.
 * The fault tests are in faults.c.
 */
#define _GNU_SOURCE             /* memmem */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include <seecitv/crypto/keystore.h>
#include "../common/testfs.h"
#include "../common/testkeystore.h"
#include "../elements/seecitvsrc_device.h"

#define DEVICE "cam-sec"

GST_DEBUG_CATEGORY_STATIC (canary_debug);

static gchar *tmpdir;

/* ---- collecting everything that leaves the elements ---- */

static GMutex collect_lock;
static GString *log_text;       /* protected by collect_lock */
static GString *bus_text;       /* protected by collect_lock */
static guint log_lines;         /* protected by collect_lock */
/* g_print, g_printerr and g_log of this process; protected by
 * collect_lock */
static GString *glib_text;
/* stdout and stderr of the tools run as subprocesses; main thread only */
static GString *tool_text;

static GPrintFunc old_print, old_printerr;

static void
collect_glib (const gchar * channel, const gchar * domain, const gchar * s)
{
  g_mutex_lock (&collect_lock);
  if (glib_text != NULL)
    g_string_append_printf (glib_text, "%s %s: %s\n", channel,
        domain ? domain : "-", s ? s : "(null)");
  g_mutex_unlock (&collect_lock);
}

static void
collect_print (const gchar * s)
{
  collect_glib ("g_print", NULL, s);
  if (old_print != NULL)
    old_print (s);
  else
    fputs (s, stdout);
}

static void
collect_printerr (const gchar * s)
{
  collect_glib ("g_printerr", NULL, s);
  if (old_printerr != NULL)
    old_printerr (s);
  else
    fputs (s, stderr);
}

/* g_log () for domains without a handler of their own (GstCheck has its
 * own for GStreamer and GLib: they print with g_print, caught above). */
static void
collect_log_default (const gchar * domain, GLogLevelFlags level,
    const gchar * message, gpointer user_data)
{
  collect_glib ("g_log", domain, message);
  /* debug messages are enabled for the search, not for the test's log */
  if (!(level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)))
    g_log_default_handler (domain, level, message, user_data);
}

/* Structured logging (g_log_structured, and g_log once GLib routes it). */
static GLogWriterOutput
collect_log_writer (GLogLevelFlags level, const GLogField * fields,
    gsize n_fields, gpointer user_data)
{
  const gchar *domain = NULL;
  gchar *message = NULL;

  for (gsize i = 0; i < n_fields; i++) {
    if (strcmp (fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0)
      domain = fields[i].value;
    else if (strcmp (fields[i].key, "MESSAGE") == 0)
      message = fields[i].length < 0 ? g_strdup (fields[i].value) :
          g_strndup (fields[i].value, fields[i].length);
  }
  collect_glib ("g_log_structured", domain, message);
  g_free (message);
  if (level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO))
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (level, fields, n_fields, user_data);
}

static void
collect_log (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  gchar *l = gst_debug_log_get_line (category, level, file, function, line,
      object, message);

  g_mutex_lock (&collect_lock);
  if (log_text != NULL) {
    g_string_append (log_text, l);
    log_lines++;
  }
  g_mutex_unlock (&collect_lock);
  g_free (l);
}

static GstBusSyncReply
collect_bus (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  const GstStructure *st = gst_message_get_structure (msg);
  gchar *s = st ? gst_structure_to_string (st) : NULL;
  GError *err = NULL;
  gchar *dbg = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &err, &dbg);
      break;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (msg, &err, &dbg);
      break;
    case GST_MESSAGE_INFO:
      gst_message_parse_info (msg, &err, &dbg);
      break;
    default:
      break;
  }
  g_mutex_lock (&collect_lock);
  if (bus_text != NULL)
    g_string_append_printf (bus_text, "%s: %s %s %s\n",
      GST_MESSAGE_TYPE_NAME (msg), s ? s : "", err ? err->message : "",
      dbg ? dbg : "");
  g_mutex_unlock (&collect_lock);
  g_free (s);
  g_free (dbg);
  g_clear_error (&err);
  return GST_BUS_PASS;
}

static void
collect_start (void)
{
  g_mutex_lock (&collect_lock);
  log_text = g_string_new (NULL);
  bus_text = g_string_new (NULL);
  glib_text = g_string_new (NULL);
  log_lines = 0;
  g_mutex_unlock (&collect_lock);
  tool_text = g_string_new (NULL);
  gst_debug_set_active (TRUE);
  gst_debug_set_default_threshold (GST_LEVEL_MEMDUMP);
  gst_debug_set_threshold_from_string ("*:9", TRUE);
}

static void
collect_stop (void)
{
  gst_debug_set_default_threshold (GST_LEVEL_NONE);
  gst_debug_set_threshold_from_string ("*:0", TRUE);
}

static void
collect_free (void)
{
  g_mutex_lock (&collect_lock);
  g_string_free (log_text, TRUE);
  g_string_free (bus_text, TRUE);
  g_string_free (glib_text, TRUE);
  log_text = bus_text = glib_text = NULL;
  g_mutex_unlock (&collect_lock);
  g_string_free (tool_text, TRUE);
  tool_text = NULL;
}

/* Every readable property of every element of @bin (and of @bin), as
 * text, appended to @out. */
static void
collect_properties (GstElement * bin, GString * out)
{
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (bin));
  GValue item = G_VALUE_INIT;
  GPtrArray *elements = g_ptr_array_new_with_free_func (gst_object_unref);
  guint e;

  g_ptr_array_add (elements, gst_object_ref (bin));
  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    g_ptr_array_add (elements, g_value_dup_object (&item));
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);

  for (e = 0; e < elements->len; e++) {
    GObject *obj = g_ptr_array_index (elements, e);
    guint n, i;
    GParamSpec **specs =
        g_object_class_list_properties (G_OBJECT_GET_CLASS (obj), &n);

    for (i = 0; i < n; i++) {
      GValue v = G_VALUE_INIT;
      gchar *s;

      if (!(specs[i]->flags & G_PARAM_READABLE))
        continue;
      g_value_init (&v, specs[i]->value_type);
      g_object_get_property (obj, specs[i]->name, &v);
      /* a NULL GstStructure cannot be serialised (a critical) */
      if (G_VALUE_HOLDS_BOXED (&v) && g_value_get_boxed (&v) == NULL)
        s = g_strdup ("NULL");
      else
        s = g_strdup_value_contents (&v);
      g_string_append_printf (out, "%s.%s=%s\n", GST_OBJECT_NAME (obj),
          specs[i]->name, s);
      g_free (s);
      g_value_unset (&v);
    }
    g_free (specs);
  }
  g_ptr_array_unref (elements);
}

/* ---- secrets and their spellings ---- */

typedef struct
{
  gchar *what;
  guint8 *bytes;
  gsize len;
  gsize window;                 /* substrings of this length are searched */
} Needle;

static GPtrArray *needles;

static void
needle_free (Needle * n)
{
  g_free (n->what);
  g_free (n->bytes);
  g_free (n);
}

static void
add_needle (const gchar * what, const guint8 * bytes, gsize len, gsize window)
{
  Needle *n = g_new0 (Needle, 1);

  n->what = g_strdup (what);
  n->bytes = g_memdup2 (bytes, len);
  n->len = len;
  n->window = MIN (window, len);
  g_ptr_array_add (needles, n);
}

static void
add_string (const gchar * what, const gchar * s)
{
  add_needle (what, (const guint8 *) s, strlen (s), strlen (s));
}

static gchar *
to_hex (const guint8 * b, gsize len, const gchar * sep, gboolean upper)
{
  GString *s = g_string_new (NULL);
  gsize i;

  for (i = 0; i < len; i++)
    g_string_append_printf (s, upper ? "%s%02X" : "%s%02x",
        i > 0 ? sep : "", b[i]);
  return g_string_free (s, FALSE);
}

/* A secret: raw, hex in both cases, bare or separated by a space or colon
 * (GST_MEMDUMP, OpenSSL, MAC style), base64. Any run of @window bytes of
 * it (8 for random bytes: 64 bits; more for text, which has less entropy
 * per byte) is a leak. */
static void
add_secret_window (const gchar * what, const guint8 * b, gsize len,
    gsize window)
{
  static const gchar *seps[] = { "", " ", ":" };
  gchar *name, *s;
  guint i, up;

  name = g_strdup_printf ("%s (raw)", what);
  add_needle (name, b, len, window);
  g_free (name);
  for (i = 0; i < G_N_ELEMENTS (seps); i++)
    for (up = 0; up < 2; up++) {
      s = to_hex (b, len, seps[i], up);
      name = g_strdup_printf ("%s (hex, sep '%s', %s)", what, seps[i],
          up ? "upper" : "lower");
      add_needle (name, (guint8 *) s, strlen (s),
          2 * window + (window - 1) * strlen (seps[i]));
      g_free (name);
      g_free (s);
    }
  s = g_base64_encode (b, len);
  g_strdelimit (s, "=", '\0');
  name = g_strdup_printf ("%s (base64)", what);
  add_string (name, s);
  g_free (name);
  g_free (s);
}

static void
add_binary_secret (const gchar * what, const guint8 * b, gsize len)
{
  add_secret_window (what, b, len, 8);
}

static void
add_text_secret (const gchar * what, const gchar * text)
{
  add_secret_window (what, (const guint8 *) text, strlen (text), 16);
}

/* A MAC in the usual spellings. */
static void
add_mac_secret (const guint8 * m)
{
  gchar *s;
  guint up;

  for (up = 0; up < 2; up++) {
    s = to_hex (m, 6, ":", up);
    add_string ("MAC xx:xx", s);
    g_free (s);
    s = to_hex (m, 6, "-", up);
    add_string ("MAC xx-xx", s);
    g_free (s);
    s = to_hex (m, 6, "", up);
    add_string ("MAC bare", s);
    g_free (s);
    s = g_strdup_printf (up ? "%02X%02X.%02X%02X.%02X%02X" :
        "%02x%02x.%02x%02x.%02x%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    add_string ("MAC xxxx.xxxx", s);
    g_free (s);
  }
}

static void
random_bytes (guint8 * b, gsize len)
{
  gsize i;

  for (i = 0; i < len; i++)
    b[i] = g_random_int_range (0, 256);
}

/* Returns the first needle found in @data, or NULL; @context (if not
 * NULL) gets the text around the hit, escaped (free it). */
static const Needle *
find_secret (const gchar * data, gsize len, gchar ** context)
{
  guint i;

  for (i = 0; i < needles->len; i++) {
    const Needle *n = g_ptr_array_index (needles, i);
    gsize off;

    for (off = 0; off + n->window <= n->len; off++) {
      const gchar *hit = memmem (data, len, n->bytes + off, n->window);

      if (hit != NULL) {
        if (context != NULL) {
          const gchar *a = MAX (data, hit - 100);
          const gchar *z = MIN (data + len, hit + n->window + 100);

          gchar *raw = g_strndup (a, z - a);

          *context = g_strescape (raw, NULL);
          g_free (raw);
        }
        return n;
      }
    }
  }
  return NULL;
}

static void
assert_no_secret (const gchar * where, const GString * text)
{
  gchar *context = NULL;
  const Needle *n = find_secret (text->str, text->len, &context);

  fail_unless (n == NULL, "%s leaks the %s: ...%s...", where,
      n ? n->what : "", context);
  g_free (context);
}

/* Searches the logs, bus messages and @props collected so far. */
static void
assert_nothing_leaked (GString * props)
{
  g_mutex_lock (&collect_lock);
  /* the search can only find what was logged at all */
  fail_unless (log_lines > 100, "only %u log lines", log_lines);
  assert_no_secret ("the debug log", log_text);
  assert_no_secret ("a bus message", bus_text);
  assert_no_secret ("g_print/g_printerr/g_log", glib_text);
  g_mutex_unlock (&collect_lock);
  assert_no_secret ("a tool's output", tool_text);
  if (props != NULL)
    assert_no_secret ("a property", props);
}

static gint run_seecitv (const gchar * const *args);

/* The search must be able to fail: a canary secret logged at the highest
 * level, in a message, in the middle of a line in another spelling,
 * through g_printerr, g_log and g_log_structured, and in a tool's output
 * (a keystore path `seecitv` reports), is found each time. */
static void
check_canary (void)
{
  guint8 canary[32];
  gchar *hex, *hexsp;
  const Needle *n;
  GString *fake;
  GstBus *bus = gst_bus_new ();
  GstMessage *m;

  random_bytes (canary, sizeof (canary));
  add_binary_secret ("canary", canary, sizeof (canary));
  hex = to_hex (canary, sizeof (canary), "", FALSE);
  hexsp = to_hex (canary + 4, 10, " ", TRUE);

  g_mutex_lock (&collect_lock);
  g_string_truncate (log_text, 0);
  g_mutex_unlock (&collect_lock);
  GST_CAT_LEVEL_LOG (canary_debug, GST_LEVEL_MEMDUMP, NULL, "key %s", hex);
  g_mutex_lock (&collect_lock);
  n = find_secret (log_text->str, log_text->len, NULL);
  fail_unless (n != NULL && g_str_has_prefix (n->what, "canary"),
      "the canary at MEMDUMP level was not caught");
  g_string_truncate (log_text, 0);
  g_mutex_unlock (&collect_lock);

  GST_CAT_LEVEL_LOG (canary_debug, GST_LEVEL_MEMDUMP, NULL,
      "part: xx %s yy", hexsp);
  g_mutex_lock (&collect_lock);
  n = find_secret (log_text->str, log_text->len, NULL);
  fail_unless (n != NULL && g_str_has_prefix (n->what, "canary"),
      "the canary in pieces was not caught");
  g_string_truncate (log_text, 0);
  g_mutex_unlock (&collect_lock);

  GST_CAT_MEMDUMP (canary_debug, "bytes", canary + 3, 9);
  g_mutex_lock (&collect_lock);
  n = find_secret (log_text->str, log_text->len, NULL);
  fail_unless (n != NULL && g_str_has_prefix (n->what, "canary"),
      "the canary as a memory dump was not caught");
  g_string_truncate (log_text, 0);
  g_mutex_unlock (&collect_lock);

  gst_bus_set_sync_handler (bus, collect_bus, NULL, NULL);
  m = gst_message_new_element (NULL, gst_structure_new ("canary",
          "key", G_TYPE_STRING, hex, NULL));
  gst_bus_post (bus, m);
  g_mutex_lock (&collect_lock);
  n = find_secret (bus_text->str, bus_text->len, NULL);
  fail_unless (n != NULL, "the canary in a bus message was not caught");
  g_string_truncate (bus_text, 0);
  g_mutex_unlock (&collect_lock);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);

  /* GLib's channels: g_printerr, g_log (a domain without a handler of
   * its own, at debug level), structured logging */
  g_printerr ("canary: %s\n", hexsp);
  g_log ("seecitvcanary", G_LOG_LEVEL_DEBUG, "canary %s", hex);
  g_mutex_lock (&collect_lock);
  n = find_secret (glib_text->str, glib_text->len, NULL);
  fail_unless (n != NULL, "the canary in g_printerr was not caught");
  fail_unless (strstr (glib_text->str, "g_log seecitvcanary") != NULL,
      "g_log at debug level was not caught: %s", glib_text->str);
  g_string_truncate (glib_text, 0);
  g_mutex_unlock (&collect_lock);
  g_log_structured ("seecitvcanary", G_LOG_LEVEL_DEBUG, "MESSAGE",
      "canary %s", hex);
  g_mutex_lock (&collect_lock);
  n = find_secret (glib_text->str, glib_text->len, NULL);
  fail_unless (n != NULL, "the canary in g_log_structured was not caught");
  g_string_truncate (glib_text, 0);
  g_mutex_unlock (&collect_lock);

  /* a tool's output: seecitv names the keystore it cannot open */
  if (tool_text != NULL) {
    gchar *path = g_strdup_printf ("%s/missing-%s", tmpdir, hex);
    const gchar *args[] = { "--keystore", path, "list", NULL };

    fail_unless (run_seecitv (args) != 0);
    n = find_secret (tool_text->str, tool_text->len, NULL);
    fail_unless (n != NULL, "the canary in a tool's output was not caught");
    g_string_truncate (tool_text, 0);
    g_free (path);
  }

  fake = g_string_new ("x.location=/tmp\n");
  g_string_append_printf (fake, "x.secret=%s\n", hex);
  fail_unless (find_secret (fake->str, fake->len, NULL) != NULL);
  g_string_free (fake, TRUE);

  /* a clean text is clean */
  fake = g_string_new ("nothing to see 0123456789abcdef here");
  fail_unless (find_secret (fake->str, fake->len, NULL) == NULL);
  g_string_free (fake, TRUE);

  /* from here on, the canary would be a false alarm */
  while (needles->len > 0) {
    n = g_ptr_array_index (needles, needles->len - 1);
    if (!g_str_has_prefix (n->what, "canary"))
      break;
    g_ptr_array_remove_index (needles, needles->len - 1);
  }
  g_free (hex);
  g_free (hexsp);
}

/* ---- fixtures ---- */

static void
setup (void)
{
  tmpdir = g_build_filename (g_get_tmp_dir (), "seecitv-sec-XXXXXX", NULL);
  fail_unless (g_mkdtemp (tmpdir) != NULL);
  needles = g_ptr_array_new_with_free_func ((GDestroyNotify) needle_free);
}

static void
teardown (void)
{
  collect_stop ();
  test_remove_tree (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
  g_clear_pointer (&needles, g_ptr_array_unref);
}

static gchar *
tmp_path (const gchar * name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static void
write_private (const gchar * path, const gchar * data, gssize len)
{
  fail_unless (g_file_set_contents (path, data, len, NULL));
  fail_unless_equals_int (g_chmod (path, 0600), 0);
}

/* ---- the tools as subprocesses ---- */

/* Everything a tool could print about what it does. */
static GSubprocessLauncher *
tool_launcher (GSubprocessFlags flags)
{
  GSubprocessLauncher *l = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_setenv (l, "GST_DEBUG", "*:9", TRUE);
  g_subprocess_launcher_setenv (l, "GST_DEBUG_NO_COLOR", "1", TRUE);
  g_subprocess_launcher_setenv (l, "G_MESSAGES_DEBUG", "all", TRUE);
  g_subprocess_launcher_unsetenv (l, "GST_DEBUG_FILE");
  return l;
}

/* Appends @path's contents to the tool output that is searched. */
static void
collect_file (const gchar * what, const gchar * path)
{
  gchar *data = NULL;
  gsize len = 0;

  fail_unless (g_file_get_contents (path, &data, &len, NULL));
  g_string_append_printf (tool_text, "==== %s (%" G_GSIZE_FORMAT
      " bytes)\n", what, len);
  g_string_append_len (tool_text, data, len);
  g_free (data);
}

/* Runs `seecitv` with @args (NULL-terminated), stdout and stderr kept for
 * the search; returns its exit status. */
static gint
run_seecitv (const gchar * const *args)
{
  GSubprocessLauncher *l = tool_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
      G_SUBPROCESS_FLAGS_STDERR_MERGE);
  GPtrArray *argv = g_ptr_array_new ();
  GSubprocess *proc;
  GBytes *out = NULL;
  GError *err = NULL;
  gchar *cmd;
  gint status;

  g_ptr_array_add (argv, (gpointer) SEECITV_TOOL);
  for (; *args != NULL; args++)
    g_ptr_array_add (argv, (gpointer) * args);
  g_ptr_array_add (argv, NULL);
  cmd = g_strjoinv (" ", (gchar **) argv->pdata);
  proc = g_subprocess_launcher_spawnv (l, (const gchar * const *)
      argv->pdata, &err);
  fail_unless (proc != NULL, "%s: %s", cmd, err ? err->message : "");
  fail_unless (g_subprocess_communicate (proc, NULL, NULL, &out, NULL, &err),
      "%s: %s", cmd, err ? err->message : "");
  status = g_subprocess_get_exit_status (proc);
  g_string_append_printf (tool_text, "==== %s: exit %d, %" G_GSIZE_FORMAT
      " bytes\n", cmd, status, out ? g_bytes_get_size (out) : 0);
  if (out != NULL)
    g_string_append_len (tool_text, g_bytes_get_data (out, NULL),
        g_bytes_get_size (out));
  g_bytes_unref (out);
  g_object_unref (proc);
  g_object_unref (l);
  g_ptr_array_free (argv, TRUE);
  g_free (cmd);
  return status;
}

/* seecitv-device, its stdout and stderr in a file. */
typedef struct
{
  GSubprocess *proc;
  gchar *url;
  gchar *log_path;
} Device;

static Device *
device_start (const gchar * const *args)
{
  GSubprocessLauncher *l = tool_launcher (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  GPtrArray *argv = g_ptr_array_new ();
  Device *d = g_new0 (Device, 1);
  GError *err = NULL;
  guint i;

  d->log_path = g_strdup_printf ("%s/device-%08x.log", tmpdir,
      g_random_int ());
  g_subprocess_launcher_set_stdout_file_path (l, d->log_path);
  g_ptr_array_add (argv, (gpointer) SEECITV_DEVICE_TOOL);
  g_ptr_array_add (argv, (gpointer) "--port=0");
  g_ptr_array_add (argv, (gpointer) "--verbose");
  for (; *args != NULL; args++)
    g_ptr_array_add (argv, (gpointer) * args);
  g_ptr_array_add (argv, NULL);
  d->proc = g_subprocess_launcher_spawnv (l, (const gchar * const *)
      argv->pdata, &err);
  g_ptr_array_free (argv, TRUE);
  g_object_unref (l);
  fail_unless (d->proc != NULL, "%s", err ? err->message : "");
  /* It flushes stdout after printing its URL; a loaded machine running
   * it under ASan may take its time, an exited device fails at once. */
  for (i = 0; d->url == NULL && i < 6000 &&
      g_subprocess_get_identifier (d->proc) != NULL; i++) {
    gchar *log = NULL, *line;

    if (g_file_get_contents (d->log_path, &log, NULL, NULL) &&
        (line = strstr (log, "\nurl: ")) != NULL)
      d->url = g_strndup (line + 6, strcspn (line + 6, "\n"));
    else if (log != NULL && g_str_has_prefix (log, "url: "))
      d->url = g_strndup (log + 5, strcspn (log + 5, "\n"));
    g_free (log);
    if (d->url == NULL)
      g_usleep (10000);
  }
  fail_unless (d->url != NULL, "seecitv-device printed no url");
  fail_unless (g_str_has_prefix (d->url, "http://127.0.0.1:"));
  return d;
}

/* Stops the device; its output joins the tool output searched. */
static void
device_stop (Device * d)
{
  g_subprocess_send_signal (d->proc, SIGTERM);
  g_subprocess_wait (d->proc, NULL, NULL);
  collect_file ("seecitv-device", d->log_path);
  g_object_unref (d->proc);
  g_unlink (d->log_path);
  g_free (d->log_path);
  g_free (d->url);
  g_free (d);
}

/* ---- pipelines ---- */

/* Runs @pipeline to EOS (fails on an error), with the bus collected. */
static void
run_to_eos (GstElement * pipeline, GString * props)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;

  gst_bus_set_sync_handler (bus, collect_bus, NULL, NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "timed out");
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;

    gst_message_parse_error (msg, &err, NULL);
    fail ("error: %s", err->message);
  }
  gst_message_unref (msg);
  if (props != NULL)
    collect_properties (pipeline, props);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
}

static GstElement *
launch (const gchar * desc)
{
  GError *err = NULL;
  GstElement *p = gst_parse_launch (desc, &err);

  fail_unless (p != NULL, "%s: %s", desc, err ? err->message : "");
  return p;
}

/* ---- tests ---- */

/* Pulls @n frames from @url through seecitvsrc, with the protocol when
 * @key_file is set and HTTP Basic when @user is; collects the properties
 * and the tags into @props. */
static void
src_run (const gchar * url, const gchar * key_file, const gchar * user,
    const gchar * pw, guint n, GString * props)
{
  GstElement *pipeline, *src, *sink;
  GstBus *bus;
  GstPad *pad;
  GstEvent *ev;
  guint i;

  pipeline = launch ("seecitvsrc name=src retry-delay=50000000 "
      "timeout=5000000000 ! appsink name=sink sync=false");
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (src, "location", url, NULL);
  if (key_file != NULL)
    g_object_set (src, "device-id", DEVICE, "device-key-file", key_file,
        NULL);
  if (user != NULL)
    g_object_set (src, "user-id", user, "user-pw", pw, NULL);
  bus = gst_element_get_bus (pipeline);
  gst_bus_set_sync_handler (bus, collect_bus, NULL, NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  for (i = 0; i < n; i++) {
    GstSample *s = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
        20 * GST_SECOND);

    if (s == NULL) {
      GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
      GError *err = NULL;

      if (m != NULL)
        gst_message_parse_error (m, &err, NULL);
      fail ("no frame %u: %s", i, err ? err->message : "");
    }
    gst_sample_unref (s);
  }
  collect_properties (pipeline, props);

  pad = gst_element_get_static_pad (sink, "sink");
  ev = gst_pad_get_sticky_event (pad, GST_EVENT_TAG, 0);
  if (ev != NULL) {
    gchar *t = gst_structure_to_string (gst_event_get_structure (ev));
    GstTagList *tags;
    gchar *pseudo = NULL;

    g_string_append_printf (props, "tags=%s\n", t);
    g_free (t);
    /* the MAC went in and came out only as its pseudonym */
    gst_event_parse_tag (ev, &tags);
    if (key_file != NULL) {
      fail_unless (gst_tag_list_get_string (tags,
              "seecitv-device-mac-pseudonym", &pseudo));
      g_free (pseudo);
    }
    gst_event_unref (ev);
  }
  gst_object_unref (pad);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
}

/* seecitvsrc with the seecitv protocol (pairing secret, a device MAC in
 * the device-info, across a reconnection), then with HTTP Basic (one
 * Authorization header cannot carry both: two devices). */
GST_START_TEST (test_src_secrets)
{
  guint8 secret[32], mac[6];
  gchar *secret_hex, *mac_str, *key_file, *password, *basic, *b64;
  Device *d, *d2;
  GString *props = g_string_new (NULL);

  random_bytes (secret, sizeof (secret));
  random_bytes (mac, sizeof (mac));
  mac[0] = (mac[0] & 0xfc) | 0x02;      /* locally administered, unicast */
  secret_hex = to_hex (secret, sizeof (secret), "", FALSE);
  mac_str = to_hex (mac, sizeof (mac), ":", FALSE);
  password = g_strdup_printf ("Pw-%08x-%08x", g_random_int (),
      g_random_int ());
  basic = g_strdup_printf ("watcher:%s", password);

  add_binary_secret ("pairing secret", secret, sizeof (secret));
  /* the hex text of the key file, as bytes (its base64 and so on) */
  add_text_secret ("pairing secret file", secret_hex);
  add_mac_secret (mac);
  add_string ("password", password);
  b64 = g_base64_encode ((guint8 *) basic, strlen (basic));
  g_strdelimit (b64, "=", '\0');
  add_string ("Basic credentials (base64)", b64);

  key_file = tmp_path ("cam.key");
  write_private (key_file, secret_hex, -1);
  {
    const gchar *args[] = { "--key-file", key_file, "--device-id", DEVICE,
      "--mac", mac_str, "--name", "porch", "--model", "phone",
      "--drop-after", "6", NULL
    };
    d = device_start (args);
  }
  {
    const gchar *args[] = { "--device-id", DEVICE, "--mac", mac_str,
      "--basic", basic, NULL
    };
    d2 = device_start (args);
  }

  collect_start ();
  check_canary ();
  src_run (d->url, key_file, NULL, NULL, 10, props);
  src_run (d2->url, NULL, "watcher", password, 3, props);
  collect_stop ();
  device_stop (d);
  device_stop (d2);
  assert_nothing_leaked (props);
  collect_free ();
  g_string_free (props, TRUE);
  g_free (b64);
  g_free (basic);
  g_free (password);
  g_free (key_file);
  g_free (mac_str);
  g_free (secret_hex);
}

GST_END_TEST;

/* Credentials in the URL's user info: the location property holds what
 * the application gave (so it is not searched), but no log line or
 * message repeats them. */
GST_START_TEST (test_src_url_credentials)
{
  gchar *password = g_strdup_printf ("Pw-%08x-%08x", g_random_int (),
      g_random_int ());
  gchar *basic = g_strdup_printf ("watcher:%s", password);
  gchar *b64, *url;
  Device *d;
  GString *props = g_string_new (NULL);

  add_string ("password", password);
  b64 = g_base64_encode ((guint8 *) basic, strlen (basic));
  g_strdelimit (b64, "=", '\0');
  add_string ("Basic credentials (base64)", b64);
  {
    const gchar *args[] = { "--device-id", DEVICE, "--basic", basic, NULL };
    d = device_start (args);
  }
  fail_unless (g_str_has_prefix (d->url, "http://"));
  url = g_strdup_printf ("http://%s@%s", basic, d->url + strlen ("http://"));

  collect_start ();
  check_canary ();
  src_run (url, NULL, NULL, NULL, 3, props);
  collect_stop ();
  device_stop (d);
  assert_nothing_leaked (NULL);
  collect_free ();
  g_string_free (props, TRUE);
  g_free (url);
  g_free (b64);
  g_free (basic);
  g_free (password);
}

GST_END_TEST;

#define RECORD \
  "videotestsrc num-buffers=15 ! video/x-raw,width=64,height=48," \
  "framerate=15/1 ! jpegenc ! matroskamux streamable=true ! " \
  "seecitvcryptsink name=csink location=\"%s\" keystore=\"%s\" " \
  "device-id=" DEVICE " sync-interval=0 %s"
#define PLAY \
  "filesrc location=\"%s\" ! seecitvdecrypt keystore=\"%s\" %s ! " \
  "matroskademux ! fakesink"

/* Adds the data keys of all clips in @keystore to the secrets. */
static void
add_clip_keys (const gchar * keystore, const gchar * pass_file)
{
  GError *err = NULL;
  SeecitvKeystore *ks = seecitv_keystore_open_default (keystore, pass_file,
      &err);
  GPtrArray *clips;
  guint i;

  fail_unless (ks != NULL, "%s", err ? err->message : "");
  clips = seecitv_keystore_list_clips (ks, DEVICE);
  fail_unless (clips->len > 0);
  for (i = 0; i < clips->len; i++) {
    SeecitvKeystoreClipInfo *info = g_ptr_array_index (clips, i);
    guint8 key[SEECITV_CLIP_KEY_SIZE];

    fail_unless (seecitv_keystore_get_clip_key (ks, info->ids.clip_id, key,
            NULL, &err), "%s", err ? err->message : "");
    add_binary_secret ("clip data key", key, sizeof (key));
  }
  g_ptr_array_unref (clips);
  seecitv_keystore_free (ks);
}

/* Record and play back a clip; nothing of the keys leaks. */
static void
crypt_roundtrip (const gchar * keystore, const gchar * pass_file,
    const gchar * clip)
{
  gchar *extra = pass_file ?
      g_strdup_printf ("passphrase-file=\"%s\"", pass_file) : g_strdup ("");
  gchar *desc;
  GstElement *p;
  GString *props = g_string_new (NULL);

  collect_start ();
  check_canary ();
  desc = g_strdup_printf (RECORD, clip, keystore, extra);
  p = launch (desc);
  run_to_eos (p, props);
  gst_object_unref (p);
  g_free (desc);
  desc = g_strdup_printf (PLAY, clip, keystore, extra);
  p = launch (desc);
  run_to_eos (p, props);
  gst_object_unref (p);
  g_free (desc);
  collect_stop ();

  /* the clip key is known only now; the logs are kept until here */
  add_clip_keys (keystore, pass_file);
  assert_nothing_leaked (props);
  collect_free ();
  g_string_free (props, TRUE);
  g_free (extra);
}

GST_START_TEST (test_crypt_secrets_master_key)
{
  gchar *keystore = tmp_path ("keys.db");
  gchar *clip = tmp_path ("clip.sctv");
  guint8 master[SEECITV_KEYSTORE_MASTER_KEY_SIZE];

  test_keystore_create (keystore, master);
  add_binary_secret ("master key", master, sizeof (master));

  crypt_roundtrip (keystore, NULL, clip);

  g_free (clip);
  g_free (keystore);
}

GST_END_TEST;

GST_START_TEST (test_crypt_secrets_passphrase)
{
  gchar *keystore = tmp_path ("keys.db");
  gchar *pass_file = tmp_path ("pass");
  gchar *clip = tmp_path ("clip.sctv");
  SeecitvKeystoreKdfParams cheap = { 10, 8, 1 };
  gchar *pass = g_strdup_printf ("tulip %08x orbit %08x", g_random_int (),
      g_random_int ());
  gchar *line = g_strdup_printf ("%s\n", pass);
  SeecitvKeystore *ks;
  GError *err = NULL;

  ks = seecitv_keystore_create_with_passphrase (keystore, pass,
      strlen (pass), &cheap, &err);
  fail_unless (ks != NULL, "%s", err ? err->message : "");
  seecitv_keystore_free (ks);
  write_private (pass_file, line, -1);
  add_string ("passphrase", pass);
  add_text_secret ("passphrase text", pass);

  crypt_roundtrip (keystore, pass_file, clip);

  g_free (line);
  g_free (pass);
  g_free (clip);
  g_free (pass_file);
  g_free (keystore);
}

GST_END_TEST;

/* seecitvsrc against a device that refuses it: the error (RESOURCE
 * NOT_AUTHORIZED, never retried) is collected with the rest. */
static void
src_refused (const gchar * url, const gchar * key_file, const gchar * user,
    const gchar * pw, GString * props)
{
  GstElement *pipeline, *src;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;

  pipeline = launch ("seecitvsrc name=src retry-delay=50000000 "
      "timeout=5000000000 max-retries=2 ! fakesink");
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  g_object_set (src, "location", url, NULL);
  if (key_file != NULL)
    g_object_set (src, "device-id", DEVICE, "device-key-file", key_file,
        NULL);
  if (user != NULL)
    g_object_set (src, "user-id", user, "user-pw", pw, NULL);
  bus = gst_element_get_bus (pipeline);
  gst_bus_set_sync_handler (bus, collect_bus, NULL, NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  fail_unless (msg != NULL, "no error within 60 s");
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_ERROR);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_AUTHORIZED), "%s", err->message);
  g_clear_error (&err);
  gst_message_unref (msg);
  collect_properties (pipeline, props);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (pipeline);
}

/* A wrong pairing secret and a wrong password: neither the right one nor
 * the wrong one appears in the element's log, messages and error, nor in
 * the device's output at GST_DEBUG=*:9 (it says it refused a client). */
GST_START_TEST (test_src_refused_secrets)
{
  guint8 secret[32], wrong[32], mac[6];
  gchar *secret_hex, *wrong_hex, *mac_str, *key_file, *wrong_file;
  gchar *password, *wrong_pw, *basic;
  Device *d, *d2;
  GString *props = g_string_new (NULL);

  random_bytes (secret, sizeof (secret));
  random_bytes (wrong, sizeof (wrong));
  random_bytes (mac, sizeof (mac));
  mac[0] = (mac[0] & 0xfc) | 0x02;
  secret_hex = to_hex (secret, sizeof (secret), "", FALSE);
  wrong_hex = to_hex (wrong, sizeof (wrong), "", FALSE);
  mac_str = to_hex (mac, sizeof (mac), ":", FALSE);
  password = g_strdup_printf ("Pw-%08x-%08x", g_random_int (),
      g_random_int ());
  wrong_pw = g_strdup_printf ("Wr-%08x-%08x", g_random_int (),
      g_random_int ());
  basic = g_strdup_printf ("watcher:%s", password);

  add_binary_secret ("pairing secret", secret, sizeof (secret));
  add_text_secret ("pairing secret file", secret_hex);
  add_binary_secret ("wrong pairing secret", wrong, sizeof (wrong));
  add_text_secret ("wrong pairing secret file", wrong_hex);
  add_mac_secret (mac);
  add_string ("password", password);
  add_string ("wrong password", wrong_pw);

  key_file = tmp_path ("cam.key");
  write_private (key_file, secret_hex, -1);
  wrong_file = tmp_path ("wrong.key");
  write_private (wrong_file, wrong_hex, -1);
  {
    const gchar *args[] = { "--key-file", key_file, "--device-id", DEVICE,
      "--mac", mac_str, NULL
    };
    d = device_start (args);
  }
  {
    const gchar *args[] = { "--device-id", DEVICE, "--basic", basic, NULL };
    d2 = device_start (args);
  }

  collect_start ();
  check_canary ();
  src_refused (d->url, wrong_file, NULL, NULL, props);
  src_refused (d2->url, NULL, "watcher", wrong_pw, props);
  collect_stop ();
  device_stop (d);
  device_stop (d2);
  /* the device did refuse (so its output was worth searching) */
  fail_unless (strstr (tool_text->str, "refused") != NULL,
      "the device logged no refusal");
  assert_nothing_leaked (props);
  collect_free ();

  g_string_free (props, TRUE);
  g_free (basic);
  g_free (wrong_pw);
  g_free (password);
  g_free (wrong_file);
  g_free (key_file);
  g_free (mac_str);
  g_free (wrong_hex);
  g_free (secret_hex);
}

GST_END_TEST;

#define SINK_RECORD \
  "videotestsrc num-buffers=30 ! video/x-raw,width=64,height=48," \
  "framerate=15/1 ! x264enc tune=zerolatency key-int-max=5 ! h264parse ! " \
  "seecitvsink trigger=continuous location=\"%s\" keystore=\"%s\" " \
  "device-id=" DEVICE " sync-interval=0"

/* Returns a newly allocated path of the first file in @dir. */
static gchar *
first_file (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  gchar *path = NULL;

  fail_unless (d != NULL);
  if ((name = g_dir_read_name (d)) != NULL)
    path = g_build_filename (dir, name, NULL);
  g_dir_close (d);
  fail_unless (path != NULL, "no file in %s", dir);
  return path;
}

/* Runs `seecitv --keystore @keystore [--passphrase-file @pass_file]`
 * followed by the NULL-terminated arguments; returns its exit status. */
static gint
run_seecitv_on (const gchar * keystore, const gchar * pass_file, ...)
{
  GPtrArray *argv = g_ptr_array_new ();
  const gchar *arg;
  va_list ap;
  gint status;

  g_ptr_array_add (argv, (gpointer) "--keystore");
  g_ptr_array_add (argv, (gpointer) keystore);
  if (pass_file != NULL) {
    g_ptr_array_add (argv, (gpointer) "--passphrase-file");
    g_ptr_array_add (argv, (gpointer) pass_file);
  }
  va_start (ap, pass_file);
  while ((arg = va_arg (ap, const gchar *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  status = run_seecitv ((const gchar * const *) argv->pdata);
  g_ptr_array_free (argv, TRUE);
  return status;
}

/* Every `seecitv` command on @keystore (with @pass_file, or its master
 * key) and the clip in @clip_dir; ends with forgetting the device. */
static void
run_every_command (const gchar * keystore, const gchar * pass_file,
    const gchar * clip_dir)
{
  gchar *clip = first_file (clip_dir);
  gchar *out = tmp_path ("export.mkv");

  fail_unless_equals_int (run_seecitv_on (keystore, pass_file, "list",
          NULL), 0);
  fail_unless_equals_int (run_seecitv_on (keystore, pass_file, "list",
          "--json", NULL), 0);
  fail_unless_equals_int (run_seecitv_on (keystore, pass_file, "verify",
          NULL), 0);
  fail_unless_equals_int (run_seecitv_on (keystore, pass_file, "export",
          clip, "-o", out, NULL), 0);
  /* the tool did log at GST_DEBUG=*:9, so the search had something */
  fail_unless (strstr (tool_text->str, "seecitvdecrypt") != NULL,
      "export logged nothing of seecitvdecrypt");
  /* a usage error */
  fail_unless_equals_int (run_seecitv_on (keystore, pass_file, "purge",
          NULL), 2);
  fail_unless_equals_int (run_seecitv_on (keystore, pass_file, "forget",
          "--device", DEVICE, NULL), 0);
  /* the clip went with its key */
  fail_unless (run_seecitv_on (keystore, pass_file, "export", clip, "-o",
          out, "--force", NULL) != 0);
  g_unlink (out);
  g_free (out);
  g_free (clip);
}

/* A keystore made by `seecitv keys init` (master key file), a clip
 * recorded by seecitvsink, then every `seecitv` command; the master key
 * and the clip's data key appear nowhere. */
GST_START_TEST (test_sink_and_tool_master_key)
{
  gchar *keystore = tmp_path ("keys.db");
  gchar *key_path = seecitv_keystore_default_key_path (keystore);
  gchar *clips = tmp_path ("clips");
  gchar *desc, *master = NULL;
  gsize master_len = 0;
  GstElement *p;
  GString *props = g_string_new (NULL);

  fail_unless_equals_int (g_mkdir (clips, 0700), 0);
  collect_start ();
  check_canary ();
  fail_unless_equals_int (run_seecitv_on (keystore, NULL, "keys", "init",
          "--recordings", clips, NULL), 0);
  fail_unless (g_file_get_contents (key_path, &master, &master_len, NULL));
  fail_unless_equals_int (master_len, SEECITV_KEYSTORE_MASTER_KEY_SIZE);
  add_binary_secret ("master key", (guint8 *) master, master_len);

  desc = g_strdup_printf (SINK_RECORD, clips, keystore);
  p = launch (desc);
  run_to_eos (p, props);
  gst_object_unref (p);
  g_free (desc);
  add_clip_keys (keystore, NULL);

  run_every_command (keystore, NULL, clips);
  collect_stop ();
  assert_nothing_leaked (props);
  collect_free ();

  g_string_free (props, TRUE);
  g_free (master);
  g_free (clips);
  g_free (key_path);
  g_free (keystore);
}

GST_END_TEST;

/* A passphrase keystore made by `seecitv keys init`, a clip recorded by
 * seecitvcryptsink, every `seecitv` command, and a wrong passphrase (the
 * tool fails and says so): neither passphrase nor the clip's data key
 * appears anywhere. */
GST_START_TEST (test_tool_passphrase)
{
  gchar *keystore = tmp_path ("keys.db");
  gchar *pass_file = tmp_path ("pass");
  gchar *wrong_file = tmp_path ("wrong");
  gchar *clips = tmp_path ("clips");
  gchar *clip = g_build_filename (clips, "clip.sctv", NULL);
  gchar *pass = g_strdup_printf ("tulip %08x orbit %08x", g_random_int (),
      g_random_int ());
  gchar *wrong = g_strdup_printf ("maple %08x delta %08x", g_random_int (),
      g_random_int ());
  gchar *line, *desc, *extra;
  GstElement *p;
  GString *props = g_string_new (NULL);

  fail_unless_equals_int (g_mkdir (clips, 0700), 0);
  line = g_strdup_printf ("%s\n", pass);
  write_private (pass_file, line, -1);
  g_free (line);
  line = g_strdup_printf ("%s\n", wrong);
  write_private (wrong_file, line, -1);
  g_free (line);
  add_string ("passphrase", pass);
  add_text_secret ("passphrase text", pass);
  add_string ("wrong passphrase", wrong);
  add_text_secret ("wrong passphrase text", wrong);

  collect_start ();
  check_canary ();
  fail_unless_equals_int (run_seecitv_on (keystore, pass_file, "keys",
          "init", "--scrypt-log2-n", "10", NULL), 0);
  extra = g_strdup_printf ("passphrase-file=\"%s\"", pass_file);
  desc = g_strdup_printf (RECORD, clip, keystore, extra);
  p = launch (desc);
  run_to_eos (p, props);
  gst_object_unref (p);
  g_free (desc);
  g_free (extra);
  add_clip_keys (keystore, pass_file);
  fail_unless_equals_int (run_seecitv_on (keystore, wrong_file, "list",
          NULL), 1);
  fail_unless (run_seecitv_on (keystore, wrong_file, "verify", NULL) != 0);
  run_every_command (keystore, pass_file, clips);
  collect_stop ();
  assert_nothing_leaked (props);
  collect_free ();

  g_string_free (props, TRUE);
  g_free (wrong);
  g_free (pass);
  g_free (clip);
  g_free (clips);
  g_free (wrong_file);
  g_free (pass_file);
  g_free (keystore);
}

GST_END_TEST;

static void
assert_mode (const gchar * path, guint mode)
{
  struct stat st;

  fail_unless_equals_int (g_stat (path, &st), 0);
  fail_unless ((st.st_mode & 0777) == mode, "%s has mode %03o, not %03o",
      path, st.st_mode & 0777, mode);
}

/* The keystore, its master key file and clips are 0600 whatever the
 * umask; so is the keystore after the sink saved it (it is replaced by
 * rename). The elements create no directory (a missing one is an error),
 * so there is no directory mode to check. */
static void
check_modes (mode_t mask)
{
  gchar *sub = g_strdup_printf ("%s/u%03o", tmpdir, (guint) mask);
  gchar *keystore = g_build_filename (sub, "keys.db", NULL);
  gchar *key_path = seecitv_keystore_default_key_path (keystore);
  gchar *pass_ks = g_build_filename (sub, "pass.db", NULL);
  gchar *clip = g_build_filename (sub, "clip.sctv", NULL);
  gchar *missing = g_build_filename (sub, "new", "clip.sctv", NULL);
  gchar *desc, *newdir;
  guint8 master[SEECITV_KEYSTORE_MASTER_KEY_SIZE];
  SeecitvKeystoreKdfParams cheap = { 10, 8, 1 };
  SeecitvKeystore *ks;
  GError *err = NULL;
  GstElement *p;
  GstBus *bus;
  GstMessage *msg;
  mode_t old = umask (mask);

  fail_unless_equals_int (g_mkdir (sub, 0700), 0);
  fail_unless (seecitv_keystore_master_key_create (key_path, master, &err),
      "%s", err ? err->message : "");
  assert_mode (key_path, 0600);
  ks = seecitv_keystore_create_with_key (keystore, master, &err);
  fail_unless (ks != NULL, "%s", err ? err->message : "");
  seecitv_keystore_free (ks);
  assert_mode (keystore, 0600);
  ks = seecitv_keystore_create_with_passphrase (pass_ks, "x", 1, &cheap,
      &err);
  fail_unless (ks != NULL, "%s", err ? err->message : "");
  fail_unless (seecitv_keystore_add_device (ks, "d", &err));
  fail_unless (seecitv_keystore_save (ks, &err), "%s",
      err ? err->message : "");
  seecitv_keystore_free (ks);
  assert_mode (pass_ks, 0600);

  desc = g_strdup_printf (RECORD, clip, keystore, "");
  p = launch (desc);
  run_to_eos (p, NULL);
  gst_object_unref (p);
  g_free (desc);
  assert_mode (clip, 0600);
  assert_mode (keystore, 0600);
  assert_mode (key_path, 0600);

  /* a clip in a directory that does not exist: no directory is made */
  desc = g_strdup_printf (RECORD, missing, keystore, "");
  p = launch (desc);
  bus = gst_element_get_bus (p);
  gst_element_set_state (p, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_ERROR);
  gst_message_unref (msg);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (p);
  g_free (desc);
  newdir = g_path_get_dirname (missing);
  fail_if (g_file_test (newdir, G_FILE_TEST_EXISTS));
  g_free (newdir);

  umask (old);
  g_free (missing);
  g_free (clip);
  g_free (pass_ks);
  g_free (key_path);
  g_free (keystore);
  g_free (sub);
}

GST_START_TEST (test_file_modes)
{
  check_modes (022);
  check_modes (0);
}

GST_END_TEST;

static Suite *
security_secrets_suite (void)
{
  Suite *s = suite_create ("security-secrets");
  TCase *tc = tcase_create ("general");

  test_no_proxy ();
  g_setenv ("GST_DEBUG_NO_COLOR", "1", TRUE);
  test_asan_no_fork ();
  GST_DEBUG_CATEGORY_INIT (canary_debug, "seecitvcanary", 0, "test canary");
  /* every line goes to collect_log, none to stderr */
  gst_debug_remove_log_function (gst_debug_log_default);
  gst_debug_add_log_function (collect_log, NULL, NULL);
  /* GLib's channels, debug messages included (GstCheck has set its own
   * handlers for some domains by now; they print through g_print) */
  old_print = g_set_print_handler (collect_print);
  old_printerr = g_set_printerr_handler (collect_printerr);
  g_log_set_default_handler (collect_log_default, NULL);
  g_log_set_writer_func (collect_log_writer, NULL, NULL);
  g_log_set_debug_enabled (TRUE);

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_src_secrets);
  tcase_add_test (tc, test_src_url_credentials);
  tcase_add_test (tc, test_src_refused_secrets);
  tcase_add_test (tc, test_sink_and_tool_master_key);
  tcase_add_test (tc, test_tool_passphrase);
  tcase_add_test (tc, test_crypt_secrets_master_key);
  tcase_add_test (tc, test_crypt_secrets_passphrase);
  tcase_add_test (tc, test_file_modes);
  return s;
}

GST_CHECK_MAIN (security_secrets);
