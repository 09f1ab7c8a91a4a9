/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * File-system helpers shared by the GstCheck tests: a fresh temporary
 * directory, and a directory tree removed. GstCheck asserts inside.
 */
#ifndef __SEECITV_TESTFS_H__
#define __SEECITV_TESTFS_H__

#include <glib.h>

G_BEGIN_DECLS

/* g_dir_make_tmp (@tmpl), asserted to succeed (g_free ()). */
gchar *test_tmpdir_new (const gchar * tmpl);
/* Removes @path and everything under it; symbolic links are unlinked,
 * never followed. Errors are ignored (it is clean-up). */
void test_remove_tree (const gchar * path);

G_END_DECLS

#endif /* __SEECITV_TESTFS_H__ */
