/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * docs/elements.md against the plugins in the build: for every seecitv
 * element, the "plugin" table (plugin, type, parent class), the
 * "property" table (name, type, default, flags, range of every property
 * the element's own class installs), the "pad" table (name, direction,
 * presence, caps of every pad template) and the "signal" table (name,
 * flags, return type, arguments of every signal the element's class adds)
 * must match, both ways: an undocumented property, a documented one that
 * does not exist and a wrong default all fail. On a mismatch the test
 * prints the row that would be correct (for properties with the blurb as
 * description), so the document can be updated mechanically.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <string.h>

#ifndef SEECITV_ELEMENTS_DOC
#error SEECITV_ELEMENTS_DOC must name docs/elements.md
#endif

static const gchar *const elements[] = {
  "seecitvsrc", "seecitvmotion", "seecitvredact", "seecitvcryptsink",
  "seecitvdecrypt", "seecitvsink",
};

/* ---- the markdown side ---- */

/* One element's section: table name (first header cell) -> GHashTable of
 * key (first cell) -> GStrv of cells; duplicates are counted. */
typedef struct
{
  GHashTable *tables;
  guint duplicates;
  /* names in backticks in the paragraph starting with "Inherited" */
  GHashTable *inherited;
} Section;

static void
section_free (Section * s)
{
  g_hash_table_unref (s->tables);
  if (s->inherited != NULL)
    g_hash_table_unref (s->inherited);
  g_free (s);
}

/* Splits "| a | b \| c | d |" into trimmed cells, honouring "\|"; a cell
 * written as `x` loses its backticks. */
static GStrv
split_row (const gchar * line)
{
  GPtrArray *cells = g_ptr_array_new ();
  GString *cell = NULL;
  const gchar *p = line;

  while (*p == ' ')
    p++;
  if (*p != '|')
    goto done;
  for (p++; *p != '\0'; p++) {
    if (cell == NULL)
      cell = g_string_new (NULL);
    if (p[0] == '\\' && p[1] == '|') {
      g_string_append_c (cell, '|');
      p++;
    } else if (*p == '|') {
      gchar *c = g_strstrip (g_string_free (cell, FALSE));
      gsize n = strlen (c);

      if (n >= 2 && c[0] == '`' && c[n - 1] == '`'
          && strchr (c + 1, '`') == c + n - 1) {
        memmove (c, c + 1, n - 2);
        c[n - 2] = '\0';
      }
      g_ptr_array_add (cells, c);
      cell = NULL;
    } else {
      g_string_append_c (cell, *p);
    }
  }
  if (cell != NULL)
    g_string_free (cell, TRUE);
done:
  g_ptr_array_add (cells, NULL);
  return (GStrv) g_ptr_array_free (cells, FALSE);
}

static gboolean
is_separator (GStrv cells)
{
  return cells[0] != NULL && g_str_has_prefix (cells[0], "---");
}

/* Adds every `span` of @line to @set. */
static void
add_code_spans (GHashTable * set, const gchar * line)
{
  gchar **parts = g_strsplit (line, "`", -1);
  guint i;

  for (i = 1; parts[0] != NULL && parts[i] != NULL && parts[i + 1] != NULL;
      i += 2)
    g_hash_table_add (set, g_strdup (parts[i]));
  g_strfreev (parts);
}

/* Sections keyed by element name (a "## name" heading). */
static GHashTable *
parse_doc (const gchar * path)
{
  GHashTable *sections = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, (GDestroyNotify) section_free);
  Section *cur = NULL;
  GHashTable *table = NULL;
  gboolean inherited = FALSE;
  gchar *text = NULL, **lines, **l;
  GError *err = NULL;

  fail_unless (g_file_get_contents (path, &text, NULL, &err), "%s: %s",
      path, err ? err->message : "");
  lines = g_strsplit (text, "\n", -1);
  for (l = lines; *l != NULL; l++) {
    if (g_str_has_prefix (*l, "## ")) {
      gchar *name = g_strstrip (g_strdelimit (g_strdup (*l + 3), "`", ' '));

      cur = g_new0 (Section, 1);
      cur->tables = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
          (GDestroyNotify) g_hash_table_unref);
      g_hash_table_replace (sections, name, cur);
      table = NULL;
    } else if (g_str_has_prefix (g_strchug (*l), "|") && cur != NULL) {
      GStrv cells = split_row (*l);

      if (cells[0] == NULL || is_separator (cells)) {
        g_strfreev (cells);
        continue;
      }
      if (table == NULL) {
        table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
            (GDestroyNotify) g_strfreev);
        g_hash_table_replace (cur->tables, g_strdup (cells[0]), table);
        g_strfreev (cells);
      } else {
        if (g_hash_table_contains (table, cells[0]))
          cur->duplicates++;
        g_hash_table_replace (table, g_strdup (cells[0]), cells);
      }
    } else {
      table = NULL;
      if (cur != NULL && g_str_has_prefix (*l, "Inherited")) {
        inherited = TRUE;
        if (cur->inherited == NULL)
          cur->inherited = g_hash_table_new_full (g_str_hash, g_str_equal,
              g_free, NULL);
      } else if (**l == '\0') {
        inherited = FALSE;
      }
      if (inherited)
        add_code_spans (cur->inherited, *l);
    }
  }
  g_strfreev (lines);
  g_free (text);
  return sections;
}

