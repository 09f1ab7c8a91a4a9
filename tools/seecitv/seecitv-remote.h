/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The seecitv command's off-site side (tools/seecitv/remote.c): `upload`,
 * `list --remote`, remote deletion for `purge` and `forget`, and `export`
 * of an s3:// clip. Targets are the ones seecitvsink remembered beside the
 * keystore (docs/upload.md), so every command still needs only --keystore.
 */
#ifndef __SEECITV_REMOTE_H__
#define __SEECITV_REMOTE_H__

#include <glib.h>
#include <seecitv/crypto/keystore.h>

G_BEGIN_DECLS

/* `seecitv upload [--timeout S]`; argv[0] is "upload". Exit status. */
int seecitv_remote_cmd_upload (const gchar * keystore, int argc, char **argv);
/* TRUE when a `list` command line asks for --remote. */
gboolean seecitv_remote_wants_list (int argc, char **argv);
/* `seecitv list --remote [--device ID]`. Exit status. */
int seecitv_remote_cmd_list (const gchar * keystore, int argc, char **argv);
/* After a clip was purged locally: its remote copies and queued upload.
 * FALSE (after printing why) when the storage could not be reached. */
gboolean seecitv_remote_purge_clip (const gchar * keystore,
    const gchar * path);
/* After forget: every remote object and queued upload of the device. */
gboolean seecitv_remote_forget_device (const gchar * keystore,
    const gchar * device_id);
/* If *clip is an s3:// URI, downloads it to a private temporary file and
 * points *clip there (*tmp receives the path to pass to _fetch_done).
 * FALSE after printing why. */
gboolean seecitv_remote_fetch (const gchar * keystore, char **clip,
    gchar ** tmp);
void seecitv_remote_fetch_done (gchar * tmp);

/* The generation marker's off-site copy (docs/privacy.md): the object
 * "<prefix>/seecitv-marker" on every remembered target. Each copy is
 * compared with @ks (opened from @keystore, its local marker checked
 * already); FALSE, after printing "@cmd refused (reason rollback)", when
 * one names a later keystore or is not this keystore's. When every target
 * answered and a copy is missing or older, @ks is saved once more,
 * starting a new epoch of generations, and that marker is put on each.
 * A target that cannot be read gets a warning (only the local marker
 * vouches then) and no copy is replaced. With @force (keys
 * accept-restore, keys rotate) copies are replaced without being
 * compared. TRUE without targets or marker, or built without S3. */
gboolean seecitv_remote_marker_sync (const gchar * keystore,
    SeecitvKeystore * ks, const gchar * cmd, gboolean force);

G_END_DECLS

#endif /* __SEECITV_REMOTE_H__ */
