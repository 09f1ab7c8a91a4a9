/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The S3 client (gst-libs/seecitv/s3/s3client.c) against an in-process SoupServer on
 * 127.0.0.1 that plays a strict S3: it recomputes each request's SigV4
 * signature from what arrived (with the shared secret), and checks
 * x-amz-content-sha256 and Content-MD5 against the body, answering 403 /
 * 400 as S3 does when they do not match. On top: multipart reassembly, a
 * paginated listing, S3 error bodies, an ETag that does not match,
 * credentials from the shared file, and that no error text carries the
 * secret. The signing itself is checked against AWS's vectors in
 * libs/s3sigv4.c; the real-server runs are elements/seecitvsink_upload.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <seecitv/s3/s3client.h>
#include <seecitv/s3/s3sigv4.h>

#include <string.h>

#define KEY_ID "AKIDSEECITVTEST"
#define SECRET "seecitv-test-secret/NEVER+LOGGED"

typedef struct
{
  GThread *thread;
  GMainContext *ctx;
  GMainLoop *loop;
  SoupServer *server;
  guint port;
  GMutex lock;
  GCond cond;
  /* protected by lock */
  GHashTable *objects;          /* key -> GBytes */
  GHashTable *parts;            /* "key#n" -> GBytes */
  guint requests;
  guint bad_signatures;
  guint checked_md5;
  gboolean wrong_etag;
  const gchar *force_error;     /* S3 error code to answer with */
  guint page_size;              /* objects per listing page */
  gboolean redirect;            /* answer 307 to the thief */
  /* A second server, the host a redirect names: it records what reaches
   * it. thief_port is set before the tests start; the counts under lock. */
  SoupServer *thief;
  guint thief_port;
  guint thief_requests;
  guint thief_tokens;           /* requests carrying x-amz-security-token */
} FakeS3;

static FakeS3 s3;

static gchar *
md5_hex (GBytes * b)
{
  guint8 d[16];
  gsize len;
  const guint8 *data = g_bytes_get_data (b, &len);
  GString *s = g_string_new (NULL);
  guint i;

  fail_unless (seecitv_sigv4_md5 (data ? data : (const guint8 *) "", len, d));
  for (i = 0; i < 16; i++)
    g_string_append_printf (s, "%02x", d[i]);
  return g_string_free (s, FALSE);
}

static void
reply_error (SoupServerMessage * msg, guint status, const gchar * code)
{
  gchar *body = g_strdup_printf ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<Error><Code>%s</Code><Message>test says %s</Message></Error>", code,
      code);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/xml",
      SOUP_MEMORY_TAKE, body, strlen (body));
}

/* Recomputes the signature of the request as received. */
static gboolean
signature_ok (SoupServerMessage * msg, GBytes * body)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  const gchar *auth = soup_message_headers_get_one (h, "Authorization");
  const gchar *date = soup_message_headers_get_one (h, "x-amz-date");
  const gchar *payload = soup_message_headers_get_one (h,
      "x-amz-content-sha256");
  GUri *uri = soup_server_message_get_uri (msg);
  const gchar *sh, *end;
  gchar **names, *expected, *path;
  SeecitvSigV4Header hdrs[16];
  SeecitvSigV4Request req;
  guint n = 0, i;
  gboolean ok;

  if (auth == NULL || date == NULL || payload == NULL)
    return FALSE;
  sh = strstr (auth, "SignedHeaders=");
  if (sh == NULL)
    return FALSE;
  sh += strlen ("SignedHeaders=");
  end = strchr (sh, ',');
  if (end == NULL)
    return FALSE;
  {
    gchar *list = g_strndup (sh, end - sh);
    names = g_strsplit (list, ";", 16);
    g_free (list);
  }
  for (i = 0; names[i] && n < G_N_ELEMENTS (hdrs); i++) {
    const gchar *v = soup_message_headers_get_one (h, names[i]);
    if (v == NULL) {
      g_strfreev (names);
      return FALSE;
    }
    hdrs[n++] = (SeecitvSigV4Header) {
    names[i], v};
  }
  path = g_uri_unescape_string (g_uri_get_path (uri), NULL);
  req = (SeecitvSigV4Request) {
  soup_server_message_get_method (msg), path, g_uri_get_query (uri), hdrs,
        n, payload};
  expected = seecitv_sigv4_authorization (&req, KEY_ID, SECRET, "eu-west-3",
      "s3", date, NULL, NULL);
  ok = g_strcmp0 (expected, auth) == 0;
  g_free (expected);
  g_free (path);
  g_strfreev (names);
  return ok;
}