/* ---- the plugin side: each row as the document must have it ---- */

static gchar *
format_double (gdouble v)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup (g_ascii_formatd (buf, sizeof (buf), "%g", v));
}

static gchar *
enum_nicks (GType type, const gchar * sep)
{
  GString *s = g_string_new (NULL);
  GEnumClass *ec;
  guint i;

  ec = g_type_class_ref (type);
  for (i = 0; i < ec->n_values; i++)
    g_string_append_printf (s, "%s%s", i ? sep : "",
        ec->values[i].value_nick);
  g_type_class_unref (ec);
  return g_string_free (s, FALSE);
}

static gchar *
flags_nicks (GType type, guint value, gboolean all)
{
  GString *s = g_string_new (NULL);
  GFlagsClass *fc = g_type_class_ref (type);
  guint i;

  for (i = 0; i < fc->n_values; i++)
    if (all || (value & fc->values[i].value) == fc->values[i].value)
      g_string_append_printf (s, "%s%s", s->len ? (all ? ", " : "+") : "",
          fc->values[i].value_nick);
  g_type_class_unref (fc);
  return g_string_free (s, FALSE);
}

static gchar *
format_default (GParamSpec * pspec)
{
  const GValue *v = g_param_spec_get_default_value (pspec);
  GType t = G_PARAM_SPEC_VALUE_TYPE (pspec);

  switch (G_TYPE_FUNDAMENTAL (t)) {
    case G_TYPE_STRING:
      return g_value_get_string (v) ?
          g_strdup_printf ("\"%s\"", g_value_get_string (v)) :
          g_strdup ("NULL");
    case G_TYPE_BOOLEAN:
      return g_strdup (g_value_get_boolean (v) ? "true" : "false");
    case G_TYPE_INT:
      return g_strdup_printf ("%d", g_value_get_int (v));
    case G_TYPE_UINT:
      return g_strdup_printf ("%u", g_value_get_uint (v));
    case G_TYPE_LONG:
      return g_strdup_printf ("%ld", g_value_get_long (v));
    case G_TYPE_ULONG:
      return g_strdup_printf ("%lu", g_value_get_ulong (v));
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, g_value_get_int64 (v));
    case G_TYPE_UINT64:
      return g_strdup_printf ("%" G_GUINT64_FORMAT, g_value_get_uint64 (v));
    case G_TYPE_FLOAT:
      return format_double (g_value_get_float (v));
    case G_TYPE_DOUBLE:
      return format_double (g_value_get_double (v));
    case G_TYPE_ENUM:{
      GEnumClass *ec = g_type_class_ref (t);
      GEnumValue *ev = g_enum_get_value (ec, g_value_get_enum (v));
      gchar *r = g_strdup (ev ? ev->value_nick : "?");

      g_type_class_unref (ec);
      return r;
    }
    case G_TYPE_FLAGS:
      return flags_nicks (t, g_value_get_flags (v), FALSE);
    default:
      return g_strdup ("none");
  }
}

