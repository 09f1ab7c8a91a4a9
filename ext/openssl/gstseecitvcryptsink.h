/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvcryptsink: the GObject side of the clip writer (clip.h) and its
 * keystore bookkeeping (keystore.h). The format is docs/clip-format.md.
 */
#ifndef __GST_SEECITV_CRYPT_SINK_H__
#define __GST_SEECITV_CRYPT_SINK_H__

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>

#include <seecitv/crypto/clip.h>

G_BEGIN_DECLS

#define SEECITV_TYPE_CRYPT_SINK (seecitv_crypt_sink_get_type ())
G_DECLARE_FINAL_TYPE (SeecitvCryptSink, seecitv_crypt_sink, SEECITV,
    CRYPT_SINK, GstBaseSink)

struct _SeecitvCryptSink
{
  GstBaseSink parent;

  /* properties, protected by the object lock */
  gchar *location;
  gchar *keystore;
  gchar *passphrase_file;
  gchar *device_id;
  guint64 sync_interval;
  guint chunk_size;
  gboolean seal_on_stop;
  gboolean started;             /* start() ran: READY-only properties frozen */

  /* stream state: start/stop and the streaming thread (serialised by the
   * base class's stream lock) */
  gchar *cur_location;          /* copies taken at start() */
  gchar *cur_keystore;
  gchar *cur_passphrase_file;
  int fd;
  SeecitvClipWriter *writer;
  SeecitvClipIds ids;
  gboolean finished;            /* EOS sealed the final chunk */
  gboolean lost;                /* a write or sync failed: never sealed */
  GstClockTime last_sync_rt;    /* running time of the last sync */
  gint64 last_sync_mono;        /* g_get_monotonic_time() of the last sync */
  gboolean dirty;               /* bytes appended since the last sync */
};

GST_ELEMENT_REGISTER_DECLARE (seecitvcryptsink);

G_END_DECLS

#endif /* __GST_SEECITV_CRYPT_SINK_H__ */