static void
handle (SoupServer * server, SoupServerMessage * msg, const char *path_raw,
    GHashTable * query, gpointer data)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  SoupMessageBody *rb = soup_server_message_get_request_body (msg);
  GBytes *body = soup_message_body_flatten (rb);
  const gchar *method = soup_server_message_get_method (msg);
  const gchar *md5 = soup_message_headers_get_one (h, "Content-MD5");
  const gchar *sha = soup_message_headers_get_one (h, "x-amz-content-sha256");
  gchar *want_sha = seecitv_sigv4_sha256_hex (g_bytes_get_data (body, NULL) ?
      g_bytes_get_data (body, NULL) : (const guint8 *) "",
      g_bytes_get_size (body));
  gchar *path = g_uri_unescape_string (path_raw, NULL);
  const gchar *key;

  g_mutex_lock (&s3.lock);
  s3.requests++;
  if (s3.redirect) {
    gchar *to = g_strdup_printf ("http://127.0.0.1:%u%s", s3.thief_port,
        path_raw);

    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Location", to);
    soup_server_message_set_status (msg, SOUP_STATUS_TEMPORARY_REDIRECT,
        NULL);
    g_free (to);
    goto out;
  }
  if (!g_str_has_prefix (path, "/bkt")) {
    reply_error (msg, 404, "NoSuchBucket");
    goto out;
  }
  if (!signature_ok (msg, body)) {
    s3.bad_signatures++;
    reply_error (msg, 403, "SignatureDoesNotMatch");
    goto out;
  }
  if (g_strcmp0 (sha, want_sha) != 0) {
    reply_error (msg, 400, "XAmzContentSHA256Mismatch");
    goto out;
  }
  if (g_bytes_get_size (body) > 0 || strcmp (method, "PUT") == 0) {
    gsize len;
    const guint8 *d = g_bytes_get_data (body, &len);
    gchar *want_md5 = seecitv_sigv4_content_md5 (d ? d : (const guint8 *) "",
        len);
    gboolean good = g_strcmp0 (md5, want_md5) == 0;
    g_free (want_md5);
    if (!good) {
      reply_error (msg, 400, "BadDigest");
      goto out;
    }
    s3.checked_md5++;
  }
  if (s3.force_error) {
    reply_error (msg, strcmp (s3.force_error, "NoSuchBucket") == 0 ? 404 :
        403, s3.force_error);
    goto out;
  }
  key = path[4] == '/' ? path + 5 : "";

  if (strcmp (method, "PUT") == 0 && query
      && g_hash_table_contains (query, "partNumber")) {
    gchar *etag, *pk = g_strdup_printf ("%s#%s", key,
        (const gchar *) g_hash_table_lookup (query, "partNumber"));
    gchar *m = md5_hex (body);
    g_hash_table_replace (s3.parts, pk, g_bytes_ref (body));
    etag = g_strdup_printf ("\"%s\"", m);
    g_free (m);
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "ETag", etag);
    g_free (etag);
    soup_server_message_set_status (msg, 200, NULL);
  } else if (strcmp (method, "PUT") == 0) {
    gchar *m = s3.wrong_etag ? g_strdup ("0123456789abcdef0123456789abcdef")
        : md5_hex (body), *etag = g_strdup_printf ("\"%s\"", m);
    g_hash_table_replace (s3.objects, g_strdup (key), g_bytes_ref (body));
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "ETag", etag);
    g_free (etag);
    g_free (m);
    soup_server_message_set_status (msg, 200, NULL);
  } else if (strcmp (method, "POST") == 0 && query
      && g_hash_table_contains (query, "uploads")) {
    const gchar *x = "<InitiateMultipartUploadResult><Bucket>bkt</Bucket>"
        "<Key>k</Key><UploadId>up+id/1</UploadId>"
        "</InitiateMultipartUploadResult>";
    soup_server_message_set_status (msg, 200, NULL);
    soup_server_message_set_response (msg, "application/xml",
        SOUP_MEMORY_STATIC, x, strlen (x));
  } else if (strcmp (method, "POST") == 0 && query
      && g_strcmp0 (g_hash_table_lookup (query, "uploadId"), "up+id/1") == 0) {
    GByteArray *all = g_byte_array_new ();
    guint i;
    for (i = 1;; i++) {
      gchar *pk = g_strdup_printf ("%s#%u", key, i);
      GBytes *p = g_hash_table_lookup (s3.parts, pk);
      g_free (pk);
      if (p == NULL)
        break;
      g_byte_array_append (all, g_bytes_get_data (p, NULL),
          g_bytes_get_size (p));
    }
    g_hash_table_replace (s3.objects, g_strdup (key),
        g_byte_array_free_to_bytes (all));
    soup_server_message_set_status (msg, 200, NULL);
  } else if (strcmp (method, "GET") == 0 && *key == '\0') {
    /* ListObjectsV2, page_size objects per page, token = index. */
    GList *keys = g_list_sort (g_hash_table_get_keys (s3.objects),
        (GCompareFunc) strcmp), *l;
    const gchar *tok = query ? g_hash_table_lookup (query,
        "continuation-token") : NULL;
    guint start = tok ? (guint) atoi (tok) : 0, i = 0, shown = 0;
    GString *x = g_string_new ("<?xml version=\"1.0\"?><ListBucketResult>");
    for (l = keys; l; l = l->next, i++) {
      if (i < start)
        continue;
      if (shown == s3.page_size) {
        g_string_append_printf (x, "<IsTruncated>true</IsTruncated>"
            "<NextContinuationToken>%u</NextContinuationToken>", i);
        break;
      }
      g_string_append_printf (x, "<Contents><Key>%s</Key><Size>%"
          G_GSIZE_FORMAT "</Size><ETag>&quot;x&quot;</ETag></Contents>",
          (gchar *) l->data, g_bytes_get_size (g_hash_table_lookup
              (s3.objects, l->data)));
      shown++;
    }
    g_string_append (x, "</ListBucketResult>");
    g_list_free (keys);
    soup_server_message_set_status (msg, 200, NULL);
    soup_server_message_set_response (msg, "application/xml",
        SOUP_MEMORY_COPY, x->str, x->len);
    g_string_free (x, TRUE);
  } else if (strcmp (method, "GET") == 0) {
    GBytes *o = g_hash_table_lookup (s3.objects, key);
    if (o == NULL) {
      reply_error (msg, 404, "NoSuchKey");
    } else {
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/octet-stream",
          SOUP_MEMORY_COPY, g_bytes_get_data (o, NULL), g_bytes_get_size (o));
    }
  } else if (strcmp (method, "DELETE") == 0) {
    g_hash_table_remove (s3.objects, key);
    soup_server_message_set_status (msg, 204, NULL);
  } else {
    reply_error (msg, 400, "NotImplemented");
  }