#define RANGE(spec_type, fmt, p) \
  g_strdup_printf (fmt ".." fmt, spec_type (p)->minimum, spec_type (p)->maximum)

static gchar *
format_range (GParamSpec * p)
{
  if (G_IS_PARAM_SPEC_INT (p))
    return RANGE (G_PARAM_SPEC_INT, "%d", p);
  if (G_IS_PARAM_SPEC_UINT (p))
    return RANGE (G_PARAM_SPEC_UINT, "%u", p);
  if (G_IS_PARAM_SPEC_LONG (p))
    return RANGE (G_PARAM_SPEC_LONG, "%ld", p);
  if (G_IS_PARAM_SPEC_ULONG (p))
    return RANGE (G_PARAM_SPEC_ULONG, "%lu", p);
  if (G_IS_PARAM_SPEC_INT64 (p))
    return RANGE (G_PARAM_SPEC_INT64, "%" G_GINT64_FORMAT, p);
  if (G_IS_PARAM_SPEC_UINT64 (p))
    return RANGE (G_PARAM_SPEC_UINT64, "%" G_GUINT64_FORMAT, p);
  if (G_IS_PARAM_SPEC_DOUBLE (p) || G_IS_PARAM_SPEC_FLOAT (p)) {
    gdouble lo = G_IS_PARAM_SPEC_DOUBLE (p) ?
        G_PARAM_SPEC_DOUBLE (p)->minimum : G_PARAM_SPEC_FLOAT (p)->minimum;
    gdouble hi = G_IS_PARAM_SPEC_DOUBLE (p) ?
        G_PARAM_SPEC_DOUBLE (p)->maximum : G_PARAM_SPEC_FLOAT (p)->maximum;
    gchar *a = format_double (lo), *b = format_double (hi);
    gchar *r = g_strconcat (a, "..", b, NULL);

    g_free (a);
    g_free (b);
    return r;
  }
  if (G_IS_PARAM_SPEC_ENUM (p))
    return enum_nicks (G_PARAM_SPEC_VALUE_TYPE (p), ", ");
  if (G_IS_PARAM_SPEC_FLAGS (p))
    return flags_nicks (G_PARAM_SPEC_VALUE_TYPE (p), 0, TRUE);
  return g_strdup ("");
}

static gchar *
format_flags (GParamSpec * p)
{
  GPtrArray *f = g_ptr_array_new ();
  gchar *r;

  if (p->flags & G_PARAM_READABLE)
    g_ptr_array_add (f, (gpointer) "readable");
  if (p->flags & G_PARAM_WRITABLE)
    g_ptr_array_add (f, (gpointer) "writable");
  if (p->flags & G_PARAM_CONSTRUCT_ONLY)
    g_ptr_array_add (f, (gpointer) "construct-only");
  if (p->flags & GST_PARAM_CONTROLLABLE)
    g_ptr_array_add (f, (gpointer) "controllable");
  if (p->flags & GST_PARAM_MUTABLE_PLAYING)
    g_ptr_array_add (f, (gpointer) "mutable-playing");
  else if (p->flags & GST_PARAM_MUTABLE_PAUSED)
    g_ptr_array_add (f, (gpointer) "mutable-paused");
  else if (p->flags & GST_PARAM_MUTABLE_READY)
    g_ptr_array_add (f, (gpointer) "mutable-ready");
  if (p->flags & G_PARAM_DEPRECATED)
    g_ptr_array_add (f, (gpointer) "deprecated");
  g_ptr_array_add (f, NULL);
  r = g_strjoinv (", ", (gchar **) f->pdata);
  g_ptr_array_free (f, TRUE);
  return r;
}

static gchar *
escape_cell (const gchar * s)
{
  gchar **parts = g_strsplit (s ? s : "", "|", -1);
  gchar *r = g_strjoinv ("\\|", parts);

  g_strfreev (parts);
  return r;
}

/* Cells as the document must have them; the last one (description) is
 * informative only and not compared. */
static GStrv
expected_row (const gchar * first, ...)
{
  GPtrArray *cells = g_ptr_array_new ();
  const gchar *c;
  va_list ap;

  va_start (ap, first);
  for (c = first; c != NULL; c = va_arg (ap, const gchar *))
    g_ptr_array_add (cells, g_strdup (c));
  va_end (ap);
  g_ptr_array_add (cells, NULL);
  return (GStrv) g_ptr_array_free (cells, FALSE);
}

