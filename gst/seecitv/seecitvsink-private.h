/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvsink's instance struct and the calls between its files, one job
 * each:
 *
 * - gstseecitvsink.c: GObject glue, properties, the sink pad's events,
 *   state changes, the bin's message handler (which only dispatches);
 * - seecitvsinkgate.c: the gate (trigger requests, the pre-roll ring,
 *   which encoded frames go into a clip, ENOSPC while streaming);
 * - seecitvsinkclip.c: a clip's life: open, close, final name and index
 *   entry ("publish"), the -clip-opened/-closed messages, our EOS;
 * - seecitvsinkencoder.c: the inner encoder for raw input;
 * - seecitvsinkretention.c: retention, on its own thread (woken when a
 *   clip closes), plus the streaming thread after ENOSPC;
 * - seecitvsinkupload.c: off-site copies, called explicitly on
 *   clip-opened, clip-closed and our EOS.
 *
 * Threads: the streaming thread (chain and events of the sink pad and of
 * the gate pad after the inner encoder), splitmuxsink's threads (bus
 * messages of the clip elements, synchronous, and format-location), the
 * retention thread, gst_element_call_async () threads (clip removal, the
 * upload drain) and the application's (properties, signals, states).
 *
 * Lock order (take them in this order, never the other way round):
 *
 *   GST_STATE_LOCK -> purge_lock -> clips_lock -> object lock
 *
 * trigger_lock and the object lock are leaves: nothing is taken under
 * them. The object lock guards the properties and tag_device_id and is
 * held for copies only. No lock is held while
 * pushing, posting, emitting, changing a child's state or touching the
 * keystore or the file system, except purge_lock, which a purge holds
 * while it deletes keys and files (that is what it serialises), and
 * sink_flag_lock (below): GST_STATE_LOCK -> sink_flag_lock -> object lock.
 */
#ifndef __SEECITV_SINK_PRIVATE_H__
#define __SEECITV_SINK_PRIVATE_H__

#include "gstseecitvsink.h"

#include <seecitv/ring.h>
#ifdef SEECITV_HAVE_KEYSTORE
#include <seecitv/crypto/keystore.h>
#endif

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (seecitv_sink_debug);

#define SEECITV_TAG_DEVICE_ID "seecitv-device-id"
#define CLIP_SUFFIX ".seecitv"
#define TEMP_SUFFIX ".part"
/* After ENOSPC, free at least this much (or the interrupted clip's size). */
#define DISK_FULL_MIN_FREE (1024 * 1024)

/* One file a clip element writes (a clip element writes several when
 * max-clip-duration splits), by its temporary path in the infos table. */
typedef struct
{
  gchar *final;                 /* the name it gets once complete */
  guint64 start;                /* running time of its first frame */
  guint64 bytes;                /* from seecitvcryptsink */
} SeecitvSinkFile;

void seecitv_sink_file_free (SeecitvSinkFile * file);

/* One clip element (a splitmuxsink child), one struct under a GQuark on
 * it (seecitv_sink_clip_get ()). Fields protected by clips_lock. */
typedef struct
{
  gchar *temp;                  /* the file being written */
  gboolean nospace;             /* a write failed with ENOSPC */
  gboolean eos;                 /* done: its EOS came back, or it failed */
  guint64 media_end;            /* end of the last frame sent (running
                                 * time), set when it is sent EOS */
  guint64 last_duration;        /* that frame's duration */
} SeecitvSinkClip;

struct _SeecitvSink
{
  GstBin parent;

  GstPad *sinkpad;
  /* Not an element pad: linked to the open clip's splitmuxsink. */
  GstPad *srcpad;

  /* Properties, protected by the object lock. */
  gchar *location;
  gchar *keystore;
  gchar *passphrase_file;
  gchar *device_id;
  gboolean device_id_set;       /* set explicitly: wins over the tag */
  gchar *tag_device_id;         /* from upstream, or NULL */
  SeecitvSinkTrigger trigger;
  guint64 pre_roll;
  guint64 post_roll;
  guint64 max_clip_duration;
  guint64 sync_interval;
  guint64 retention;
  guint64 max_size;
  gchar *encoder_desc;
  GstElement *encoder_element;