out:
  g_mutex_unlock (&s3.lock);
  g_free (path);
  g_free (want_sha);
  g_bytes_unref (body);
}

/* The redirect's target: counts what arrives, and answers 200 so that a
 * client that followed the redirect would appear to succeed. */
static void
handle_thief (SoupServer * server, SoupServerMessage * msg,
    const char *path_raw, GHashTable * query, gpointer data)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);

  g_mutex_lock (&s3.lock);
  s3.thief_requests++;
  if (soup_message_headers_get_one (h, "x-amz-security-token") != NULL)
    s3.thief_tokens++;
  g_mutex_unlock (&s3.lock);
  soup_server_message_set_status (msg, 200, NULL);
}

static guint
listen_local (SoupServer * server)
{
  GError *err = NULL;
  GSList *uris;
  guint port;

  fail_unless (soup_server_listen_local (server, 0,
          SOUP_SERVER_LISTEN_IPV4_ONLY, &err), "%s", err ? err->message : "");
  uris = soup_server_get_uris (server);
  port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return port;
}

static gpointer
server_thread (gpointer data)
{
  guint port, thief_port;

  g_main_context_push_thread_default (s3.ctx);
  s3.server = soup_server_new (NULL, NULL);
  soup_server_add_handler (s3.server, NULL, handle, NULL, NULL);
  port = listen_local (s3.server);
  s3.thief = soup_server_new (NULL, NULL);
  soup_server_add_handler (s3.thief, NULL, handle_thief, NULL, NULL);
  thief_port = listen_local (s3.thief);
  g_mutex_lock (&s3.lock);
  s3.thief_port = thief_port;
  s3.port = port;
  g_cond_broadcast (&s3.cond);
  g_mutex_unlock (&s3.lock);
  g_main_loop_run (s3.loop);
  /* Close the kept-alive connections and let libsoup free them. */
  soup_server_disconnect (s3.server);
  g_object_unref (s3.server);
  soup_server_disconnect (s3.thief);
  g_object_unref (s3.thief);
  while (g_main_context_iteration (s3.ctx, FALSE));
  g_main_context_pop_thread_default (s3.ctx);
  return NULL;
}

