/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * docs/privacy.md names, for each promise, the code that keeps it and the
 * tests that prove it. This test keeps those names true: in each line, a
 * `path` (a .c, .h, .cpp or .md of the source tree) must exist; a
 * `function()` after it on the same line must be defined in that file (its
 * name at the start of a line, as the project's style writes definitions);
 * a `test_name` after a test file must be one of its GST_START_TEST
 * tests. Every one of the six promises and the keystore-copy warning must
 * be there.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <string.h>

#ifndef SEECITV_SOURCE_ROOT
#error SEECITV_SOURCE_ROOT must name the source tree
#endif

static gboolean
is_identifier (const gchar * s, gsize n)
{
  gsize i;

  if (n == 0)
    return FALSE;
  for (i = 0; i < n; i++)
    if (!g_ascii_islower (s[i]) && !g_ascii_isdigit (s[i]) && s[i] != '_')
      return FALSE;
  return TRUE;
}

static gboolean
is_source_path (const gchar * s)
{
  return strchr (s, '/') != NULL && strchr (s, ' ') == NULL &&
      (g_str_has_suffix (s, ".c") || g_str_has_suffix (s, ".h") ||
      g_str_has_suffix (s, ".cpp") || g_str_has_suffix (s, ".md"));
}

/* Whether a line of @text starts with @line_start. */
static gboolean
has_line_starting (const gchar * text, const gchar * line_start)
{
  const gchar *p = text;
  gsize n = strlen (line_start);

  while ((p = strstr (p, line_start)) != NULL) {
    if (p == text || p[-1] == '\n')
      return TRUE;
    p += n;
  }
  return FALSE;
}

/* Source files read so far: relative path -> contents (NULL: missing). */
static const gchar *
source (GHashTable * cache, const gchar * rel)
{
  gchar *text = NULL, *path;

  if (g_hash_table_contains (cache, rel))
    return g_hash_table_lookup (cache, rel);
  path = g_build_filename (SEECITV_SOURCE_ROOT, rel, NULL);
  if (!g_file_get_contents (path, &text, NULL, NULL))
    text = NULL;
  g_free (path);
  g_hash_table_insert (cache, g_strdup (rel), text);
  return text;
}

/* Checks the references of one line; returns the number of problems and
 * adds the references checked to *refs. */
static guint
check_line (GHashTable * cache, const gchar * line, guint lineno,
    guint * refs)
{
  gchar **spans = g_strsplit (line, "`", -1);
  const gchar *file = NULL, *text = NULL;
  guint i, bad = 0;

  for (i = 1; spans[0] != NULL && spans[i] != NULL && spans[i + 1] != NULL;
      i += 2) {
    const gchar *s = spans[i];
    gsize n = strlen (s);

    if (is_source_path (s)) {
      file = s;
      text = source (cache, s);
      (*refs)++;
      if (text == NULL) {
        g_printerr ("privacy.md:%u: %s does not exist\n", lineno, s);
        bad++;
      }
    } else if (n > 2 && g_str_has_suffix (s, "()") &&
        is_identifier (s, n - 2)) {
      gchar *def = g_strndup (s, n - 2);
      gchar *start = g_strconcat (def, " (", NULL);

      (*refs)++;
      if (file == NULL) {
        g_printerr ("privacy.md:%u: %s names no file before it\n", lineno, s);
        bad++;
      } else if (text != NULL && !has_line_starting (text, start)) {
        g_printerr ("privacy.md:%u: %s is not defined in %s\n", lineno, s,
            file);
        bad++;
      }
      g_free (start);
      g_free (def);
    } else if (g_str_has_prefix (s, "test_") && is_identifier (s, n)) {
      gchar *decl = g_strdup_printf ("GST_START_TEST (%s)", s);

      (*refs)++;
      if (file == NULL || !g_str_has_prefix (file, "tests/")) {
        g_printerr ("privacy.md:%u: %s follows no test file\n", lineno, s);
        bad++;
      } else if (text != NULL && strstr (text, decl) == NULL) {
        g_printerr ("privacy.md:%u: %s is not a test of %s\n", lineno, s,
            file);
        bad++;
      }
      g_free (decl);
    }
  }
  g_strfreev (spans);
  return bad;
}

GST_START_TEST (test_privacy_references)
{
  static const gchar *const sections[] = {
    "## 1. ", "## 2. ", "## 3. ", "## 4. ", "## 5. ", "## 6. ",
    "## A copy of the keystore defeats shredding",
  };
  gchar *path = g_build_filename (SEECITV_SOURCE_ROOT, "docs", "privacy.md",
      NULL);
  GHashTable *cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  gchar *text = NULL, **lines;
  guint i, bad = 0, refs = 0;

  fail_unless (g_file_get_contents (path, &text, NULL, NULL), "%s", path);
  for (i = 0; i < G_N_ELEMENTS (sections); i++)
    if (!has_line_starting (text, sections[i])) {
      g_printerr ("privacy.md: no section \"%s\"\n", sections[i]);
      bad++;
    }
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i] != NULL; i++)
    bad += check_line (cache, lines[i], i + 1, &refs);
  g_printerr ("privacy.md: %u references checked\n", refs);
  fail_unless (bad == 0, "docs/privacy.md: %u wrong reference(s), listed "
      "above", bad);
  /* the page is mostly references: an empty one must not pass */
  fail_unless (refs >= 60, "only %u references", refs);
  g_strfreev (lines);
  g_free (text);
  g_hash_table_unref (cache);
  g_free (path);
}

GST_END_TEST;

/* The checker itself finds a wrong function, a wrong test and a missing
 * file. */
GST_START_TEST (test_checker_can_fail)
{
  GHashTable *cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  guint refs = 0;

  fail_unless_equals_int (check_line (cache, "| `tools/seecitv/devices.c` "
          "`cmd_forget()` | `tests/check/tools/seecitv.c` `test_forget` |", 1,
          &refs), 0);
  fail_unless_equals_int (refs, 4);
  fail_unless_equals_int (check_line (cache, "`tools/seecitv/devices.c` "
          "`no_such_function()`", 2, &refs), 1);
  fail_unless_equals_int (check_line (cache, "`tests/check/tools/seecitv.c` "
          "`test_no_such_test`", 3, &refs), 1);
  fail_unless_equals_int (check_line (cache, "`tools/no-such-file.c`", 4,
          &refs), 1);
  fail_unless_equals_int (check_line (cache, "`cmd_forget()` alone", 5,
          &refs), 1);
  g_hash_table_unref (cache);
}

GST_END_TEST;

static Suite *
privacy_suite (void)
{
  Suite *s = suite_create ("docs/privacy");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_checker_can_fail);
  tcase_add_test (tc, test_privacy_references);
  return s;
}

GST_CHECK_MAIN (privacy);
