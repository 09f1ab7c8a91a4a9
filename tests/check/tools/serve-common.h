/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What the seecitv-serve tests share: a webhook receiver on 127.0.0.1 (a
 * SoupServer in a thread of its own that records each request, checks its
 * HMAC-SHA256 signature with OpenSSL directly and answers scripted
 * statuses), the tool run as a subprocess from a config file, and an RTSP
 * client (rtspsrc) that returns decoded I420 frames or the error it got.
 */
#ifndef __SERVE_COMMON_H__
#define __SERVE_COMMON_H__

#include <gst/check/gstcheck.h>
#include <gst/video/video.h>
#include <gio/gio.h>

#include "../common/testfs.h"

G_BEGIN_DECLS

/* ---- webhook receiver ---- */

typedef struct
{
  gchar *id;                    /* X-Seecitv-Event-Id */
  gchar *body;
  gboolean signature_ok;        /* fresh, and POST, and application/json */
  gint64 timestamp;             /* X-Seecitv-Timestamp, Unix s (0: none) */
  gchar *signature;             /* X-Seecitv-Signature as received */
  guint status;                 /* what the receiver answered */
} Received;

typedef struct
{
  guint16 port;
  gchar *secret;
  GThread *thread;
  GMainContext *ctx;
  GMainLoop *loop;
  gpointer server;              /* SoupServer, receiver thread only */
  GMutex lock;
  GCond cond;
  gboolean ready;
  GPtrArray *received;          /* of Received; lock */
  GHashTable *script;           /* event id → statuses (strv); lock */
} Receiver;

/* A free TCP port on 127.0.0.1, for a receiver that starts later. */
guint16 free_port (void);

/* A receiver for @port (0: any), not listening yet: see receiver_up (). */
Receiver *receiver_new (guint16 port, const gchar * secret);
/* Starts listening; with port 0, r->port is the port it got. */
void receiver_up (Receiver * r);
/* The next requests for event @id are answered with @statuses in turn
 * ("503,429"), then 200. */
void receiver_script (Receiver * r, const gchar * id,
    const gchar * statuses);
guint receiver_count (Receiver * r);
void receiver_free (Receiver * r);

/* ---- files ---- */

/* Writes @contents to DIR/@name with mode 0600; returns the path. */
gchar *write_file (const gchar * dir, const gchar * name,
    const gchar * contents);

/* ---- seecitv-serve as a subprocess ---- */

typedef struct
{
  GSubprocess *proc;
  GDataInputStream *out;        /* stdout and stderr, merged */
  GString *output;              /* everything read so far */
  GHashTable *urls;             /* device id → rtsp URL */
} Serve;

/* Runs SEECITV_SERVE_TOOL --config @config and waits for an rtsp: line
 * for each of the @n_devices mounts (or the end of its output). */
Serve *serve_start (const gchar * config, guint n_devices);
/* serve_start () for a run with many clients and threads: under ASan
 * without leak detection, as LeakSanitizer's tracer itself crashes
 * (SIGSEGV in the tracer, "LeakSanitizer has encountered a fatal error")
 * at the exit of such runs (gcc 12's libasan on glibc 2.36). A lighter
 * run of the same code keeps checking leaks. */
Serve *serve_start_busy (const gchar * config, guint n_devices);
/* Reads the tool's output until a line contains @needle; FALSE if the
 * output ended first. */
gboolean serve_wait_line (Serve * s, const gchar * needle);
/* SIGTERM, then reads the rest of the output; returns the exit status
 * (-1 if it did not exit normally). */
gint serve_stop (Serve * s);
void serve_free (Serve * s);

/* Runs the tool to completion with @args (NULL-terminated) and returns its
 * exit status; *@output gets stdout and stderr. */
gint serve_run (const gchar * const *args, gchar ** output);

/* ---- RTSP client ---- */

/* Plays @url over TCP with @user/@pass (may be NULL) until @n frames were
 * decoded, an error, or @timeout_s. Returns the frames received, and the
 * last one (I420) in *@last if asked; *@error gets the pipeline's error. */
guint rtsp_receive (const gchar * url, const gchar * user,
    const gchar * pass, guint n, guint timeout_s, GstBuffer ** last,
    GstVideoInfo * info, GError ** error);

G_END_DECLS

#endif