static gchar *endpoint;

static void
setup (void)
{
  memset (&s3, 0, sizeof (s3));
  g_mutex_init (&s3.lock);
  g_cond_init (&s3.cond);
  s3.objects = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) g_bytes_unref);
  s3.parts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) g_bytes_unref);
  s3.page_size = 1000;
  s3.ctx = g_main_context_new ();
  s3.loop = g_main_loop_new (s3.ctx, FALSE);
  s3.thread = g_thread_new ("fake-s3", server_thread, NULL);
  g_mutex_lock (&s3.lock);
  while (s3.port == 0)
    g_cond_wait (&s3.cond, &s3.lock);
  g_mutex_unlock (&s3.lock);
  endpoint = g_strdup_printf ("http://127.0.0.1:%u", s3.port);

  g_setenv ("AWS_ACCESS_KEY_ID", KEY_ID, TRUE);
  g_setenv ("AWS_SECRET_ACCESS_KEY", SECRET, TRUE);
  g_setenv ("AWS_REGION", "eu-west-3", TRUE);
  g_unsetenv ("AWS_SESSION_TOKEN");
  g_setenv ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", TRUE);
}

static void
teardown (void)
{
  g_main_loop_quit (s3.loop);
  g_thread_join (s3.thread);
  g_main_loop_unref (s3.loop);
  g_main_context_unref (s3.ctx);
  g_hash_table_unref (s3.objects);
  g_hash_table_unref (s3.parts);
  g_mutex_clear (&s3.lock);
  g_cond_clear (&s3.cond);
  g_free (endpoint);
}

static gchar *
write_temp (gsize size, gchar ** dir)
{
  gchar *path, *data = g_malloc (size);
  gsize i;

  *dir = g_dir_make_tmp ("s3client-XXXXXX", NULL);
  for (i = 0; i < size; i++)
    data[i] = (gchar) (i * 7 + (i >> 12));
  path = g_build_filename (*dir, "clip.seecitv", NULL);
  fail_unless (g_file_set_contents (path, data, size, NULL));
  g_free (data);
  return path;
}