  /* Trigger requests, protected by trigger_lock (set by the event handler
   * and the action signals, read by the chain function). */
  GMutex trigger_lock;
  gboolean want_start;
  guint64 onset;
  guint64 stop_at;              /* GST_CLOCK_TIME_NONE: no end known */
  guint64 last_rt;              /* newest frame, for the signals */

  /* Streaming state, used by the streaming thread only (under the sink
   * pad's stream lock). */
  GstSegment segment;
  SeecitvRing *ring;
  GstElement *current;          /* the open clip's splitmuxsink, or NULL */
  guint64 clip_rt;              /* newest frame sent into the clip */
  guint64 clip_end;             /* latest end (running time + duration) of a
                                 * frame sent into the clip, or NONE */
  guint64 clip_last_duration;   /* that frame's duration */
  gboolean raw;                 /* raw input, encoded inside */
  GstPad *raw_srcpad;           /* not an element pad: into the encoder */
  GstPad *gate_pad;             /* not an element pad: from the encoder */
  GList *encoders;              /* encoder and parser in the bin, owned */

  /* Set by the bus handler when the open clip's write failed with ENOSPC
   * (atomic): the streaming thread then purges and goes on. */
  gint disk_full;
  /* ENOSPC handled without deleting anything since a clip last closed
   * (atomic). */
  gint nospace_idle;

  /* Protected by clips_lock. */
  GMutex clips_lock;
  GList *closing;               /* splitmuxsinks sent EOS, owned refs */
  GHashTable *infos;            /* temporary path -> SeecitvSinkFile */
  gboolean final_eos;
  guint32 eos_seqnum;
  GstMessage *held_eos;         /* our EOS, waiting for a retention pass */
  gchar *last_path;
  GHashTable *recent;           /* final path -> monotonic close time */
  GHashTable *announcing;       /* final paths not announced closed yet */
  guint64 max_clip_bytes;       /* largest clip closed since we started */
  GThread *retention_thread;
  GCond retention_cond;
  gboolean retention_stop;
  gboolean retention_kick;
  guint retention_asked;        /* passes asked for ... */
  guint retention_done;         /* ... and run */
  guint64 purge_need;           /* bytes to free (disk full), for the thread */

  /* Held while our EOS is posted (seecitv_sink_post_own_eos ()) and while
   * a clip element is removed and our SINK flag put back: GstBin drops a
   * bin's SINK flag while it removes its last sink child, and a parent bin
   * that reads the flag then takes our EOS for a non-sink's and never
   * posts its own (a pipeline waiting for EOS forever: seen once in CI
   * under ASan, and with a sleep put between the two). */
  GMutex sink_flag_lock;

  /* Serialises purges; guards pending_keys and disk_full_warned. */
  GMutex purge_lock;
  GPtrArray *pending_keys;      /* clip ids (g_bytes) whose deletion failed */
  gboolean disk_full_warned;
};

/* seecitvsinkgate.c: the gate. */
/* Called with trigger_lock held. */
void seecitv_sink_request_start (SeecitvSink * self, guint64 onset);
void seecitv_sink_request_stop (SeecitvSink * self, guint64 end,
    guint64 post_roll);
gboolean seecitv_sink_trigger_is (SeecitvSink * self,
    SeecitvSinkTrigger trigger);
guint64 seecitv_sink_get_post_roll (SeecitvSink * self);
/* Streaming thread: an encoded frame, an event for the gate. */
GstFlowReturn seecitv_sink_gate_push (SeecitvSink * self, GstBuffer * buf);
gboolean seecitv_sink_gate_handle_event (SeecitvSink * self,
    GstEvent * event);