/* A markdown row: the key and the first @code cells in backticks (when
 * not empty), the rest as they are. */
static gchar *
markdown_row (GStrv cells, guint code)
{
  GString *s = g_string_new ("|");
  guint i;

  for (i = 0; cells[i] != NULL; i++) {
    gchar *e = escape_cell (cells[i]);

    if (i < code && *e != '\0') {
      g_string_append_printf (s, " `%s` |", e);
    } else {
      /* "<hex>" would read as an HTML tag */
      gchar **parts = g_strsplit (e, "<", -1);
      gchar *t = g_strjoinv ("&lt;", parts);

      g_string_append_printf (s, " %s |", t);
      g_free (t);
      g_strfreev (parts);
    }
    g_free (e);
  }
  return g_string_free (s, FALSE);
}

static gint
compare_strings (const gchar ** a, const gchar ** b)
{
  return strcmp (*a, *b);
}

/* Compares @want (the plugin's rows, key -> cells, of which the first
 * @compared are checked) with the document's @table; prints the correct
 * row for every difference. Returns the number of differences. */
static guint
compare_table (const gchar * element, const gchar * what, GHashTable * want,
    GHashTable * table, guint compared, guint code, const gchar * header)
{
  GHashTableIter it;
  gpointer key;
  guint bad = 0, k, n_keys;
  gchar **keys = (gchar **) g_hash_table_get_keys_as_array (want, &n_keys);

  qsort (keys, n_keys, sizeof (gchar *), (GCompareFunc) compare_strings);
  if (table == NULL) {
    g_printerr ("%s: no \"%s\" table in the document; it should be:\n%s\n",
        element, what, header);
    for (k = 0; k < n_keys; k++) {
      gchar *row = markdown_row (g_hash_table_lookup (want, keys[k]), code);

      g_printerr ("%s\n", row);
      g_free (row);
    }
    g_free (keys);
    return n_keys + 1;
  }

  for (k = 0; k < n_keys; k++) {
    GStrv w = g_hash_table_lookup (want, keys[k]);
    GStrv d = g_hash_table_lookup (table, keys[k]);
    gchar *row;
    guint i;

    key = keys[k];

    if (d != NULL) {
      gboolean same = TRUE;

      for (i = 0; i < compared; i++)
        if (d[i] == NULL || g_strcmp0 (d[i], w[i]) != 0) {
          g_printerr ("%s: %s %s: column %u is \"%s\", the plugin says "
              "\"%s\"\n", element, what, (gchar *) key, i + 1,
              d[i] ? d[i] : "(missing)", w[i]);
          same = FALSE;
        }
      if (same && (g_strv_length (d) < g_strv_length (w)
              || *d[g_strv_length (w) - 1] == '\0')) {
        g_printerr ("%s: %s %s: no description\n", element, what,
            (gchar *) key);
        same = FALSE;
      }
      if (same)
        continue;
    } else {
      g_printerr ("%s: %s %s is not documented\n", element, what,
          (gchar *) key);
    }
    bad++;
    row = markdown_row (w, code);
    g_printerr ("  correct row: %s\n", row);
    g_free (row);
  }
  g_free (keys);

  g_hash_table_iter_init (&it, table);
  while (g_hash_table_iter_next (&it, &key, NULL))
    if (!g_hash_table_contains (want, key)) {
      g_printerr ("%s: documented %s %s does not exist: remove its row\n",
          element, what, (gchar *) key);
      bad++;
    }
  return bad;
}

static GHashTable *
rows_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) g_strfreev);
}

static GHashTable *
plugin_rows (GstElementFactory * factory, GType type)
{
  GHashTable *rows = rows_new ();
  GstPluginFeature *loaded = gst_plugin_feature_load (GST_PLUGIN_FEATURE
      (factory));
  const gchar *plugin = gst_plugin_feature_get_plugin_name (loaded);

  g_hash_table_replace (rows, g_strdup (plugin), expected_row (plugin,
          g_type_name (type), g_type_name (g_type_parent (type)),
          gst_element_factory_get_metadata (factory,
              GST_ELEMENT_METADATA_KLASS), NULL));
  gst_object_unref (loaded);
  return rows;
}