static void
remove_temp (gchar * path, gchar * dir)
{
  g_unlink (path);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
}

static void
assert_stored (const gchar * key, const gchar * path)
{
  gchar *data;
  gsize len;
  GBytes *o;

  fail_unless (g_file_get_contents (path, &data, &len, NULL));
  g_mutex_lock (&s3.lock);
  o = g_hash_table_lookup (s3.objects, key);
  fail_unless (o != NULL, "%s not stored", key);
  fail_unless_equals_uint64 (g_bytes_get_size (o), len);
  fail_unless (memcmp (g_bytes_get_data (o, NULL), data, len) == 0);
  g_mutex_unlock (&s3.lock);
  g_free (data);
}

GST_START_TEST (test_put_signed_and_checksummed)
{
  gchar *dir, *path = write_temp (100000, &dir), *key;
  GError *err = NULL;
  SeecitvS3Client *c = seecitv_s3_client_new ("s3://bkt/pre/fix/", endpoint,
      &err);
  guint status = 0;

  fail_unless (c != NULL, "%s", err ? err->message : "");
  fail_unless (seecitv_s3_client_is_plain_http (c));
  key = seecitv_s3_client_object_key (c, "dev 1/clip$1.seecitv");
  fail_unless_equals_string (key, "pre/fix/dev 1/clip$1.seecitv");
  fail_unless (seecitv_s3_client_put_file (c, key, path, NULL, &status,
          &err), "%s", err ? err->message : "");
  fail_unless_equals_int (status, 200);
  assert_stored (key, path);
  fail_unless_equals_int (s3.bad_signatures, 0);
  fail_unless_equals_int (s3.checked_md5, 1);
  g_free (key);
  seecitv_s3_client_free (c);
  remove_temp (path, dir);
}

GST_END_TEST;

/* The fake server is strict: a wrong secret is refused, so the test above
 * really checked the signature. */
GST_START_TEST (test_wrong_secret_refused)
{
  gchar *dir, *path = write_temp (10, &dir);
  GError *err = NULL;
  SeecitvS3Client *c;
  guint status = 0;

  g_setenv ("AWS_SECRET_ACCESS_KEY", "another-secret", TRUE);
  c = seecitv_s3_client_new ("s3://bkt", endpoint, &err);
  fail_if (seecitv_s3_client_put_file (c, "k", path, NULL, &status, &err));
  fail_unless_equals_int (status, 403);
  fail_unless (g_error_matches (err, SEECITV_S3_ERROR,
          SEECITV_S3_ERROR_HTTP));
  fail_unless (strstr (err->message, "SignatureDoesNotMatch") != NULL);
  fail_unless (strstr (err->message, "another-secret") == NULL);
  fail_unless_equals_int (s3.bad_signatures, 1);
  g_clear_error (&err);
  seecitv_s3_client_free (c);
  remove_temp (path, dir);
}

GST_END_TEST;

GST_START_TEST (test_multipart)
{
  gchar *dir, *path = write_temp (11 * 1024 * 1024 + 5, &dir);
  GError *err = NULL;
  SeecitvS3Client *c = seecitv_s3_client_new ("s3://bkt", endpoint, &err);
  guint status = 0;

  seecitv_s3_client_set_multipart (c, SEECITV_S3_MIN_PART_SIZE,
      SEECITV_S3_MIN_PART_SIZE);
  fail_unless (seecitv_s3_client_put_file (c, "big/clip", path, NULL,
          &status, &err), "%s", err ? err->message : "");
  assert_stored ("big/clip", path);
  /* Three parts, each with its own Content-MD5, then the completion. */
  fail_unless_equals_int (g_hash_table_size (s3.parts), 3);
  fail_unless_equals_int (s3.checked_md5, 4);
  fail_unless_equals_int (s3.bad_signatures, 0);
  seecitv_s3_client_free (c);
  remove_temp (path, dir);
}

