/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The `seecitv` command's shared parts: exit codes, the global options,
 * the helpers every command group uses (tools/seecitv/seecitv.c) and each
 * group's commands: keys.c (keys init, keys rotate), clips.c (list,
 * verify, export, audit, purge), devices.c (forget, pair, unpair,
 * devices), sheet.c (sheet), remote.c (upload, list --remote and the
 * remote side of purge, forget and export).
 */
#ifndef __SEECITV_CLI_H__
#define __SEECITV_CLI_H__

#include <glib.h>

#include <seecitv/crypto/clip.h>
#include <seecitv/crypto/keystore.h>

G_BEGIN_DECLS

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

/* --keystore (never NULL once main () parsed the options) and
 * --passphrase-file (NULL: the master key file). */
extern gchar *opt_keystore;
extern gchar *opt_passphrase_file;

/* seecitv.c (helpers) */
void print_error (const gchar * what, const GError * err);
void print_file_error (const gchar * what, const gchar * path,
    const GError * err);
int usage_error (gboolean hint, const gchar * msg);
gboolean parse_command (const gchar * name, GOptionEntry * entries,
    int *argc, char ***argv, int *status);
gchar *hex_encode (const guint8 * data, gsize len);
SeecitvKeystore *open_keystore (void);
gchar *format_time (gint64 usec);
gboolean resolve_clip (SeecitvKeystore * ks, const gchar * arg,
    guint8 * clip_id, SeecitvKeystoreClipInfo ** info, gchar ** path,
    GError ** error);
void json_string (GString * s, const gchar * str);
gboolean parse_json_command (const gchar * name, int *argc, char ***argv,
    gboolean * json, int *status);

/* keys.c */
gchar *load_new_passphrase (const gchar * new_passphrase_file, gsize * len);
gboolean rotate_keystore (const gchar * pass, gsize len);
int cmd_keys (int argc, char **argv);

/* clips.c */
int cmd_list (int argc, char **argv);
int cmd_verify (int argc, char **argv);
gchar *open_clip_for_output (const gchar * cmd, const gchar * arg,
    const gchar * output, gboolean force);
int cmd_export (int argc, char **argv);
int cmd_audit (int argc, char **argv);
int cmd_purge (int argc, char **argv);

/* devices.c */
int cmd_forget (int argc, char **argv);
int cmd_pair (int argc, char **argv);
int cmd_unpair (int argc, char **argv);
int cmd_devices (int argc, char **argv);

/* sheet.c */
int cmd_sheet (int argc, char **argv);

G_END_DECLS

#endif /* __SEECITV_CLI_H__ */