static GHashTable *
property_rows (GType type)
{
  GHashTable *rows = rows_new ();
  GObjectClass *klass = g_type_class_ref (type);
  GParamSpec **specs;
  guint i, n;

  specs = g_object_class_list_properties (klass, &n);
  for (i = 0; i < n; i++) {
    GParamSpec *p = specs[i];
    gchar *def, *flags, *range;

    if (p->owner_type != type)
      continue;                 /* inherited: documented by GStreamer */
    def = format_default (p);
    flags = format_flags (p);
    range = format_range (p);
    g_hash_table_replace (rows, g_strdup (p->name), expected_row (p->name,
            g_type_name (G_PARAM_SPEC_VALUE_TYPE (p)), def, flags, range,
            g_param_spec_get_blurb (p), NULL));
    g_free (def);
    g_free (flags);
    g_free (range);
  }
  g_free (specs);
  g_type_class_unref (klass);
  return rows;
}

/* Both ways: every inherited property named, nothing else named. */
static guint
check_inherited (const gchar * element, GType type, GHashTable * documented)
{
  GObjectClass *klass = g_type_class_ref (type);
  GHashTable *have = g_hash_table_new (g_str_hash, g_str_equal);
  GParamSpec **specs;
  GHashTableIter it;
  gpointer key;
  guint i, n, bad = 0;

  specs = g_object_class_list_properties (klass, &n);
  for (i = 0; i < n; i++) {
    if (specs[i]->owner_type == type)
      continue;
    g_hash_table_add (have, (gpointer) specs[i]->name);
    if (documented == NULL || !g_hash_table_contains (documented,
            specs[i]->name)) {
      g_printerr ("%s: inherited property `%s` (from %s) is not in the "
          "\"Inherited\" paragraph\n", element, specs[i]->name,
          g_type_name (specs[i]->owner_type));
      bad++;
    }
  }
  if (documented != NULL) {
    g_hash_table_iter_init (&it, documented);
    while (g_hash_table_iter_next (&it, &key, NULL))
      if (!g_hash_table_contains (have, key)) {
        g_printerr ("%s: `%s` in the \"Inherited\" paragraph is not an "
            "inherited property\n", element, (gchar *) key);
        bad++;
      }
  }
  g_hash_table_unref (have);
  g_free (specs);
  g_type_class_unref (klass);
  return bad;
}

static GHashTable *
pad_rows (GstElementFactory * factory)
{
  static const gchar *const dirs[] = { "unknown", "src", "sink" };
  static const gchar *const presence[] = { "always", "sometimes",
    "request"
  };
  GHashTable *rows = rows_new ();
  const GList *l;

  for (l = gst_element_factory_get_static_pad_templates (factory); l;
      l = l->next) {
    GstStaticPadTemplate *t = l->data;
    GstCaps *caps = gst_static_caps_get (&t->static_caps);
    gchar *s = gst_caps_to_string (caps);

    g_hash_table_replace (rows, g_strdup (t->name_template),
        expected_row (t->name_template, dirs[t->direction],
            presence[t->presence], s, NULL));
    g_free (s);
    gst_caps_unref (caps);
  }
  return rows;
}

static GHashTable *
signal_rows (GType type)
{
  GHashTable *rows = rows_new ();
  guint *ids, n, i, j;

  ids = g_signal_list_ids (type, &n);
  for (i = 0; i < n; i++) {
    GSignalQuery q;
    GString *args = g_string_new (NULL);
    gchar *flags;

    g_signal_query (ids[i], &q);
    for (j = 0; j < q.n_params; j++)
      g_string_append_printf (args, "%s%s", j ? ", " : "",
          g_type_name (q.param_types[j] & ~G_SIGNAL_TYPE_STATIC_SCOPE));
    flags = g_strdup_printf ("%s%s%s",
        (q.signal_flags & G_SIGNAL_RUN_FIRST) ? "run-first" :
        (q.signal_flags & G_SIGNAL_RUN_LAST) ? "run-last" : "run-cleanup",
        (q.signal_flags & G_SIGNAL_ACTION) ? ", action" : "",
        (q.signal_flags & G_SIGNAL_DETAILED) ? ", detailed" : "");
    g_hash_table_replace (rows, g_strdup (q.signal_name),
        expected_row (q.signal_name, flags,
            g_type_name (q.return_type & ~G_SIGNAL_TYPE_STATIC_SCOPE),
            args->len ? args->str : "none", NULL));
    g_free (flags);
    g_string_free (args, TRUE);
  }
  g_free (ids);
  return rows;
}