GST_END_TEST;

GST_START_TEST (test_etag_mismatch)
{
  gchar *dir, *path = write_temp (1000, &dir);
  GError *err = NULL;
  SeecitvS3Client *c = seecitv_s3_client_new ("s3://bkt", endpoint, &err);

  s3.wrong_etag = TRUE;
  fail_if (seecitv_s3_client_put_file (c, "k", path, NULL, NULL, &err));
  fail_unless (g_error_matches (err, SEECITV_S3_ERROR,
          SEECITV_S3_ERROR_INTEGRITY));
  g_clear_error (&err);
  seecitv_s3_client_free (c);
  remove_temp (path, dir);
}

GST_END_TEST;

GST_START_TEST (test_errors)
{
  gchar *dir, *path = write_temp (10, &dir);
  GError *err = NULL;
  SeecitvS3Client *c = seecitv_s3_client_new ("s3://nobucket", endpoint,
      &err);
  guint status = 0;

  fail_if (seecitv_s3_client_put_file (c, "k", path, NULL, &status, &err));
  fail_unless_equals_int (status, 404);
  fail_unless (strstr (err->message, "NoSuchBucket") != NULL);
  g_clear_error (&err);
  seecitv_s3_client_free (c);

  c = seecitv_s3_client_new ("s3://bkt", endpoint, &err);
  s3.force_error = "InvalidAccessKeyId";
  fail_if (seecitv_s3_client_put_file (c, "k", path, NULL, &status, &err));
  fail_unless_equals_int (status, 403);
  fail_unless (strstr (err->message, "InvalidAccessKeyId") != NULL);
  fail_unless (strstr (err->message, SECRET) == NULL);
  g_clear_error (&err);
  s3.force_error = NULL;

  /* Missing local file. */
  fail_if (seecitv_s3_client_put_file (c, "k", "/nonexistent/x", NULL,
          &status, &err));
  fail_unless (g_error_matches (err, SEECITV_S3_ERROR,
          SEECITV_S3_ERROR_LOCAL));
  g_clear_error (&err);
  seecitv_s3_client_free (c);

  /* Nobody listening. */
  c = seecitv_s3_client_new ("s3://bkt", "http://127.0.0.1:1", &err);
  fail_if (seecitv_s3_client_put_file (c, "k", path, NULL, &status, &err));
  fail_unless_equals_int (status, 0);
  fail_unless (g_error_matches (err, SEECITV_S3_ERROR,
          SEECITV_S3_ERROR_NETWORK));
  g_clear_error (&err);
  seecitv_s3_client_free (c);
  remove_temp (path, dir);
}

GST_END_TEST;

GST_START_TEST (test_list_get_delete)
{
  gchar *dir, *path = write_temp (3000, &dir), *out;
  GError *err = NULL;
  SeecitvS3Client *c = seecitv_s3_client_new ("s3://bkt/p", endpoint, &err);
  GPtrArray *objs;
  guint i;

  for (i = 0; i < 5; i++) {
    gchar *key = g_strdup_printf ("p/dev/clip-%u", i);
    fail_unless (seecitv_s3_client_put_file (c, key, path, NULL, NULL,
            &err));
    g_free (key);
  }
  s3.page_size = 2;
  objs = seecitv_s3_client_list (c, NULL, NULL, NULL, &err);
  fail_unless (objs != NULL, "%s", err ? err->message : "");
  fail_unless_equals_int (objs->len, 5);
  for (i = 0; i < 5; i++) {
    SeecitvS3Object *o = objs->pdata[i];
    gchar *key = g_strdup_printf ("p/dev/clip-%u", i);
    fail_unless_equals_string (o->key, key);
    fail_unless_equals_uint64 (o->size, 3000);
    fail_unless_equals_string (o->etag, "x");
    g_free (key);
  }
  g_ptr_array_unref (objs);

  out = g_build_filename (dir, "fetched", NULL);
  fail_unless (seecitv_s3_client_get_file (c, "p/dev/clip-3", out, NULL,
          NULL, &err), "%s", err ? err->message : "");
  assert_stored ("p/dev/clip-3", out);
  g_unlink (out);
  /* A missing object: an error, and no file left behind. */
  fail_if (seecitv_s3_client_get_file (c, "p/none", out, NULL, NULL, &err));
  fail_unless (strstr (err->message, "NoSuchKey") != NULL);
  fail_if (g_file_test (out, G_FILE_TEST_EXISTS));
  g_clear_error (&err);
  g_free (out);

  fail_unless (seecitv_s3_client_delete (c, "p/dev/clip-3", NULL, NULL,
          &err));
  objs = seecitv_s3_client_list (c, "dev", NULL, NULL, &err);
  fail_unless_equals_int (objs->len, 4);
  g_ptr_array_unref (objs);
  seecitv_s3_client_free (c);
  remove_temp (path, dir);
}