/* The gate pad's functions (after the inner encoder). */
GstFlowReturn seecitv_sink_gate_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buf);
gboolean seecitv_sink_gate_event (GstPad * pad, GstObject * parent,
    GstEvent * event);

/* seecitvsinkclip.c: clips. */
/* The device id clips are named and keyed by. Object lock held. */
const gchar *seecitv_sink_device_id_unlocked (SeecitvSink * self);
GstElement *seecitv_sink_make (SeecitvSink * self, const gchar * factory);
/* Streaming thread. */
gboolean seecitv_sink_open_clip (SeecitvSink * self);
void seecitv_sink_close_clip (SeecitvSink * self);
/* At start, no lock held: the clips a crash interrupted in location
 * (`.NAME.part` files no writer holds locked) get their final names,
 * their index entries follow; "-clip-recovered" for each. */
void seecitv_sink_recover_clips (SeecitvSink * self);
/* The clip element's state; clips_lock held. */
SeecitvSinkClip *seecitv_sink_clip_get (GstElement * split);
void seecitv_sink_clip_ended (SeecitvSink * self, GstElement * split);
void seecitv_sink_finish_stopped_clip (SeecitvSink * self,
    GstElement * split);
/* clips_lock held; returns our EOS to post (outside the lock), or NULL. */
GstMessage *seecitv_sink_maybe_eos_unlocked (SeecitvSink * self,
    guint pending);
guint seecitv_sink_count_closing_unlocked (SeecitvSink * self,
    GstElement * done);
/* Posts our EOS (transfer full), after the upload drain if any. */
void seecitv_sink_post_eos (SeecitvSink * self, GstMessage * eos);
/* Removes the clip element @split (stopped) from us, if still ours, and
 * flags us a sink again, under sink_flag_lock. */
void seecitv_sink_remove_clip_element (SeecitvSink * self,
    GstElement * split);
/* Posts our EOS message @eos (transfer full) now, under sink_flag_lock;
 * every post of our EOS goes through here. Any thread. */
void seecitv_sink_post_own_eos (GstElement * sink, GstMessage * eos);
/* The bin's message handler, for messages of clip elements: TRUE when
 * @msg was taken (and unreffed); else *@post may receive one of ours to
 * post after the parent class handled @msg. */
gboolean seecitv_sink_clip_message (SeecitvSink * self, GstMessage * msg,
    GstMessage ** post);
/* Posts "-clip-opened"/"-clip-closed" (transfer full), telling the
 * upload first; after "-clip-closed", with @retention, wakes retention. */
void seecitv_sink_post_clip_message (SeecitvSink * self, GstMessage * msg,
    gboolean retention);

/* seecitvsinkencoder.c: streaming thread, on raw caps. */
gboolean seecitv_sink_setup_encoder (SeecitvSink * self);

/* seecitvsinkretention.c. */
/* Free space to keep in location: room for the next clip. */
guint64 seecitv_sink_reserve (SeecitvSink * self);
guint64 seecitv_sink_free_space (const gchar * dir);
/* Any thread, no lock held: applies retention (and frees @need_free
 * bytes); returns how many clips were deleted. */
guint seecitv_sink_purge (SeecitvSink * self, guint64 need_free);
void seecitv_sink_retention_start (SeecitvSink * self);
void seecitv_sink_retention_stop (SeecitvSink * self);
/* Wakes the retention thread for a pass (clips_lock held), freeing at
 * least @need bytes; our EOS waits for that pass. */
void seecitv_sink_retention_kick_unlocked (SeecitvSink * self, guint64 need);
#ifdef SEECITV_HAVE_KEYSTORE
/* Opens @keystore once and applies @change (seecitv_keystore_update ()).
 * Any thread, no lock held. */
gboolean seecitv_sink_keystore_update (const gchar * keystore,
    const gchar * passphrase_file, SeecitvKeystoreChangeFunc change,
    gpointer data, GError ** err);
#endif

G_END_DECLS

#endif /* __SEECITV_SINK_PRIVATE_H__ */