static guint
check_element (GHashTable * sections, const gchar * name)
{
  GstElementFactory *factory = gst_element_factory_find (name);
  Section *sec = g_hash_table_lookup (sections, name);
  GstElement *element;
  GHashTable *want;
  GType type;
  guint bad = 0;

  fail_unless (factory != NULL, "%s is not in the build's plugins", name);
  element = gst_element_factory_create (factory, NULL);
  fail_unless (element != NULL, "%s cannot be made", name);
  type = G_OBJECT_TYPE (element);

  if (sec == NULL) {
    g_printerr ("%s: no \"## %s\" section in the document\n", name, name);
    sec = g_new0 (Section, 1);
    sec->tables = g_hash_table_new (g_str_hash, g_str_equal);
    g_hash_table_replace (sections, g_strdup (name), sec);
    bad++;
  }
  if (sec->duplicates > 0) {
    g_printerr ("%s: %u rows documented twice\n", name, sec->duplicates);
    bad += sec->duplicates;
  }

  want = plugin_rows (factory, type);
  bad += compare_table (name, "plugin", want,
      g_hash_table_lookup (sec->tables, "plugin"), 4, 3,
      "| plugin | type | parent class | klass |\n|---|---|---|---|");
  g_hash_table_unref (want);

  want = property_rows (type);
  bad += compare_table (name, "property", want,
      g_hash_table_lookup (sec->tables, "property"), 5, 3,
      "| property | type | default | flags | range | description |\n"
      "|---|---|---|---|---|---|");
  g_hash_table_unref (want);

  bad += check_inherited (name, type, sec->inherited);

  want = pad_rows (factory);
  bad += compare_table (name, "pad", want,
      g_hash_table_lookup (sec->tables, "pad"), 4, 1,
      "| pad | direction | presence | caps |\n|---|---|---|---|");
  g_hash_table_unref (want);

  want = signal_rows (type);
  if (g_hash_table_size (want) > 0 ||
      g_hash_table_lookup (sec->tables, "signal") != NULL)
    bad += compare_table (name, "signal", want,
        g_hash_table_lookup (sec->tables, "signal"), 4, 1,
        "| signal | flags | returns | arguments |\n|---|---|---|---|");
  g_hash_table_unref (want);

  gst_object_unref (element);
  gst_object_unref (factory);
  return bad;
}

GST_START_TEST (test_elements_doc_matches_plugins)
{
  GHashTable *sections = parse_doc (SEECITV_ELEMENTS_DOC);
  guint i, bad = 0;

  for (i = 0; i < G_N_ELEMENTS (elements); i++)
    bad += check_element (sections, elements[i]);
  g_hash_table_unref (sections);
  fail_unless (bad == 0, "docs/elements.md differs from the plugins in %u "
      "place(s); the correct rows are printed above", bad);
}

GST_END_TEST;

/* The parser itself: a row with an escaped pipe and code cells. */
GST_START_TEST (test_split_row)
{
  GStrv c = split_row ("| `a` | b \\| c | `\"x\"` |  |");

  fail_unless_equals_int (g_strv_length (c), 4);
  fail_unless_equals_string (c[0], "a");
  fail_unless_equals_string (c[1], "b | c");
  fail_unless_equals_string (c[2], "\"x\"");
  fail_unless_equals_string (c[3], "");
  g_strfreev (c);
}

GST_END_TEST;

static Suite *
reference_suite (void)
{
  Suite *s = suite_create ("docs/reference");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_split_row);
  tcase_add_test (tc, test_elements_doc_matches_plugins);
  return s;
}

GST_CHECK_MAIN (reference);