GST_END_TEST;

/* An endpoint that answers 307 to another host (here a second loopback
 * server) is not followed, for any kind of request: each is an error that
 * says "redirect" and gives the status, and the other host receives no
 * request, so never the session token. */
static void
assert_redirect_error (gboolean ok, guint status, GError * err,
    const gchar * what)
{
  gchar *code = g_strdup_printf ("%u", SOUP_STATUS_TEMPORARY_REDIRECT);
  guint thief_requests, thief_tokens;

  g_mutex_lock (&s3.lock);
  thief_requests = s3.thief_requests;
  thief_tokens = s3.thief_tokens;
  g_mutex_unlock (&s3.lock);
  fail_unless_equals_int (thief_tokens, 0);
  fail_unless (thief_requests == 0, "%s followed the redirect", what);
  fail_if (ok, "%s succeeded", what);
  fail_unless (err != NULL && err->domain == SEECITV_S3_ERROR, "%s", what);
  fail_unless_equals_int (err->code, SEECITV_S3_ERROR_HTTP);
  fail_unless_equals_int (status, SOUP_STATUS_TEMPORARY_REDIRECT);
  fail_unless (strstr (err->message, "redirect") != NULL, "%s: %s", what,
      err->message);
  fail_unless (strstr (err->message, code) != NULL, "%s: %s", what,
      err->message);
  fail_if (strstr (err->message, SECRET) != NULL);
  g_free (code);
}

GST_START_TEST (test_redirect_not_followed)
{
  gchar *dir, *path = write_temp (3000, &dir), *out;
  GError *err = NULL;
  SeecitvS3Client *c;
  GPtrArray *objs;
  guint status = 0;
  gboolean ok;

  g_setenv ("AWS_SESSION_TOKEN", "seecitv-test-session-token", TRUE);
  c = seecitv_s3_client_new ("s3://bkt/p", endpoint, &err);
  fail_unless (c != NULL, "%s", err ? err->message : "");
  s3.redirect = TRUE;

  /* GET first: libsoup follows a 307 to a GET by itself, not to a PUT. */
  out = g_build_filename (dir, "fetched", NULL);
  ok = seecitv_s3_client_get_file (c, "p/dev/clip-1", out, NULL, &status,
      &err);
  assert_redirect_error (ok, status, err, "GET");
  fail_if (g_file_test (out, G_FILE_TEST_EXISTS));
  g_clear_error (&err);
  ok = seecitv_s3_client_put_file (c, "p/dev/clip-1", path, NULL, &status,
      &err);
  assert_redirect_error (ok, status, err, "PUT");
  g_clear_error (&err);
  objs = seecitv_s3_client_list (c, NULL, NULL, &status, &err);
  assert_redirect_error (objs != NULL, status, err, "list");
  g_clear_pointer (&objs, g_ptr_array_unref);
  g_clear_error (&err);
  ok = seecitv_s3_client_delete (c, "p/dev/clip-1", NULL, &status, &err);
  assert_redirect_error (ok, status, err, "DELETE");
  g_clear_error (&err);

  g_mutex_lock (&s3.lock);
  status = s3.requests;
  g_mutex_unlock (&s3.lock);
  fail_unless (status >= 4, "the endpoint saw %u requests", status);
  g_free (out);
  seecitv_s3_client_free (c);
  remove_temp (path, dir);
}

GST_END_TEST;

GST_START_TEST (test_config)
{
  GError *err = NULL;
  gchar *dir, *fpath = write_temp (10, &dir);
  gchar *cred = g_build_filename (dir, "credentials", NULL);
  SeecitvS3Client *c;
  const gchar *bad_targets[] = { "bkt", "s3://", "s3://ab", "s3://a b/x",
    "s3://bkt/../x", "s3://bkt//x", "http://bkt/x"
  };
  const gchar *bad_endpoints[] = { "ftp://h", "https://", "https://u:p@h",
    "https://h/path", "https://h/?q"
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad_targets); i++) {
    fail_if (seecitv_s3_client_new (bad_targets[i], endpoint, &err) != NULL,
        "%s", bad_targets[i]);
    fail_unless (g_error_matches (err, SEECITV_S3_ERROR,
            SEECITV_S3_ERROR_CONFIG));
    g_clear_error (&err);
  }
  for (i = 0; i < G_N_ELEMENTS (bad_endpoints); i++) {
    fail_if (seecitv_s3_client_new ("s3://bkt", bad_endpoints[i], &err)
        != NULL, "%s", bad_endpoints[i]);
    g_clear_error (&err);
  }
  c = seecitv_s3_client_new ("s3://bkt", "https://127.0.0.1:9", &err);
  fail_if (seecitv_s3_client_is_plain_http (c));
  seecitv_s3_client_free (c);

  /* No credentials at all: a clear error that names the variables. */
  g_unsetenv ("AWS_ACCESS_KEY_ID");
  g_unsetenv ("AWS_SECRET_ACCESS_KEY");
  fail_if (seecitv_s3_client_new ("s3://bkt", endpoint, &err) != NULL);
  fail_unless (strstr (err->message, "AWS_ACCESS_KEY_ID") != NULL);
  g_clear_error (&err);

  /* The shared credentials file, profile AWS_PROFILE. */
  fail_unless (g_file_set_contents (cred, "[default]\n"
          "aws_access_key_id = WRONG\naws_secret_access_key = WRONG\n"
          "[cams]\naws_access_key_id = " KEY_ID "\n"
          "aws_secret_access_key = " SECRET "\n", -1, NULL));
  g_setenv ("AWS_SHARED_CREDENTIALS_FILE", cred, TRUE);
  g_setenv ("AWS_PROFILE", "cams", TRUE);
  c = seecitv_s3_client_new ("s3://bkt", endpoint, &err);
  fail_unless (c != NULL);
  fail_unless (seecitv_s3_client_put_file (c, "k", fpath, NULL, NULL, &err),
      "%s", err ? err->message : "");
  seecitv_s3_client_free (c);
  g_unsetenv ("AWS_PROFILE");

  g_unlink (cred);
  g_free (cred);
  remove_temp (fpath, dir);
}

GST_END_TEST;

static Suite *
s3client_suite (void)
{
  Suite *s = suite_create ("s3client");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_put_signed_and_checksummed);
  tcase_add_test (tc, test_wrong_secret_refused);
  tcase_add_test (tc, test_multipart);
  tcase_add_test (tc, test_etag_mismatch);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_list_get_delete);
  tcase_add_test (tc, test_config);
  tcase_add_test (tc, test_redirect_not_followed);
  return s;
}

GST_CHECK_MAIN (s3client);
